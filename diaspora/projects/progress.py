"""The progress of an accepted project: updates with photos, milestones, money raised and
spent, reported by its proposer or a verified authority of its place (the rule
"projects.report_progress"), and followed by its supporters.

Every change is audited; an update is told to the proposer and the supporters (notification
kind "project.update", which the notifications feature may gather into a digest). Updates are
Markdown rendered and cleaned once, when written; pages show the stored HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import can, require
from diaspora.errors import InvalidTransition, NotFound, ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.images import ProcessedImage
from diaspora.models import utcnow
from diaspora.moderation import audit, spam
from diaspora.notifications.service import notify_all
from diaspora.projects import lifecycle
from diaspora.projects.messages import UPDATE_TEMPLATE
from diaspora.projects.models import (
    AUTHORITY,
    MILESTONE_DONE,
    MILESTONE_PLANNED,
    MILESTONE_STATES,
    PROGRESS_STATES,
    Project,
    ProjectMilestone,
    ProjectSupport,
    ProjectUpdate,
    ProjectUpdatePhoto,
)
from diaspora.projects.permissions import reports_progress_of
from diaspora.projects.service import (
    MAX_PHOTOS,
    _text,
    clean_som,
    get_project,
    get_visible_project,
    processed_photos,
)
from diaspora.rendering import html_words, render_markdown, shorten

UPDATE_MAX = 10_000
MILESTONE_TITLE_MAX = 200
MAX_MILESTONES = 50
# Updates a project page shows (newest first); a project with more is a rare, long one.
UPDATES_SHOWN = 100
# What the Telegram message quotes of an update.
UPDATE_EXCERPT = 600
# A planned date a person could mean.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _require_reporter(actor: Any, project: Project) -> None:
    """Refused, saying why: the state to those who could report later, else the permission."""
    if project.status not in PROGRESS_STATES and reports_progress_of(actor, project):
        raise InvalidTransition(_l(
            "Progress can be reported once the project is accepted; it is “%(state)s”.",
            state=lifecycle.STATE_LABELS[project.status]))
    require(actor, "projects.report_progress", project)


def _part(actor: User, project: Project) -> str:
    """The part the page names: the proposer, unless the authority proposed it or writes."""
    if actor.id == project.proposer_id and project.origin != AUTHORITY:
        return lifecycle.PROPOSER
    return lifecycle.PLACE_AUTHORITY


def clean_money(value: int | str | None, field_: str) -> int | None:
    """An amount of som reported as raised or spent: empty (not said), else 0 or more, at most
    service.BUDGET_MAX (a negative amount or one past 64 bits is refused, saying which)."""
    if (isinstance(value, int) and value < 0) or str(value or "").strip().startswith(("-", "−")):
        raise ValidationError(_l("An amount cannot be negative."), field=field_)
    return clean_som(value, field_)


# -- updates -----------------------------------------------------------------------------------


def post_update(actor: User, project: Project, body: str, *, language: str | None = None,
                photos: Sequence[bytes | ProcessedImage] = ()) -> ProjectUpdate:
    """Post a progress update (Markdown, up to five photos) and tell the proposer and the
    supporters."""
    _require_reporter(actor, project)
    text = _text(body, UPDATE_MAX, "body", required=True)
    spam.check_links(actor, text, field="body")
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(_l("At most %(n)s photos.", n=MAX_PHOTOS), field="photos")
    pictures = processed_photos(photos)
    update = ProjectUpdate(
        project_id=project.id, author_id=actor.id, part=_part(actor, project), body=text,
        body_html=str(render_markdown(text)),
        language=language if language in SUPPORTED_LOCALES else project.language,
        created_at=utcnow(),
        photos=[ProjectUpdatePhoto.from_processed(p, position=index)
                for index, p in enumerate(pictures)])
    db.session.add(update)
    db.session.flush()
    audit.record(actor, "project.update", project,
                 after={"update_id": update.id, "photos": len(pictures)})
    _notify_followers(actor, project, update)
    db.session.commit()
    return update


def followers(project: Project) -> Select:
    """Who follows a project's progress, as a SELECT of user ids: its proposer and its
    supporters."""
    supporters = select(ProjectSupport.user_id).where(ProjectSupport.project_id == project.id)
    return select(User.id).where(or_(User.id.in_(supporters), User.id == project.proposer_id))


def _notify_followers(actor: User, project: Project, update: ProjectUpdate) -> None:
    url = f"/projects/{project.id}#update-{update.id}"
    params = {"title": project.title, "part": update.part,
              "text": shorten(html_words(update.body_html), UPDATE_EXCERPT),
              "photos": len(update.photos), "url": url}
    # Set-based, however many supporters; at most one Telegram message a day each (digest).
    notify_all(followers(project), "project.update", UPDATE_TEMPLATE, params, url=url,
               actor=actor)


def update_photo_for(user: Any, photo_id: int) -> ProjectUpdatePhoto:
    """A photo of an update of a project `user` may see (else "not found", like the project)."""
    photo = db.session.get(ProjectUpdatePhoto, photo_id)
    if photo is None:
        raise NotFound(_l("This image does not exist."))
    update = db.session.get(ProjectUpdate, photo.update_id)
    get_visible_project(user, update.project_id)
    return photo


def update_photo_is_public(photo: ProjectUpdatePhoto) -> bool:
    """Whether a visitor who is not logged in may see it, so shared caches may keep it."""
    update = db.session.get(ProjectUpdate, photo.update_id)
    return can(None, "projects.view", get_project(update.project_id))


# -- milestones --------------------------------------------------------------------------------


def clean_planned_on(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        planned = value
    elif not value.strip():
        return None
    else:
        try:
            planned = date.fromisoformat(value.strip())
        except ValueError as error:
            raise ValidationError(_l("Give the date as year-month-day, e.g. 2027-05-31."),
                                  field="planned_on") from error
    if planned is not None and not FIRST_YEAR <= planned.year <= LAST_YEAR:
        raise ValidationError(_l("Choose a date between %(first)s and %(last)s.",
                                 first=FIRST_YEAR, last=LAST_YEAR), field="planned_on")
    return planned


def add_milestone(actor: User, project: Project, title: str,
                  planned_on: date | str | None = None) -> ProjectMilestone:
    _require_reporter(actor, project)
    title = _text(title, MILESTONE_TITLE_MAX, "milestone_title", required=True)
    planned = clean_planned_on(planned_on)
    count, last = db.session.execute(
        select(func.count(), func.max(ProjectMilestone.position))
        .where(ProjectMilestone.project_id == project.id)).one()
    if count >= MAX_MILESTONES:
        raise ValidationError(_l("At most %(n)s milestones.", n=MAX_MILESTONES),
                              field="milestone_title")
    milestone = ProjectMilestone(project_id=project.id, title=title, planned_on=planned,
                                 status=MILESTONE_PLANNED, position=(last or 0) + 1,
                                 created_at=utcnow())
    db.session.add(milestone)
    db.session.flush()
    audit.record(actor, "project.milestone_add", milestone,
                 after={"project_id": project.id, "title": title,
                        "planned_on": planned.isoformat() if planned else None})
    db.session.commit()
    return milestone


def get_milestone(project: Project, milestone_id: int) -> ProjectMilestone:
    milestone = db.session.get(ProjectMilestone, milestone_id)
    if milestone is None or milestone.project_id != project.id:
        raise NotFound(_l("This milestone does not exist."))
    return milestone


def set_milestone_status(actor: User, milestone: ProjectMilestone,
                         status: str) -> ProjectMilestone:
    """Mark a milestone done (or planned again, after a mistake)."""
    project = get_project(milestone.project_id)
    _require_reporter(actor, project)
    if status not in MILESTONE_STATES:
        raise InvalidTransition(_l("Unknown action."))
    if milestone.status == status:
        raise InvalidTransition(_l("This milestone is already done.") if status == MILESTONE_DONE
                                else _l("This milestone is already planned."))
    before = milestone.status
    milestone.status = status
    milestone.done_at = utcnow() if status == MILESTONE_DONE else None
    audit.record(actor, "project.milestone_status", milestone, before={"status": before},
                 after={"status": status, "project_id": project.id})
    db.session.commit()
    return milestone


def remove_milestone(actor: User, milestone: ProjectMilestone) -> None:
    project = get_project(milestone.project_id)
    _require_reporter(actor, project)
    audit.record(actor, "project.milestone_remove", milestone,
                 before={"project_id": project.id, "title": milestone.title,
                         "status": milestone.status}, after=None)
    db.session.delete(milestone)
    db.session.commit()


# -- money -------------------------------------------------------------------------------------


def set_money(actor: User, project: Project, raised: int | str | None,
              spent: int | str | None) -> Project:
    """Money raised and spent so far, in som (empty: not said)."""
    _require_reporter(actor, project)
    raised_som = clean_money(raised, "raised_som")
    spent_som = clean_money(spent, "spent_som")
    before = {"raised_som": project.raised_som, "spent_som": project.spent_som}
    project.raised_som, project.spent_som = raised_som, spent_som
    audit.record(actor, "project.money", project, before=before,
                 after={"raised_som": raised_som, "spent_som": spent_som})
    db.session.commit()
    return project


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownUpdate:
    update: ProjectUpdate
    # Whom to name: a display name the author chose (a proposer, an authority's account);
    # an erased author is nameless.
    name: str | None


@dataclass(frozen=True)
class Progress:
    updates: list[ShownUpdate]
    milestones: list[ProjectMilestone]
    raised: int | None
    spent: int | None
    budget: int | None
    # Older updates exist beyond the UPDATES_SHOWN newest: the page says so.
    more_updates: bool = False

    @property
    def percent_raised(self) -> int | None:
        """Raised as a share of the budget, 0–100 (more than the budget shows as full)."""
        if self.raised is None or not self.budget:
            return None
        return min(100, self.raised * 100 // self.budget)

    @property
    def milestones_done(self) -> int:
        return sum(1 for m in self.milestones if m.status == MILESTONE_DONE)

    @property
    def empty(self) -> bool:
        return not (self.updates or self.milestones or self.raised is not None
                    or self.spent is not None)


def progress_of(project: Project) -> Progress:
    """What the project page shows: a fixed number of queries however many updates and
    photos (updates with their authors joined, their photos in one more query)."""
    updates = db.session.scalars(
        select(ProjectUpdate).where(ProjectUpdate.project_id == project.id)
        .order_by(ProjectUpdate.created_at.desc(), ProjectUpdate.id.desc())
        .limit(UPDATES_SHOWN + 1)).unique().all()
    milestones = list(db.session.scalars(
        select(ProjectMilestone).where(ProjectMilestone.project_id == project.id)
        .order_by(ProjectMilestone.position, ProjectMilestone.id)))
    shown = [ShownUpdate(u, _display_name(u.author)) for u in updates[:UPDATES_SHOWN]]
    return Progress(shown, milestones, project.raised_som, project.spent_som,
                    project.budget_total, more_updates=len(updates) > UPDATES_SHOWN)


def _display_name(user: User | None) -> str | None:
    profile = getattr(user, "profile", None)
    return profile.display_name if profile is not None and profile.display_name else None
