"""Project operations shared by the web site, the bot and the sender's housekeeping.

Writing: `save_project` (a draft, created or changed by its proposer), photos through the
shared image pipeline (diaspora/images.py; `usable_photos` for the bot, which skips a file the
pipeline refuses instead of failing the proposal). The lifecycle:
`transition(actor, project, action, note)` looks the action up in lifecycle.TRANSITIONS, asks
`can()` whether this actor plays a part allowed to take it, and records the step as a
ProjectEvent (the timeline). Supporting: `support` / `withdraw_support`, once per member by
the primary key. Reading: `list_public`, `authority_queue`, `place_answer_stats`.
Housekeeping: `flag_unanswered`. Progress of an accepted project (updates, milestones, money):
progress.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, literal_column, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, with_expression

from diaspora.accounts.choices import INTEREST_SECTORS
from diaspora.accounts.models import User
from diaspora.accounts.permissions import can, refuse_if_muted, require, verified_place_ids
from diaspora.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.images import MAX_IMAGE_BYTES, ProcessedImage, process_image
from diaspora.models import utcnow
from diaspora.moderation import audit, spam
from diaspora.notifications.service import notify
from diaspora.places.models import LEVEL_DISTRICT, LEVEL_REGION, Place
from diaspora.projects import lifecycle, search
from diaspora.projects.messages import STATUS_TEMPLATE
from diaspora.projects.models import (
    AUTHORITY,
    CONTRIBUTIONS,
    DRAFT,
    MEMBER,
    PUBLIC_STATES,
    PUBLISHED,
    RETURNED,
    SUBMITTED,
    UNDER_REVIEW,
    Project,
    ProjectBudgetItem,
    ProjectEvent,
    ProjectPhoto,
    ProjectSupport,
)
from diaspora.rendering import render_markdown

TITLE_MAX = 200
SUMMARY_MAX = 500
DESCRIPTION_MAX = 20_000
NOTE_MAX = 4000
MAX_PHOTOS = 5
# What Telegram may hand over before the pipeline refuses it (the bot says so at once).
MAX_PHOTO_BYTES = MAX_IMAGE_BYTES
MAX_BUDGET_ITEMS = 30
# A budget in som: generous for a village's project, far inside 64 bits.
BUDGET_MAX = 10**12
UNANSWERED_AFTER = timedelta(days=30)
PER_PAGE = 20
MONEY_RANGES = {
    "under_10k": _l("under 10,000 som"),
    "10k_50k": _l("10,000–50,000 som"),
    "50k_200k": _l("50,000–200,000 som"),
    "over_200k": _l("over 200,000 som"),
}
SORTS = ("newest", "supported", "waiting")


def get_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound(_l("This project does not exist."))
    return project


def get_visible_project(user: Any, project_id: int) -> Project:
    """A project `user` may see; one they may not is "not found", so its existence leaks
    nothing."""
    project = get_project(project_id)
    if not can(user, "projects.view", project):
        raise NotFound(_l("This project does not exist."))
    return project


# -- writing -----------------------------------------------------------------------------------


@dataclass
class ProjectDraft:
    """What a proposer writes (the web form and the bot's conversation fill the same)."""

    place_id: int | None
    title: str
    summary: str
    description: str = ""
    sector: str | None = None
    budget_som: int | str | None = None
    budget_items: Sequence[tuple[str, int | str]] = ()
    contributions: Iterable[str] = ()
    language: str = "ky"
    as_authority: bool = False
    # Raw uploads, or photos usable_photos() already passed through the pipeline.
    photos: Sequence[bytes | ProcessedImage] = ()
    remove_photo_ids: Iterable[int] = ()


def processed_photos(photos: Sequence[bytes | ProcessedImage]) -> list[ProcessedImage]:
    """Each photo through the image pipeline (type sniffed, resized, EXIF and GPS dropped);
    the first it refuses is refused at the photos field."""
    done = []
    for photo in photos:
        if isinstance(photo, ProcessedImage):
            done.append(photo)
            continue
        try:
            done.append(process_image(photo))
        except ValidationError as error:
            # The pipeline names its field "image"; here the photos field is the one to mark.
            raise ValidationError(error.message, field="photos") from error
    return done


def usable_photos(photos: Sequence[bytes]) -> tuple[list[ProcessedImage], int]:
    """The photos the image pipeline accepts, and how many it refused (an image file may be
    HEIC, say): the bot passes on the usable ones so one bad file does not stop a proposal."""
    usable = []
    for data in photos:
        try:
            usable.append(process_image(data))
        except ValidationError:
            continue
    return usable, len(photos) - len(usable)


def _text(value: str | None, limit: int, field_: str, *, required: bool = False) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ValidationError(_l("This text contains characters that are not allowed."),
                              field=field_)
    if len(text) > limit:
        raise ValidationError(_l("Please keep it under %(n)s characters.", n=limit),
                              field=field_)
    if required and not text:
        raise ValidationError(_l("Please fill this in."), field=field_)
    return text


def clean_som(value: int | str | None, field_: str = "budget_som") -> int | None:
    """An amount of som: digits (spaces and separators allowed), 0 ≤ amount ≤ BUDGET_MAX."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    for separator in (" ", "\u00a0", "\u202f", ",", "'", "_"):
        text = text.replace(separator, "")
    if text.lower().endswith(("сом", "som")):
        text = text[:-3].strip()
    if not text.isascii() or not text.isdigit():
        raise ValidationError(_l("Write the amount in som, in digits."), field=field_)
    if len(text) > 13 or int(text) > BUDGET_MAX:
        raise ValidationError(_l("This amount is too large."), field=field_)
    return int(text)


def clean_title(value: str | None) -> str:
    """A project's title as save_project takes it (the bot checks each answer as typed)."""
    return _text(value, TITLE_MAX, "title", required=True)


def clean_summary(value: str | None) -> str:
    return _text(value, SUMMARY_MAX, "summary", required=True)


def clean_description(value: str | None) -> str:
    return _text(value, DESCRIPTION_MAX, "description")


def _place_for(actor: User, place_id: int | None, as_authority: bool) -> Place:
    place = db.session.get(Place, int(place_id)) if place_id else None
    if place is None:
        raise ValidationError(_l("Choose the place the project is for."), field="place_id")
    if as_authority and not can(actor, "projects.post_as_authority", place):
        raise ValidationError(_l("You can only post projects for the places you represent."),
                              field="place_id")
    return place


def save_project(actor: User, draft: ProjectDraft, project: Project | None = None) -> Project:
    """Create a draft (project=None) or change one the proposer may edit."""
    if project is None:
        require(actor, "projects.propose")
    else:
        require(actor, "projects.edit", project)
    as_authority = draft.as_authority if project is None else project.origin == AUTHORITY
    place = _place_for(actor, draft.place_id, as_authority)
    title = clean_title(draft.title)
    summary_ = clean_summary(draft.summary)
    description = clean_description(draft.description)
    spam.check_project_texts(actor, title, summary_, description)
    if draft.sector and draft.sector not in INTEREST_SECTORS:
        raise ValidationError(_l("Choose a sector from the list."), field="sector")
    contributions = list(dict.fromkeys(c for c in draft.contributions if c))
    if any(c not in CONTRIBUTIONS for c in contributions):
        raise ValidationError(_l("Choose among the contributions listed."),
                              field="contributions")
    budget = clean_som(draft.budget_som)
    items: list[ProjectBudgetItem] = []
    for index, (label, amount) in enumerate(draft.budget_items):
        label = _text(label, 200, f"budget_item_{index}")
        cleaned = clean_som(amount, f"budget_amount_{index}")
        if not label and cleaned is None:
            continue
        if not label or cleaned is None:
            raise ValidationError(_l("Give each budget line a name and an amount."),
                                  field=f"budget_item_{index}")
        items.append(ProjectBudgetItem(position=len(items), label=label, amount_som=cleaned))
    if len(items) > MAX_BUDGET_ITEMS:
        raise ValidationError(_l("At most %(n)s budget lines.", n=MAX_BUDGET_ITEMS),
                              field="budget_items")
    if items and sum(i.amount_som for i in items) > BUDGET_MAX:
        raise ValidationError(_l("This amount is too large."), field="budget_items")
    language = draft.language if draft.language in SUPPORTED_LOCALES else "ky"

    removing = {int(i) for i in draft.remove_photo_ids}
    kept = [photo for photo in (project.photos if project else []) if photo.id not in removing]
    if len(kept) + len(draft.photos) > MAX_PHOTOS:
        raise ValidationError(_l("At most %(n)s photos.", n=MAX_PHOTOS), field="photos")
    new_photos = [ProjectPhoto.from_processed(processed)
                  for processed in processed_photos(draft.photos)]
    # Created only now that everything is checked: a refusal leaves nothing in the session.
    if project is None:
        project = Project(proposer_id=actor.id, status=DRAFT,
                          origin=AUTHORITY if as_authority else MEMBER)
        db.session.add(project)
    project.photos = kept + new_photos
    for position, photo in enumerate(project.photos):
        photo.position = position
    project.place_id = place.id
    project.region_id = place.id if place.level == LEVEL_REGION else place.region_id
    project.district_id = place.id if place.level == LEVEL_DISTRICT else place.district_id
    project.title, project.summary = title, summary_
    project.description = description
    project.search_text = search.search_text_of(title, summary_)
    project.description_html = str(render_markdown(description))
    project.sector = draft.sector or None
    project.budget_som = budget
    project.budget_items = items
    project.contributions = contributions
    project.language = language
    db.session.flush()
    if project.status == DRAFT and not project.events:
        _record(actor, project, "create", None, DRAFT, None, language)
    db.session.commit()
    return project


# -- the lifecycle -----------------------------------------------------------------------------


def available_actions(user: Any, project: Project) -> list[lifecycle.Transition]:
    """The actions `user` may take on `project` now (the buttons a page shows)."""
    return [
        t for t in lifecycle.TRANSITIONS
        if project.status in t.sources and can(user, "projects.transition", (project, t.action))
    ]


def _record(actor: Any, project: Project, action: str, before: str | None, after: str | None,
            note: str | None, language: str | None) -> ProjectEvent:
    event = ProjectEvent(project_id=project.id, actor_id=getattr(actor, "id", None),
                         action=action, from_status=before, to_status=after, note=note or None,
                         language=language, created_at=utcnow())
    db.session.add(event)
    return event


def _submitted_since(actor: Any, project: Project, since: datetime) -> list[str]:
    """The summaries and descriptions of `actor`'s other projects submitted since then."""
    rows = db.session.execute(
        select(Project.summary, Project.description)
        .where(Project.proposer_id == actor.id, Project.id != project.id,
               Project.submitted_at >= since)).all()
    return [text for row in rows for text in row if text]


def transition(actor: User, project: Project, action: str, *, note: str = "",
               language: str | None = None) -> Project:
    """Take `action` on `project`: refused, saying why, unless the table allows it from the
    current state and the actor plays a part that may take it."""
    step = lifecycle.BY_ACTION.get(action)
    if step is None:
        raise InvalidTransition(_l("Unknown action."))
    if project.status not in step.sources:
        raise InvalidTransition(
            _l("This can't be done now: the project is “%(state)s”.",
               state=lifecycle.STATE_LABELS[project.status]))
    if not can(actor, "projects.transition", (project, action)):
        if action == "submit":
            refuse_if_muted(actor)  # says until when
        if action in ("publish", "return", "reject") and project.proposer_id == getattr(
                actor, "id", None):
            raise PermissionDenied(_l("Nobody moderates their own proposal: another "
                                      "moderator will."))
        raise PermissionDenied(_l("You can't do this to this project."))
    note = _text(note, NOTE_MAX, "note", required=step.note_required)
    counted = (spam.check_submission(actor, project, partial(_submitted_since, actor, project))
               if action == "submit" else False)
    language = language if language in SUPPORTED_LOCALES else None
    before, after = project.status, lifecycle.target_of(step, project)
    now = utcnow()
    project.status = after
    project.status_note = note if after == RETURNED else None
    if action == "submit":
        project.submitted_at = now
    if action == "publish":
        project.published_at = now
    if action in ("review", "accept", "decline") and project.answered_at is None:
        project.answered_at = now
        if project.published_at is not None:
            project.answer_seconds = int((now - project.published_at).total_seconds())
        project.flagged_at = None
    _record(actor, project, action, before, after, note, language)
    audit.record(actor, f"project.{action}", project, before={"status": before},
                 after={"status": after, "note": note or None})
    _notify_proposer(actor, project, step, note)
    _notify_followers(actor, project, action)
    db.session.commit()
    if counted:
        spam.count(actor, spam.PROPOSALS)
    return project


def _notify_proposer(actor: Any, project: Project, step: lifecycle.Transition, note: str) -> None:
    """The proposer hears of every step someone else took, in their language (hiding and
    restoring are told by moderation, with the reports' outcome)."""
    if step.action in ("hide", "restore"):
        return
    answered = lifecycle.PLACE_AUTHORITY in step.by
    notify(project.proposer, "project.answered" if answered else "project.moderated",
           STATUS_TEMPLATE, {"title": project.title, "status": project.status, "note": note,
                             "url": f"/projects/{project.id}"},
           url=f"/projects/{project.id}", actor=actor)


def _notify_followers(actor: Any, project: Project, action: str) -> None:
    """A member's proposal published: the verified authorities of its place (and of the
    district and region it lies in) hear of it. Any status change: its supporters (not the
    proposer, told above). Each a few set-based statements, however many they are."""
    from diaspora.notifications.service import notify_all
    from diaspora.projects.messages import SUPPORTED_STATUS_TEMPLATE

    if action in ("hide", "restore"):
        return  # moderation's business: supporters are not told that someone reported it
    url = f"/projects/{project.id}"
    if action == "publish" and project.origin == MEMBER and project.place is not None:
        tell_place_authorities(actor, project)
    supporters = select(ProjectSupport.user_id).where(ProjectSupport.project_id == project.id)
    if project.proposer_id is not None:
        supporters = supporters.where(ProjectSupport.user_id != project.proposer_id)
    notify_all(supporters, "project.status", SUPPORTED_STATUS_TEMPLATE,
               {"title": project.title, "status": project.status, "url": url},
               url=url, actor=actor)


def tell_place_authorities(actor: Any, project: Project) -> int:
    """The verified authorities of the project's place (and of the district and region it lies
    in) hear of a proposal for them: when it is published, and when a moderator reminds them
    of one left unanswered."""
    from diaspora.accounts.models import AuthorityPlace
    from diaspora.notifications.service import notify_all
    from diaspora.projects.messages import PUBLISHED_HERE_TEMPLATE

    place, url = project.place, f"/projects/{project.id}"
    if place is None:
        return 0
    place_ids = {place.id, place.district_id, place.region_id, place.parent_id} - {None}
    authorities = (select(AuthorityPlace.user_id)
                   .join(User, User.id == AuthorityPlace.user_id)
                   .where(AuthorityPlace.place_id.in_(place_ids),
                          AuthorityPlace.verified_at.is_not(None),
                          User.role == "authority"))
    if project.proposer_id is not None:
        authorities = authorities.where(AuthorityPlace.user_id != project.proposer_id)
    return notify_all(authorities, "project.published_here", PUBLISHED_HERE_TEMPLATE,
                      {"title": project.title, "summary": project.summary,
                       "place": {code: place.full_name(code) for code in SUPPORTED_LOCALES},
                       "url": url}, url=url, actor=actor)


@dataclass(frozen=True)
class TimelineEntry:
    event: ProjectEvent
    part: str  # lifecycle.PROPOSER, MODERATOR or PLACE_AUTHORITY: in what part they acted
    # Whom to name: the local authority's account (a public body) and the proposer who chose
    # a display name; never a moderator's person, never an e-mail address.
    name: str | None


def _part_in(event: ProjectEvent, project: Project) -> str:
    if event.actor_id is not None and event.actor_id == project.proposer_id:
        return lifecycle.PROPOSER
    step = lifecycle.BY_ACTION.get(event.action)
    if step is not None and lifecycle.PLACE_AUTHORITY in step.by:
        return lifecycle.PLACE_AUTHORITY
    return lifecycle.MODERATOR


def _public_name(user: User | None) -> str | None:
    profile = getattr(user, "profile", None)
    return profile.display_name if profile is not None and profile.display_name else None


def timeline_entries(project: Project) -> list[TimelineEntry]:
    """The timeline as the project page shows it: each step with the part its actor played."""
    entries = []
    for event in timeline(project):
        part = _part_in(event, project)
        name = None if part == lifecycle.MODERATOR else _public_name(event.actor)
        entries.append(TimelineEntry(event, part, name))
    return entries


def timeline(project: Project) -> list[ProjectEvent]:
    return list(db.session.scalars(
        select(ProjectEvent).where(ProjectEvent.project_id == project.id)
        .order_by(ProjectEvent.id)
    ))


# -- support -----------------------------------------------------------------------------------


@dataclass
class Intention:
    money_range: str | None = None
    skills: str | None = None
    volunteering: bool = False
    equipment: bool = False
    show_name: bool = False


def support(actor: User, project: Project, intention: Intention | None = None) -> ProjectSupport:
    """Support a project once; a second time changes the intention, never the count."""
    require(actor, "projects.support", project)
    intention = intention or Intention()
    if intention.money_range and intention.money_range not in MONEY_RANGES:
        raise ValidationError(_l("Choose one of the ranges."), field="money_range")
    skills = _text(intention.skills, 200, "skills") or None
    existing = db.session.get(ProjectSupport, (project.id, actor.id))
    if existing is None:
        existing = ProjectSupport(project_id=project.id, user_id=actor.id)
        try:
            with db.session.begin_nested():
                db.session.add(existing)
                db.session.flush()
        except IntegrityError:
            # Another click of the same member won the race: theirs is the one support.
            existing = db.session.get(ProjectSupport, (project.id, actor.id))
        else:
            db.session.execute(update(Project).where(Project.id == project.id)
                               .values(supporters=Project.supporters + 1))
    existing.money_range = intention.money_range or None
    existing.skills = skills
    existing.volunteering = bool(intention.volunteering)
    existing.equipment = bool(intention.equipment)
    existing.show_name = bool(intention.show_name)
    db.session.commit()
    db.session.refresh(project)
    return existing


def withdraw_support(actor: User, project: Project) -> None:
    row = db.session.get(ProjectSupport, (project.id, getattr(actor, "id", None)))
    if row is None:
        return
    db.session.delete(row)
    db.session.flush()
    db.session.execute(update(Project).where(Project.id == project.id, Project.supporters > 0)
                       .values(supporters=Project.supporters - 1))
    db.session.commit()
    db.session.refresh(project)


def support_of(actor: Any, project: Project) -> ProjectSupport | None:
    """`actor`'s support of `project` with its intention (None: they don't support it)."""
    member_id = getattr(actor, "id", None)
    if member_id is None:
        return None
    return db.session.get(ProjectSupport, (project.id, member_id))


def supports(actor: Any, project: Project) -> bool:
    member_id = getattr(actor, "id", None)
    return member_id is not None and db.session.get(
        ProjectSupport, (project.id, member_id)) is not None


@dataclass
class SupportSummary:
    supporters: int
    money: dict[str, int] = field(default_factory=dict)  # range -> count
    volunteering: int = 0
    equipment: int = 0
    with_skills: int = 0
    named: list[str] = field(default_factory=list)  # display names of those shown


def support_summary(project: Project, named_limit: int = 50) -> SupportSummary:
    from diaspora.accounts.models import Profile

    # One pass over the project's supports (thousands for the busiest), grouped by money
    # range: the ranges' counts and, summed over the groups, the other offers.
    money: dict[str, int] = {}
    volunteering = equipment = with_skills = 0
    for money_range, count, volunteers, givers, skilled in db.session.execute(
        select(ProjectSupport.money_range, func.count(),
               func.count().filter(ProjectSupport.volunteering),
               func.count().filter(ProjectSupport.equipment),
               func.count().filter(ProjectSupport.skills.is_not(None)))
        .where(ProjectSupport.project_id == project.id)
        .group_by(ProjectSupport.money_range)
    ):
        if money_range is not None:
            money[money_range] = count
        volunteering += volunteers
        equipment += givers
        with_skills += skilled
    named = list(db.session.scalars(
        select(Profile.display_name)
        .join(ProjectSupport, ProjectSupport.user_id == Profile.user_id)
        .where(ProjectSupport.project_id == project.id, ProjectSupport.show_name,
               Profile.display_name.is_not(None))
        .order_by(ProjectSupport.created_at).limit(named_limit)
    ))
    return SupportSummary(project.supporters, money, volunteering, equipment, with_skills,
                          named)


# -- reading -----------------------------------------------------------------------------------


@dataclass
class ProjectFilters:
    region_id: int | None = None
    district_id: int | None = None
    place_id: int | None = None
    sector: str | None = None
    status: str | None = None
    query: str = ""
    sort: str = "newest"


@dataclass
class Page:
    """One page of a list, and what is known of the rest. The total is counted only up to
    COUNT_WINDOW rows past this page (`total_exact` False beyond that): counting a hundred
    thousand projects on every page view costs more than the page itself."""

    items: list
    page: int
    per_page: int
    total: int
    total_exact: bool
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def pages(self) -> int:
        """The number of pages if the total is exact, else the pages known to exist."""
        counted = max(-(-self.total // self.per_page), 1)
        return counted if self.total_exact else max(counted, self.page + self.has_next)


COUNT_WINDOW = 1000
# Page numbers past this are refused (an empty page): OFFSET walks every row it skips.
MAX_PAGE = 5000


Order = Sequence[tuple[str, bool]]  # (column of Project, descending?)


def _ordered(columns: Any, order: Order) -> list[Any]:
    return [getattr(columns, name).desc() if descending else getattr(columns, name).asc()
            for name, descending in order]


def paginate(where: Any, order: Order, page: int = 1, per_page: int = PER_PAGE,
             options: Sequence[Any] = (), *, count_first: bool = False) -> Page:
    """A page of the projects `where` selects (a `select(Project.id).where(...)`), in
    `order`, in one query whatever the size of the list:

    - the page's ids are chosen first, alone (`where` ordered, OFFSET, LIMIT one more than a
      page to know whether a next one exists): an index-only walk, so page 500 skips ten
      thousand index entries, not ten thousand rows with their joins and subqueries;
    - the rows of those ids are read with `options` (their joins, the card's budget);
    - each carries the count of the list capped at COUNT_WINDOW rows past the page (an
      uncorrelated subquery, evaluated once).

    A second query counts only when the page is past the end of the list.

    `count_first` (a filtered list, a text search): count first, then choose how to find
    the page. The planner guesses how many rows match; when it guesses too many it walks the
    index of the order testing each row until a page is full: PostgreSQL estimates every
    prefix search at 2% of the rows, so for a rare word it walked all 83,000 public projects
    (0.5 s), and a region + sector + status filter walked 1,700 rows for 21 (20 ms). The
    capped count tells: when every match was counted (few), the page is sorted out of the
    matches alone (a MATERIALIZED CTE, which the planner fills from the GIN index or a
    bitmap of the filters' indexes); when there are more (dense), walking the order finds a
    page soon."""
    page = max(int(page), 1)
    if page > MAX_PAGE:
        return Page([], page, per_page, 0, False, False)
    offset = (page - 1) * per_page
    cap = offset + per_page + COUNT_WINDOW
    capped = select(func.count()).select_from(where.limit(cap + 1).subquery())
    counted: int | None = None
    if count_first:
        counted = db.session.scalar(capped) or 0
        if counted <= offset:
            return Page([], page, per_page, counted, True, False)
    if counted is not None and counted <= cap:
        matches = (where.add_columns(*(getattr(Project, name) for name, _ in order
                                       if name != "id"))
                   .cte("matches").prefix_with("MATERIALIZED"))
        ids = (select(matches.c.id).order_by(*_ordered(matches.c, order))
               .offset(offset).limit(per_page + 1).subquery())
    else:
        ids = (where.order_by(*_ordered(Project, order)).offset(offset).limit(per_page + 1)
               .subquery())
    query = (select(Project).join(ids, ids.c.id == Project.id).options(*options)
             .order_by(*_ordered(Project, order)))
    if counted is None:
        rows = db.session.execute(
            query.add_columns(capped.scalar_subquery().label("counted"))).unique().all()
        if rows:
            counted = rows[0].counted
        else:
            counted = (db.session.scalar(capped) or 0) if page > 1 else 0
        items = [row[0] for row in rows]
    else:
        items = list(db.session.scalars(query).unique())
    return Page(items[:per_page], page, per_page, min(counted, cap), counted <= cap,
                len(items) > per_page)


def _states(states: Iterable[str]) -> Any:
    """`status IN (...)` with the states inlined, so the planner can use the partial indexes
    whose predicate names them (models.PUBLIC_SQL, QUEUE_SQL)."""
    return Project.status.in_(
        bindparam("states", list(states), expanding=True, literal_execute=True))


def list_public(filters: ProjectFilters, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Public projects matching `filters`: the text search (search.py) combined with the
    place, sector and status filters, in the chosen order (newest by default)."""
    where = unfiltered = select(Project.id).where(_states(PUBLIC_STATES))
    if filters.status in PUBLIC_STATES:
        where = where.where(Project.status == filters.status)
    if filters.place_id:
        where = where.where(Project.place_id == filters.place_id)
    elif filters.district_id:
        where = where.where(Project.district_id == filters.district_id)
    elif filters.region_id:
        where = where.where(Project.region_id == filters.region_id)
    if filters.sector:
        where = where.where(Project.sector == filters.sector)
    matching = search.condition(db.engine.dialect.name, filters.query)
    if matching is not None:
        where = where.where(matching)
    order: Order
    if filters.sort == "supported":
        order = (("supporters", True), ("id", True))
    elif filters.sort == "waiting":
        where = where.where(Project.status == PUBLISHED)
        order = (("published_at", False), ("id", False))
    else:
        order = (("published_at", True), ("id", True))
    # A card shows the budget total (read with the row) but no photo nor budget line.
    lines = (select(func.sum(ProjectBudgetItem.amount_som))
             .where(ProjectBudgetItem.project_id == Project.id).correlate(Project)
             .scalar_subquery())
    return paginate(where, order, page, per_page, options=(
        lazyload(Project.budget_items), lazyload(Project.photos),
        with_expression(Project.listed_budget, func.coalesce(lines, Project.budget_som))),
        count_first=where is not unfiltered)


def list_home_first(region_id: int | None, offset: int, limit: int) -> tuple[list[Project], bool]:
    """Public projects, those of the region `region_id` first, newest first within each part
    (the bot's list for a member from that region); and whether more follow. At most three
    indexed queries, whatever the offset."""
    public = Project.status.in_(PUBLIC_STATES)
    newest = (Project.published_at.desc(), Project.id.desc())
    # A list shows no budget lines or photos: loaded only if someone asks for them.
    listed = select(Project).options(lazyload(Project.budget_items), lazyload(Project.photos))
    if region_id is None:
        rows = list(db.session.scalars(
            listed.where(public).order_by(*newest).offset(offset).limit(limit + 1)))
        return rows[:limit], len(rows) > limit
    home = and_(public, Project.region_id == region_id)
    others = and_(public, or_(Project.region_id != region_id, Project.region_id.is_(None)))
    home_count = db.session.scalar(select(func.count(Project.id)).where(home)) or 0
    found: list[Project] = []
    if offset < home_count:
        found = list(db.session.scalars(
            listed.where(home).order_by(*newest).offset(offset).limit(limit + 1)))
    wanted = limit + 1 - len(found)
    if wanted > 0:
        found += db.session.scalars(
            listed.where(others).order_by(*newest)
            .offset(max(0, offset - home_count)).limit(wanted))
    return found[:limit], len(found) > limit


def supported_ids(actor: Any, project_ids: Iterable[int]) -> set[int]:
    """Which of these projects `actor` supports (one query for a whole list)."""
    member_id, ids = getattr(actor, "id", None), list(project_ids)
    if member_id is None or not ids:
        return set()
    return set(db.session.scalars(
        select(ProjectSupport.project_id)
        .where(ProjectSupport.user_id == member_id, ProjectSupport.project_id.in_(ids))))
def filters_for_place(place: Place, **kwargs: Any) -> ProjectFilters:
    """The public projects of `place` and of the places inside it."""
    if place.level == LEVEL_REGION:
        return ProjectFilters(region_id=place.id, **kwargs)
    if place.level == LEVEL_DISTRICT:
        return ProjectFilters(district_id=place.id, **kwargs)
    return ProjectFilters(place_id=place.id, **kwargs)


def draft_of(project: Project) -> ProjectDraft:
    """What the edit form shows for `project`: its fields as the proposer wrote them."""
    return ProjectDraft(
        place_id=project.place_id, title=project.title, summary=project.summary,
        description=project.description, sector=project.sector,
        budget_som=project.budget_som,
        budget_items=[(item.label, item.amount_som) for item in project.budget_items],
        contributions=list(project.contributions or []), language=project.language,
        as_authority=project.origin == AUTHORITY)


def photo_for(user: Any, photo_id: int) -> ProjectPhoto:
    """A photo of a project `user` may see (else "not found", like the project)."""
    photo = db.session.get(ProjectPhoto, photo_id)
    if photo is None:
        raise NotFound(_l("This image does not exist."))
    get_visible_project(user, photo.project_id)
    return photo


def photo_is_public(photo: ProjectPhoto) -> bool:
    """Whether a visitor who is not logged in may see it, so shared caches may keep it."""
    return can(None, "projects.view", get_project(photo.project_id))


def own_projects(actor: User) -> list[Project]:
    return list(db.session.scalars(
        select(Project).where(Project.proposer_id == actor.id)
        .order_by(Project.updated_at.desc(), Project.id.desc()).limit(100)
    ))


def authority_queue(actor: User, page: int = 1) -> Any:
    """Published proposals for the actor's places (all for staff), oldest first."""
    require(actor, "projects.answer_queue")
    where = select(Project.id).where(_states((PUBLISHED, UNDER_REVIEW)))
    everywhere = can(actor, "projects.answer_any_place")
    if not everywhere:
        ids = sorted(verified_place_ids(actor))
        where = where.where(or_(Project.place_id.in_(ids), Project.district_id.in_(ids),
                                Project.region_id.in_(ids)))
    return paginate(where, (("published_at", False), ("id", False)), page, options=(
        lazyload(Project.budget_items), lazyload(Project.photos)),  # the queue shows neither
        count_first=not everywhere)


def days_waiting(project: Project, now: datetime | None = None) -> int | None:
    """Days a published proposal has waited for its authority's first answer."""
    if project.status != PUBLISHED or project.published_at is None:
        return None
    return ((now or utcnow()) - project.published_at).days


@dataclass
class AnswerStats:
    proposals: int  # published proposals of members for this place (answered or not)
    answered: int
    median_days: float | None

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.proposals if self.proposals else None


def place_answer_stats(place: Place) -> AnswerStats:
    """How the authorities of `place` (and places inside it) answer proposals: the share
    answered and the median time to the first answer."""
    if place.level == LEVEL_REGION:
        inside = Project.region_id == place.id
    elif place.level == LEVEL_DISTRICT:
        inside = Project.district_id == place.id
    else:
        inside = Project.place_id == place.id
    # Written out as models.ANSWERABLE_SQL is, so the partial indexes serve it.
    base = and_(inside, Project.origin == literal_column(f"'{MEMBER}'"),
                Project.published_at.is_not(None))
    if db.engine.dialect.name == "postgresql":
        proposals, answered, seconds = db.session.execute(
            select(func.count(), func.count(Project.answer_seconds),
                   func.percentile_cont(0.5).within_group(Project.answer_seconds))
            .where(base)
        ).one()
        median = float(seconds) / 86400 if seconds is not None else None
        return AnswerStats(proposals, answered, median)
    proposals, answered = db.session.execute(
        select(func.count(), func.count(Project.answer_seconds)).where(base)
    ).one()
    median = None
    if answered:
        # SQLite has no percentile_cont: the middle one or two of the ordered answer times,
        # read along the same index.
        middle = db.session.scalars(
            select(Project.answer_seconds).where(base, Project.answer_seconds.is_not(None))
            .order_by(Project.answer_seconds).offset((answered - 1) // 2)
            .limit(2 if answered % 2 == 0 else 1)
        ).all()
        median = sum(middle) / len(middle) / 86400 if middle else None
    return AnswerStats(proposals, answered, median)


# -- housekeeping ------------------------------------------------------------------------------


def flag_unanswered() -> int:
    """Flag to moderators the proposals published 30 days ago and still unanswered."""
    cutoff = utcnow() - UNANSWERED_AFTER
    due = db.session.scalars(
        select(Project).where(Project.status == PUBLISHED, Project.origin == MEMBER,
                              Project.published_at <= cutoff, Project.flagged_at.is_(None))
        .with_for_update(skip_locked=True, of=Project)
    ).all()
    now = utcnow()
    for project in due:
        project.flagged_at = now
        audit.record(None, "project.flag_unanswered", project,
                     after={"published_at": project.published_at.isoformat()})
    db.session.commit()
    return len(due)


def flagged_projects(actor: User) -> list[Project]:
    require(actor, "projects.answer_any_place")
    return list(db.session.scalars(
        select(Project).where(Project.flagged_at.is_not(None), Project.status == PUBLISHED)
        .order_by(Project.published_at).limit(200)
    ))


def awaiting_moderation(actor: User) -> list[Project]:
    require(actor, "projects.answer_any_place")
    return list(db.session.scalars(
        select(Project).where(Project.status == SUBMITTED).order_by(Project.submitted_at)
        .limit(200)
    ))

