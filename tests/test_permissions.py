"""The permission walker: every route, every method, every role, every object state.

Each case of ROUTES is one (route, method, object state); the walker runs it once per role,
each time in a freshly built world (the six users, the objects the state asks for), with
CSRF protection on and a token fetched from a page the user can open, as a browser would.
It compares the whole database before and after the request:

- a refused request (a login redirect, a 4xx, a form shown again) changed nothing;
- a POST answered with a redirect did what it was for (something changed), unless the case
  says otherwise (a redirect with a flash that refuses, say "already published");
- a GET never changes stored data.

Every POST is also sent without a CSRF token, by every role, and must be refused (400) with
nothing changed.

A route (or one of its methods) missing from ROUTES fails the first test, so a page cannot
ship without someone deciding who may open it. Adding a route is one entry in ROUTES.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from diaspora.accounts.models import AuthorityPlace, User
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.news import service as news
from diaspora.news.models import DRAFT, HOME, PUBLISHED, SCHEDULED, UNPUBLISHED, NewsPost
from diaspora.places.models import Place
from tests.conftest import KEPT_TABLES, PASSWORD, _clean_database, login

ROLES = ("anonymous", "member", "authority_here", "authority_elsewhere", "moderator", "admin")
STAFF_ROLES = ("moderator", "admin")
WHERE = ("here", "elsewhere")  # the place an object belongs to; its authority is "own"
POST_STATES = (DRAFT, SCHEDULED, PUBLISHED, UNPUBLISHED)

LOGIN = "login"  # anonymous visitors are sent to the login page
CHANGES = "changes"  # the request must change stored data
UNCHANGED = "unchanged"  # it must not


@dataclass(frozen=True)
class Answer:
    """What one role gets: a status (or LOGIN) and what happens to stored data.

    `effect` is CHANGES or UNCHANGED; None means the usual: a POST answered with a redirect
    changes data, anything else changes nothing."""

    status: int | str
    effect: str | None = None


Expected = int | str | Answer


def answers(default: Expected, **per_role: Expected) -> dict[str, Answer]:
    table = dict.fromkeys(ROLES, default)
    table.update(per_role)
    return {role: value if isinstance(value, Answer) else Answer(value)
            for role, value in table.items()}


def writers(where: str, allowed: Expected, refused: Expected = 403,
            anonymous: Expected = LOGIN) -> dict[str, Answer]:
    """Staff, and the authority of the object's place; other members are refused."""
    return answers(refused, anonymous=anonymous, **{f"authority_{where}": allowed},
                   **dict.fromkeys(STAFF_ROLES, allowed))


PUBLIC = answers(200)
MEMBERS = answers(200, anonymous=LOGIN)
STAFF = answers(403, anonymous=LOGIN, moderator=200, admin=200)
STAFF_DO = answers(403, anonymous=LOGIN, moderator=302, admin=302)
ADMINS = answers(403, anonymous=LOGIN, admin=200)
VISITORS_ONLY = answers(302, anonymous=200)  # a logged-in user is sent to their account
# A redirect with a flash that says why nothing happened.
REDIRECT_NOTHING_DONE = Answer(302, UNCHANGED)


# -- the world each request runs in ------------------------------------------------------------

_chat_ids = count(7_000_001)


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    return buffer.getvalue()


class World:
    """The users of every role and, made on demand, the objects a case acts on."""

    def __init__(self, make_user: Callable[..., User], place_ids: Mapping[str, int]) -> None:
        self.places = {name: db.session.get(Place, pid) for name, pid in place_ids.items()}
        # A community inside the district "here": its authority speaks for it too.
        self.places["inside here"] = db.session.scalar(
            sa.select(Place).where(Place.district_id == place_ids["here"])
            .order_by(Place.code).limit(1))
        assert self.places["inside here"] is not None
        self.last: Any = None  # the object the case's url made, for its data
        self.acting: User | None = None
        here, elsewhere = self.places["here"], self.places["elsewhere"]
        self.make_user = make_user
        # The member can be reached on Telegram, so a pushed post queues a message.
        self.users: dict[str, User | None] = {
            "anonymous": None,
            "member": make_user("member", home=here, telegram_chat_id=next(_chat_ids)),
            "authority_here": make_user("authority", places=(here,)),
            "authority_elsewhere": make_user("authority", places=(elsewhere,)),
            "moderator": make_user("moderator"),
            "admin": make_user("admin"),
        }

    def place(self, where: str) -> Place:
        return self.places[where]

    def post(self, status: str = PUBLISHED, where: str = "here") -> NewsPost:
        """A post by the authority of `where`, about it, with an image, pushed to Telegram."""
        author = self.users[f"authority_{where}"]
        post = news.save_post(author, title={"en": "Road repaired"}, body={"en": "Done."},
                              audience=HOME, place_id=self.place(where).id, image=_png(),
                              push_telegram=True)
        if status == SCHEDULED:
            news.publish(author, post, at=utcnow() + timedelta(days=1))
        elif status in (PUBLISHED, UNPUBLISHED):
            news.publish(author, post)
        if status == UNPUBLISHED:
            news.unpublish(self.users["moderator"], post)
        assert post.status == status
        return post

    def authority_request(self, who: str = "applicant", *, verified: bool = False,
                          document: bool = False) -> AuthorityPlace:
        """A request to speak for a third place, by a new applicant or by `who`."""
        applicant = (self.make_user("authority") if who == "applicant" else self.users[who])
        third = db.session.scalar(sa.select(Place).where(
            Place.level == 2, Place.id.not_in([p.id for p in self.places.values()]))
            .order_by(Place.code).limit(1))
        link = AuthorityPlace(user_id=applicant.id, place_id=third.id, organisation="X",
                              position="Head", verified_at=utcnow() if verified else None)
        if document:
            link.document, link.document_type, link.document_size = (
                b"%PDF-1.4 walker", "application/pdf", 15)
        db.session.add(link)
        db.session.commit()
        return link


def snapshot() -> dict[str, list[str]]:
    """Every stored row, table by table (the shipped gazetteer left out)."""
    tables = set(sa.inspect(db.engine).get_table_names())
    rows: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name not in tables or (table.name in KEPT_TABLES and table.name != "places"):
                continue
            query = sa.select(table)
            if table.name == "places":
                query = query.where(table.c.added_by_id.is_not(None))
            rows[table.name] = sorted(repr(tuple(row)) for row in conn.execute(query))
    return rows


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys()
                  if before.get(name) != after.get(name))


_INPUT = re.compile(r"<input\b[^>]*>")
_VALUE = re.compile(r'\bvalue="([^"]+)"')


def fetch_csrf_token(client: FlaskClient, url: str) -> str:
    """The token a browser would send: from the form itself when this user may open it,
    else from a page every user can open (the log-out form, the log-in form)."""
    for page in (url, "/", "/login"):
        response = client.get(page)
        if response.status_code != 200:
            continue
        for tag in _INPUT.findall(response.get_data(as_text=True)):
            value = _VALUE.search(tag)
            if 'name="csrf_token"' in tag and value:
                return value.group(1)
    raise AssertionError(f"no page gave a CSRF token for {url}")


# -- the table -----------------------------------------------------------------------------------


@dataclass
class Case:
    """One request shape. `url` and `data` are built in the world of each run: `url` first,
    so `data` can use what `url` made (World.last). `xfail` names a known, filed bug the
    case exposes (strict: the mark must go once the bug is fixed)."""

    method: str
    url: Callable[[World], str] | str
    expected: dict[str, Answer]
    data: Callable[[World], dict] | dict = field(default_factory=dict)
    state: str = ""
    xfail: str | None = None


def _post_url(status: str, where: str, suffix: str = "") -> Callable[[World], str]:
    def url(world: World) -> str:
        world.last = world.post(status, where)
        return f"/news/{world.last.id}{suffix}"

    return url


def _image_url(status: str, where: str, query: str = "") -> Callable[[World], str]:
    def url(world: World) -> str:
        return f"/news/images/{world.post(status, where).image.id}{query}"

    return url


def _news_form(title: str, where: str | None, action: str) -> Callable[[World], dict]:
    def data(world: World) -> dict:
        form = {"title_en": title, "body_en": "Text.", "action": action}
        if where is None:
            form.update(audience="everyone", place_id="")
        else:
            place_id = str(world.place(where).id)
            form.update(audience="home", place_id=place_id, place_ids=[place_id])
        return form

    return data


def _visible(status: str, where: str) -> dict[str, Answer]:
    return PUBLIC if status == PUBLISHED else writers(where, 200, refused=404, anonymous=404)


def _news_edit_answer(status: str, action: str) -> Answer:
    if action == "publish" and status == PUBLISHED:
        return Answer(200, CHANGES)  # the edit is saved, then "already published" is shown
    return Answer(302)


def _news_edit_cases() -> Iterator[Case]:
    for status in POST_STATES:
        for where in WHERE:
            for action in ("draft", "publish"):
                expected = writers(where, _news_edit_answer(status, action))
                if status == UNPUBLISHED and action == "publish":
                    # Unpublishing is a moderator's decision; only a moderator reverses it:
                    # the author's edit is saved, the post stays down (no broadcast).
                    expected[f"authority_{where}"] = Answer(200, CHANGES)
                yield Case("POST", _post_url(status, where, "/edit"), expected,
                           _news_form("Edited", where, action), f"{status}/{where}/{action}")


def _unpublish_answer(status: str) -> Answer:
    return Answer(302) if status in (PUBLISHED, SCHEDULED) else REDIRECT_NOTHING_DONE


def _change_role_url(target: str) -> Callable[[World], str]:
    def url(world: World) -> str:
        # Anonymous visitors have no self: they aim at a member.
        user = (world.make_user("member") if target == "another"
                else world.acting or world.users["member"])
        return f"/admin/users/{user.id}/role"

    return url


# The authenticator secret of the walker's enrolled staff: the walker computes their codes.
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _enrol(user: User) -> None:
    from diaspora.accounts.models import StaffTotp

    db.session.add(StaffTotp(user_id=user.id, totp_secret=STAFF_TOTP_SECRET))
    db.session.commit()


def _staff_enrolled(url: str) -> Callable[[World], str]:
    """The moderator and the admin have set up their authenticator."""
    def enrolled(world: World) -> str:
        for role in STAFF_ROLES:
            _enrol(world.users[role])
        return url

    return enrolled


def _totp_code(right: bool) -> Callable[[World], dict]:
    def data(world: World) -> dict:
        import pyotp

        code = pyotp.TOTP(STAFF_TOTP_SECRET).now()
        return {"code": code if right else f"{(int(code) + 500_000) % 1_000_000:06d}"}

    return data


def _reset_two_factor_url(target: str) -> Callable[[World], str]:
    def url(world: World) -> str:
        # Anonymous visitors have no self: they aim at a member.
        user = (world.make_user("moderator") if target == "another"
                else world.acting or world.users["member"])
        _enrol(user)
        return f"/admin/users/{user.id}/two-factor/reset"

    return url


def _decide_url(decision: str, who: str, verified: bool) -> Callable[[World], str]:
    def url(world: World) -> str:
        link = world.authority_request(who, verified=verified)
        return f"/moderation/authorities/{link.id}/{decision}"

    return url


def _document_url(who: str, document: bool = True) -> Callable[[World], str]:
    def url(world: World) -> str:
        link = world.authority_request(who, document=document)
        return f"/moderation/authorities/{link.id}/document"

    return url


REASON = {"reason": "The order names someone else."}


def _authority_form(where: str) -> Callable[[World], dict]:
    return lambda world: {"position": "Head", "organisation": "Walker aiyl okmotu",
                          "place_id": str(world.place(where).id)}


def _broadcast_url(suffix: str = "", *, cancelled: bool = False) -> Callable[[World], str]:
    def url(world: World) -> str:
        post = world.post()
        if cancelled:
            from diaspora.delivery import service as delivery

            delivery.cancel_broadcast(world.users["moderator"],
                                      delivery.get_broadcast(post.broadcast_id))
        return f"/broadcasts/{post.broadcast_id}{suffix}"

    return url


def _login_link_url(world: World) -> str:
    from diaspora.accounts import telegram

    return f"/login/telegram/{telegram.issue_login_token(world.users['member'].telegram_chat_id)}"


def _link_code_form(chat: str) -> Callable[[World], dict]:
    """A live /link code from a Telegram chat that has no account yet, a bot-only account,
    or an account with its own e-mail and password."""
    def data(world: World) -> dict:
        from diaspora.accounts import telegram

        chat_id = next(_chat_ids)
        if chat == "a bot-only account":
            db.session.add(User(telegram_chat_id=chat_id, role="member", locale="en"))
            db.session.commit()
        elif chat == "an account with a password":
            world.make_user("member", telegram_chat_id=chat_id)
        return {"code": telegram.issue_link_code(chat_id)}

    return data


# -- projects ------------------------------------------------------------------------------------

# The path from a draft to each state a case needs (who takes each step is worked out below).
_PROJECT_STEPS = {
    "draft": (), "submitted": ("submit",), "returned": ("submit", "return"),
    "published": ("submit", "publish"), "accepted": ("submit", "publish", "accept"),
    "withdrawn": ("submit", "withdraw"), "archived": ("submit", "publish", "archive"),
}


def make_project(world: World, status: str = "published", where: str = "here",
                 by: str = "member") -> Any:
    """A project for `where` with a photo, proposed by `by` ("member": the walker's member;
    "another": a member who is none of the roles; "authority": the authority of `where`,
    posting as such), moved to `status`."""
    from diaspora.moderation import spam
    from diaspora.projects import service as projects

    proposer = {"member": world.users["member"], "another": None,
                "authority": world.users[f"authority_{where}"]}[by] or world.make_user("member")
    project = projects.save_project(proposer, projects.ProjectDraft(
        place_id=world.place(where).id, title="Clean water", summary="A pump for the school",
        budget_items=[("Pump", "1000")], photos=[_png()], as_authority=by == "authority"))
    with spam.suspended():  # the cases' set-up, not posts held to a member's daily limits
        for action in _PROJECT_STEPS[status]:
            actor = {"submit": proposer, "withdraw": proposer,
                     "accept": world.users[f"authority_{where}"]}.get(action,
                                                                      world.users["moderator"])
            projects.transition(actor, project, action, note="Because")
    assert project.status == status or (by == "authority" and status == "published")
    return project


def _project_url(status: str = "published", suffix: str = "", *, where: str = "here",
                 by: str = "member", supported: bool = False) -> Callable[[World], str]:
    def url(world: World) -> str:
        world.last = make_project(world, status, where, by)
        if supported and world.acting is not None:
            from diaspora.projects import service as projects

            projects.support(world.acting, world.last)
        return f"/projects/{world.last.id}{suffix}"

    return url


def _queue_key(world: World) -> str:
    """The moderators' queue entry of the project the case just made."""
    from diaspora.moderation import queue

    return next(item.key for item in queue.pending_items(None, "project")
                if item.item_id == world.last.id)


def _with_project(status: str, page: str) -> Callable[[World], str]:
    """`page` (a list), with a project in it."""
    def url(world: World) -> str:
        world.last = make_project(world, status)
        return page

    return url


def _project_photo_url(status: str, by: str = "member", query: str = ""
                       ) -> Callable[[World], str]:
    def url(world: World) -> str:
        return f"/projects/photos/{make_project(world, status, by=by).photos[0].id}{query}"

    return url


def _project_form(where: str, action: str = "draft", *, as_authority: bool = False
                  ) -> Callable[[World], dict]:
    def data(world: World) -> dict:
        form = {"place_id": str(world.place(where).id), "title": "Школага суу",
                "summary": "Насос", "sector": "water", "language": "ky",
                "budget_label": ["Насос"], "budget_amount": ["1000"],
                "contributions": ["money"], "action": action}
        if as_authority:
            form["as_authority"] = "y"
        return form

    return data


def _act(action: str, note: str = "") -> dict:
    return {"action": action, "note": note, "language": "ru"}


# Who sees a project that is not public: its proposer and staff; for everyone else it does
# not exist (404, anonymous visitors too).
PROJECT_PRIVATE = answers(404, member=200, moderator=200, admin=200)


# Pages behind a login on a project only its proposer and staff see.
def _private_project(proposer: Expected, staff: Expected) -> dict[str, Answer]:
    return answers(404, anonymous=LOGIN, member=proposer, moderator=staff, admin=staff)


def _public_project(default: Expected, **per_role: Expected) -> dict[str, Answer]:
    return answers(default, anonymous=LOGIN, **per_role)


PROJECT_STATES = ("draft", "submitted", "returned", "published", "accepted", "withdrawn",
                  "archived")
PUBLIC_PROJECT_STATES = ("published", "accepted")


# -- comments on projects and reports ------------------------------------------------------------


def make_comment(world: World, by: str = "another", *, status: str = "published",
                 hidden: bool = False, minutes_ago: int = 0) -> Any:
    """A question on a project of "here" proposed by the walker's member, written by `by`
    ("another": a member who is none of the roles; or a role's name), then hidden by the
    admin, or aged, or the project moved on to `status` (archived)."""
    from diaspora.projects import comments

    project = make_project(world, "published")
    author = world.make_user("member") if by == "another" else world.users[by]
    comment = comments.add_comment(author, project, "Когда начнёте?", kind="question")
    if hidden:
        comments.hide_comment(world.users["admin"], comment)
    if minutes_ago:
        comment.created_at -= timedelta(minutes=minutes_ago)
        db.session.commit()
    if status != "published":
        from diaspora.projects import service as projects

        projects.transition(world.users["moderator"], project, "archive")
    return comment


def _comment_url(suffix: str = "", by: str = "another", **kwargs: Any) -> Callable[[World], str]:
    def url(world: World) -> str:
        world.last = make_comment(world, by, **kwargs)
        return f"/projects/comments/{world.last.id}{suffix}"

    return url


def _answer_form(world: World) -> dict:
    return {f"a{world.last.id}-body": "Жазында", f"a{world.last.id}-language": "ky"}


def _report_url(kind: str, *, by: str = "another", reported: bool = False,
                status: str = "published") -> Callable[[World], str]:
    """The report form of a comment written by `by`, or of a project (`by` "member": the
    walker's member proposed it), reported before by the acting user when `reported`."""
    def url(world: World) -> str:
        if kind == "project":
            world.last = make_project(world, status, by=by)
        else:
            world.last = make_comment(world, by)
        if reported and world.acting is not None:
            from diaspora.moderation import reports

            reports.report(world.acting, kind, world.last.id, "spam")
        return f"/report/{kind}/{world.last.id}"

    return url


def _with_report(world: World) -> str:
    from diaspora.moderation import reports

    reports.report(world.users["member"], "project_comment", make_comment(world).id, "spam")
    return "/moderation/reports"


def _linked_chat(page: str) -> Callable[[World], str]:
    """`page` ({id}: the link's id), with a moderators' Telegram chat linked."""
    def url(world: World) -> str:
        from diaspora.moderation.models import ModerationChat

        world.last = ModerationChat(chat_id=-100_000_000_000 - next(_chat_ids), title="Mods",
                                    locale="ky", linked_by_id=world.users["moderator"].id)
        db.session.add(world.last)
        db.session.commit()
        return page.format(id=world.last.id)

    return url


NEW_PASSWORD = "Zq8vT3pLw9xR-ambyr"

# -- survey results ------------------------------------------------------------------------------


def _results_survey(world: World, state: str) -> Any:
    """A survey by the moderator: a draft; or open and answered by the member (and 5 others,
    so results show), its results published or not."""
    from diaspora.surveys import service as surveys

    moderator = world.users["moderator"]
    survey = surveys.create_survey(moderator, surveys.SurveySettings(title={"en": "Walk"}))
    surveys.save_question(moderator, survey, surveys.QuestionSpec(
        "single", {"en": "Which?"}, options=[surveys.OptionSpec({"en": "A"}),
                                             surveys.OptionSpec({"en": "B"})]))
    surveys.save_question(moderator, survey, surveys.QuestionSpec(
        "short_text", {"en": "Why?"}, required=False))
    if state == "draft":
        return survey
    surveys.open_survey(moderator, survey)
    answer = {survey.questions[0].id: str(survey.questions[0].options[0].id),
              survey.questions[1].id: "Because"}
    for member in [world.users["member"], *(world.make_user("member") for _ in range(5))]:
        surveys.submit_response(member, survey, answer)
    if state == "published":
        surveys.set_results_published(moderator, survey, True)
    return survey


def _results_url(state: str, suffix: str = "") -> Callable[[World], str]:
    def url(world: World) -> str:
        world.last = survey = _results_survey(world, state)
        path = suffix.replace("<text>", str(survey.questions[1].id)).replace(
            "<choice>", str(survey.questions[0].id))
        return f"/surveys/{survey.id}/results{path}"

    return url


# Staff read any results; the member who answered reads them once they are published.
_READ_PUBLISHED = answers(403, anonymous=LOGIN, member=200, moderator=200, admin=200)


# One entry per endpoint: a Case per method and object state. A new staff-only form, say:
#   "surveys.create": [Case("GET", "/surveys/new", STAFF),
#                      Case("POST", "/surveys/new", STAFF_DO, {"title_en": "Water"})],
# STAFF_DO expects staff's POST to redirect having changed something, everyone else to be
# refused with nothing changed; `answers(default, role=...)` writes any other table.
ROUTES: dict[str, list[Case]] = {
    # The chat page with the local Bot API is there only when `flask serve` runs one on
    # loopback: never in the walker's app (tests/devchat/ tests it running).
    "devchat.chat": [Case("GET", "/dev/chat", answers(404))],
    "devchat.messages": [Case("GET", "/dev/chat/7000001/messages", answers(404))],
    "devchat.file": [Case("GET", "/dev/chat/file/AgACAgIAAxkBAAI000001TestFileId",
                          answers(404))],
    **{endpoint: [Case("POST", url, answers(404), {"text": "/start"})] for endpoint, url in (
        ("devchat.send", "/dev/chat/7000001/send"),
        ("devchat.press", "/dev/chat/7000001/press"),
        ("devchat.photo", "/dev/chat/7000001/photo"),
        ("devchat.language", "/dev/chat/7000001/language"),
        ("devchat.add_user", "/dev/chat/users"),
        ("devchat.restart", "/dev/chat/restart"),
    )},
    "main.index": [Case("GET", "/", PUBLIC)],
    "main.privacy": [Case("GET", "/privacy", PUBLIC)],
    "main.healthz": [Case("GET", "/healthz", PUBLIC)],
    "accounts.register": [
        Case("GET", "/register", VISITORS_ONLY),
        Case("POST", "/register", answers(REDIRECT_NOTHING_DONE, anonymous=302),
             {"email": "walker@example.org", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
              "accept_privacy": "y"}),
    ],
    "accounts.login": [
        Case("GET", "/login", VISITORS_ONLY),
        # Logging in records the time of the login.
        Case("POST", "/login", answers(REDIRECT_NOTHING_DONE, anonymous=302),
             lambda w: {"email": w.users["member"].email, "password": PASSWORD}),
    ],
    # Logging out ends every session of the account (its session version changes).
    "accounts.logout": [Case("POST", "/logout", answers(302, anonymous=REDIRECT_NOTHING_DONE))],
    "accounts.account": [Case("GET", "/account", MEMBERS)],
    "accounts.edit_profile": [
        Case("GET", "/account/profile", MEMBERS),
        Case("POST", "/account/profile", answers(302, anonymous=LOGIN),
             lambda w: {"display_name": "Walker", "country_code": "KZ", "city": "Almaty",
                        "home_place_id": str(w.place("here").id), "locale": "en"}),
    ],
    "accounts.request_authority": [
        Case("GET", "/account/authority", answers(200, anonymous=LOGIN, moderator=403,
                                                  admin=403)),
        *(Case("POST", "/account/authority",
               # Asking again for the place one already speaks for shows the form again.
               answers(302, anonymous=LOGIN, moderator=403, admin=403,
                       **{f"authority_{where}": 200}),
               _authority_form(where), f"place {where}") for where in WHERE),
    ],
    "accounts.download_data": [Case("GET", "/account/data.json", MEMBERS)],
    "accounts.delete_account": [
        Case("GET", "/account/delete", MEMBERS),
        Case("POST", "/account/delete", answers(302, anonymous=LOGIN), {"confirm": "y"}),
    ],
    "accounts.link_telegram": [
        Case("POST", "/account/telegram/link",
             answers(REDIRECT_NOTHING_DONE, anonymous=LOGIN), {"code": "x"}, "unknown code"),
        # The first step only shows whose chat it is.
        Case("POST", "/account/telegram/link", answers(200, anonymous=LOGIN),
             _link_code_form("a bot-only account"), "code of a bot-only account"),
    ],
    "accounts.confirm_link_telegram": [
        Case("POST", "/account/telegram/link/confirm",
             answers(REDIRECT_NOTHING_DONE, anonymous=LOGIN), {"code": "x"}, "unknown code"),
        *(Case("POST", "/account/telegram/link/confirm", answers(302, anonymous=LOGIN),
               _link_code_form(chat), f"code of {chat}") for chat in ("a new chat",
                                                                    "a bot-only account")),
        # A chat whose account has its own login is never folded into another account.
        Case("POST", "/account/telegram/link/confirm",
             answers(REDIRECT_NOTHING_DONE, anonymous=LOGIN),
             _link_code_form("an account with a password"), "code of an account with a login"),
    ],
    # "Join my Telegram chat in one tap": the page (no bot on the walker's site: no code).
    "accounts.join_telegram": [Case("GET", "/account/telegram/join", MEMBERS)],
    "accounts.confirm_join_telegram": [
        Case("POST", "/account/telegram/join/confirm",
             answers(REDIRECT_NOTHING_DONE, anonymous=LOGIN), {"token": "1"}, "no chat asked"),
    ],
    "accounts.change_password": [
        Case("GET", "/account/password", MEMBERS),
        Case("POST", "/account/password", answers(302, anonymous=LOGIN),
             {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ],
    "accounts.logout_everywhere": [
        Case("POST", "/account/logout-everywhere", answers(302, anonymous=LOGIN))
    ],
    # A used, expired or unknown login link is gone for everyone.
    "accounts.login_telegram": [
        Case("GET", "/login/telegram/not-a-token", answers(410), state="unknown link"),
        Case("POST", "/login/telegram/not-a-token", answers(410), state="unknown link"),
        # Whoever holds a live link logs in as the chat's member (the link is the secret);
        # looking at it does not use it up.
        Case("GET", _login_link_url, answers(200), state="live link"),
        Case("POST", _login_link_url, answers(302), state="live link"),
    ],
    "admin.users": [Case("GET", "/admin/users", ADMINS)],
    "admin.change_role": [
        Case("POST", _change_role_url("another"), answers(403, anonymous=LOGIN, admin=302),
             {"role": "moderator"}, "another user"),
        # Nobody changes their own role (an admin would lock the platform out).
        Case("POST", _change_role_url("self"), answers(403, anonymous=LOGIN),
             {"role": "moderator"}, "themselves"),
    ],
    # Staff two-factor sign-in. The walker's staff passed the code step already (login()),
    # so the step sends them on; tests/accounts/test_totp.py walks the unverified ones.
    "accounts.two_factor": [
        Case("GET", "/account/two-factor", answers(403, anonymous=LOGIN, moderator=302,
                                                   admin=302)),
        Case("POST", "/account/two-factor", answers(
            403, anonymous=LOGIN, **dict.fromkeys(STAFF_ROLES, REDIRECT_NOTHING_DONE)),
            {"code": "123456"}),
    ],
    "accounts.two_factor_setup": [
        Case("GET", "/account/two-factor/setup", STAFF, state="not enrolled"),
        # A wrong first code shows the page again, with the same QR code.
        Case("POST", "/account/two-factor/setup", STAFF, _totp_code(False),
             "not enrolled/wrong code"),
        Case("GET", _staff_enrolled("/account/two-factor/setup"), STAFF_DO, state="enrolled"),
    ],
    "accounts.two_factor_recovery_codes": [
        Case("GET", _staff_enrolled("/account/two-factor/recovery-codes"), STAFF),
        Case("POST", _staff_enrolled("/account/two-factor/recovery-codes"), STAFF,
             _totp_code(False), "wrong code"),
        # The new codes are shown on the answer itself, once.
        Case("POST", _staff_enrolled("/account/two-factor/recovery-codes"), answers(
            403, anonymous=LOGIN, **dict.fromkeys(STAFF_ROLES, Answer(200, CHANGES))),
            _totp_code(True), "current code"),
    ],
    "admin.reset_two_factor": [
        Case("POST", _reset_two_factor_url("another"), answers(403, anonymous=LOGIN,
                                                               admin=302), state="another"),
        # Nobody resets their own authenticator: another admin must.
        Case("POST", _reset_two_factor_url("self"), answers(403, anonymous=LOGIN),
             state="themselves"),
    ],
    "news.index": [Case("GET", "/news/", PUBLIC)],
    "news.feed": [Case("GET", "/news/feed/en.atom", PUBLIC)],
    "news.show": [
        *(Case("GET", _post_url(status, where), _visible(status, where), state=f"{status}/{where}")
          for status in POST_STATES for where in WHERE),
        Case("GET", "/news/999999", answers(404), state="missing"),
    ],
    "news.image": [
        *(Case("GET", _image_url(status, where), _visible(status, where),
               state=f"{status}/{where}") for status in POST_STATES for where in WHERE),
        # A rendition (`?w=`) is as visible as the image; a width not offered is not found.
        *(Case("GET", _image_url(status, where, "?w=480"), _visible(status, where),
               state=f"{status}/{where}/w=480") for status in POST_STATES for where in WHERE),
        Case("GET", _image_url(PUBLISHED, "here", "?w=123"), answers(404),
             state="published/here/w=123"),
    ],
    "news.create": [
        Case("GET", "/news/new", answers(200, anonymous=LOGIN, member=403)),
        # Writing for a place: an authority writes for its own place and the places inside
        # it only (a refused place shows the form again); staff for any place or for the
        # whole programme.
        *(Case("POST", "/news/new",
               answers(200, anonymous=LOGIN, member=403, moderator=302, admin=302,
                       **({f"authority_{where.split()[-1]}": 302} if where else {})),
               _news_form("New", where, action), f"for {where or 'the programme'}/{action}")
          for where in (*WHERE, "inside here", None) for action in ("draft", "publish")),
    ],
    "news.manage": [Case("GET", "/news/manage", answers(200, anonymous=LOGIN, member=403))],
    "news.edit": [
        *(Case("GET", _post_url(status, where, "/edit"), writers(where, 200),
               state=f"{status}/{where}") for status in POST_STATES for where in WHERE),
        Case("GET", "/news/999999/edit", answers(404, anonymous=LOGIN), state="missing"),
        *_news_edit_cases(),
        # Its author cannot move a post to a place it does not speak for.
        Case("POST", _post_url(DRAFT, "here", "/edit"), writers("here", 302, refused=403)
             | {"authority_here": Answer(200)}, _news_form("Moved", "elsewhere", "draft"),
             "draft/here moved elsewhere"),
    ],
    "news.unpublish": [
        Case("POST", _post_url(status, where, "/unpublish"),
             answers(403, anonymous=LOGIN, **dict.fromkeys(STAFF_ROLES,
                                                            _unpublish_answer(status))),
             state=f"{status}/{where}")
        for status in POST_STATES for where in WHERE
    ],
    "projects.index": [
        Case("GET", "/projects/", PUBLIC),
        Case("GET", "/projects/?q=%D1%81%D1%83%D1%83&sort=waiting&sector=water", PUBLIC,
             state="search"),
    ],
    "projects.show": [
        *(Case("GET", _project_url(status), PUBLIC if status in PUBLIC_PROJECT_STATES
               else PROJECT_PRIVATE, state=status) for status in PROJECT_STATES),
        # An authority's own draft: the authorities of its place share it, nobody else.
        Case("GET", _project_url("draft", by="authority"),
             answers(404, authority_here=200, moderator=200, admin=200),
             state="authority's draft"),
        Case("GET", "/projects/999999", answers(404), state="missing"),
    ],
    "projects.photo": [
        *(Case("GET", _project_photo_url(status, query=query),
               PUBLIC if status in PUBLIC_PROJECT_STATES else PROJECT_PRIVATE,
               state=f"{status}{query}")
          for status in ("draft", "published") for query in ("", "?w=480", "?w=960")),
        Case("GET", _project_photo_url("published", query="?w=1600"), answers(404),
             state="published?w=1600"),
    ],
    "projects.place": [
        Case("GET", lambda w: f"/projects/place/{w.place('here').id}", PUBLIC),
        Case("GET", "/projects/place/999999", answers(404), state="missing"),
    ],
    "projects.mine": [Case("GET", "/projects/mine", MEMBERS)],
    "projects.queue": [
        Case("GET", _with_project("published", "/projects/queue"),
             answers(403, anonymous=LOGIN, authority_here=200, authority_elsewhere=200,
                     moderator=200, admin=200)),
    ],
    "projects.moderation": [Case("GET", _with_project("submitted", "/projects/moderation"), STAFF)],
    "projects.create": [
        Case("GET", "/projects/new", MEMBERS),
        Case("GET", "/projects/new?as=authority", MEMBERS, state="as authority"),
        *(Case("POST", "/projects/new", answers(302, anonymous=LOGIN),
               _project_form("here", action), f"member/{action}")
          for action in ("draft", "submit")),
        # Only the authority of the place posts as its authority; others see the form again.
        *(Case("POST", "/projects/new",
               answers(200, anonymous=LOGIN, **{f"authority_{where}": 302}),
               _project_form(where, as_authority=True), f"as authority/{where}")
          for where in WHERE),
    ],
    "projects.edit": [
        # Its proposer edits a draft or a returned proposal; staff see it but don't edit it.
        *(Case("GET", _project_url(status, "/edit"), _private_project(200, 403), state=status)
          for status in ("draft", "returned")),
        *(Case("POST", _project_url(status, "/edit"), _private_project(302, 403),
               _project_form("here", action), f"{status}/{action}")
          for status in ("draft", "returned") for action in ("draft", "submit")),
        # Nobody edits someone else's project, nor a published one.
        Case("GET", _project_url("draft", "/edit", by="another"),
             _private_project(404, 403), state="someone else's draft"),
        Case("POST", _project_url("draft", "/edit", by="another"),
             _private_project(404, 403), _project_form("here"), "someone else's draft"),
        Case("GET", _project_url("published", "/edit"), _public_project(403),
             state="published"),
        Case("POST", _project_url("published", "/edit"), _public_project(403),
             _project_form("here"), "published"),
        Case("GET", "/projects/999999/edit", answers(404, anonymous=LOGIN), state="missing"),
    ],
    "projects.act": [
        Case("POST", _project_url("draft", "/act"), _private_project(302, 403), _act("submit"),
             "draft/submit"),
        *(Case("POST", _project_url("submitted", "/act"), _private_project(403, 302),
               _act(action, "Add a photo"), f"submitted/{action}")
          for action in ("publish", "return", "reject")),
        # A reason is required: staff are sent back to the page with the reason asked for.
        Case("POST", _project_url("submitted", "/act"),
             _private_project(403, REDIRECT_NOTHING_DONE), _act("reject"),
             "submitted/reject without a reason"),
        *(Case("POST", _project_url("published", "/act", where=where), _public_project(
              403, **{f"authority_{where}": 302}), _act(action, "Мы поможем"),
              f"published {where}/{action}")
          for where in WHERE for action in ("review", "accept", "decline")),
        Case("POST", _project_url("published", "/act"), _public_project(
            403, authority_here=REDIRECT_NOTHING_DONE), _act("decline"),
            "published/decline without a reason"),
        Case("POST", _project_url("published", "/act"), _public_project(403, member=302),
             _act("withdraw"), "published/withdraw"),
        Case("POST", _project_url("accepted", "/act"), _public_project(
            403, member=302, authority_here=302), _act("start"), "accepted/start"),
        Case("POST", _project_url("accepted", "/act"), _public_project(
            403, moderator=302, admin=302), _act("archive"), "accepted/archive"),
        # Not from this state, or not an action at all: refused with the reason, for all.
        Case("POST", _project_url("accepted", "/act"),
             _public_project(REDIRECT_NOTHING_DONE), _act("publish"), "accepted/publish"),
        Case("POST", _project_url("published", "/act"),
             _public_project(REDIRECT_NOTHING_DONE), _act("fly"), "published/unknown action"),
        Case("POST", _project_url("draft", "/act", by="authority"),
             answers(404, anonymous=LOGIN, authority_here=302, moderator=403, admin=403),
             _act("submit"), "authority's draft/submit"),
        Case("POST", "/projects/999999/act", answers(404, anonymous=LOGIN), _act("submit"),
             "missing"),
    ],
    "projects.support": [
        *(Case("POST", _project_url(status, "/support"), _public_project(302),
               {"money_range": "10k_50k", "volunteering": "y"}, status)
          for status in PUBLIC_PROJECT_STATES),
        Case("POST", _project_url("draft", "/support"), _private_project(403, 403),
             {"money_range": "10k_50k"}, "draft"),
        # Supporting again changes the intention, never the count.
        Case("POST", _project_url("published", "/support", supported=True),
             _public_project(302), {"money_range": "over_200k"}, "supported/new intention"),
        Case("POST", _project_url("published", "/support"),
             _public_project(REDIRECT_NOTHING_DONE), {"money_range": "a lot"},
             "unknown money range"),
    ],
    "projects.withdraw_support": [
        Case("POST", _project_url("published", "/support/withdraw", supported=True),
             _public_project(302), state="supported"),
        Case("POST", _project_url("published", "/support/withdraw"),
             _public_project(REDIRECT_NOTHING_DONE), state="not supported"),
    ],
    "delivery.index": [Case("GET", "/broadcasts/", STAFF)],
    "delivery.show": [
        Case("GET", _broadcast_url(), STAFF),
        Case("GET", "/broadcasts/999999", answers(404, anonymous=LOGIN, member=403,
                                                  authority_here=403, authority_elsewhere=403),
             state="missing"),
    ],
    "delivery.progress_json": [Case("GET", _broadcast_url("/progress.json"), STAFF)],
    "delivery.cancel": [
        Case("POST", _broadcast_url("/cancel"), STAFF_DO, state="running"),
        Case("POST", _broadcast_url("/cancel", cancelled=True),
             answers(403, anonymous=LOGIN, moderator=REDIRECT_NOTHING_DONE,
                     admin=REDIRECT_NOTHING_DONE), state="cancelled"),
    ],
    "moderation.dashboard": [Case("GET", "/moderation/", STAFF)],
    # One decision of the queue (a proposal awaiting moderation, made by a member): staff
    # publish it; a reason-less rejection is refused in place with the queue shown again.
    "moderation.decide": [
        Case("POST", _with_project("submitted", "/moderation/queue/decide"), STAFF_DO,
             lambda w: {"key": _queue_key(w), "action": "approve"}, "approve"),
        Case("POST", _with_project("submitted", "/moderation/queue/decide"),
             answers(403, anonymous=LOGIN, moderator=Answer(422, UNCHANGED),
                     admin=Answer(422, UNCHANGED)),
             lambda w: {"key": _queue_key(w), "action": "reject"}, "reject without a reason"),
    ],
    "moderation.decide_authority": [
        Case("POST", _decide_url("verify", "applicant", False), STAFF_DO, state="verify pending"),
        Case("POST", _decide_url("reject", "applicant", False), STAFF_DO, REASON,
             state="reject pending"),
        # Rejecting and revoking say why: without a reason nothing happens.
        *(Case("POST", _decide_url(decision, "applicant", verified),
               answers(403, anonymous=LOGIN, moderator=REDIRECT_NOTHING_DONE,
                       admin=REDIRECT_NOTHING_DONE), {"reason": " "},
               state=f"{decision} without a reason")
          for decision, verified in (("reject", False), ("revoke", True))),
        Case("POST", _decide_url("revoke", "applicant", True), STAFF_DO, REASON,
             state="revoke verified"),
        *(Case("POST", _decide_url(decision, "applicant", verified),
               answers(403, anonymous=LOGIN, moderator=REDIRECT_NOTHING_DONE,
                       admin=REDIRECT_NOTHING_DONE), REASON, state=state)
          for decision, verified, state in (("verify", True, "verify verified"),
                                            ("reject", True, "reject verified"),
                                            ("revoke", False, "revoke pending"))),
        # An authority cannot verify its own request for another place.
        *(Case("POST", _decide_url(decision, "authority_here", False), STAFF_DO, REASON,
               state=f"{decision} own request of authority_here")
          for decision in ("verify", "reject")),
        Case("POST", "/moderation/authorities/999999/verify", answers(404, anonymous=LOGIN),
             state="missing"),
    ],
    "moderation.authorities": [Case("GET", "/moderation/authorities", STAFF)],
    # A request's document: staff and the member who sent it; a 404 for everybody else.
    "moderation.authority_document": [
        Case("GET", _document_url("applicant"), answers(404, moderator=200, admin=200),
             state="another member's"),
        Case("GET", _document_url("authority_here"),
             answers(404, authority_here=200, moderator=200, admin=200),
             state="authority_here's own"),
        Case("GET", _document_url("authority_here", document=False), answers(404),
             state="no document"),
        Case("GET", "/moderation/authorities/999999/document", answers(404), state="missing"),
    ],
    "moderation.add_community": [
        Case("GET", "/moderation/places", STAFF),
        Case("POST", "/moderation/places", STAFF_DO,
             lambda w: {"district_id": str(w.place("here").id), "name_en": "Walker village"}),
    ],
    "moderation.typed_villages": [Case("GET", "/moderation/villages", STAFF)],
    "moderation.promote_village": [
        Case("POST", "/moderation/villages/promote", STAFF_DO,
             lambda w: {"district_id": str(w.place("here").id), "village": "Walker village",
                        "name_en": "Walker village"}),
    ],
    "moderation.audit_log": [
        Case("GET", "/moderation/audit", STAFF),
        Case("GET", "/moderation/audit?action=user.&actor=admin&date_from=2026-01-01", STAFF,
             state="filtered"),
    ],
    # The whole log in one file, with who did what: administrators only.
    "moderation.audit_csv": [
        Case("GET", "/moderation/audit.csv", ADMINS),
        Case("GET", "/moderation/audit.csv?actor=1&date_to=2100-01-01", ADMINS,
             state="filtered"),
    ],
    # The moderators' Telegram chat (moderation/chat_views.py): staff only.
    "moderation.telegram_chats": [Case("GET", _linked_chat("/moderation/telegram"), STAFF)],
    "moderation.telegram_code": [
        Case("POST", "/moderation/telegram/code",
             answers(403, anonymous=LOGIN, moderator=Answer(200, CHANGES),
                     admin=Answer(200, CHANGES))),
    ],
    "moderation.telegram_unlink": [
        Case("POST", _linked_chat("/moderation/telegram/{id}/unlink"), STAFF_DO),
        Case("POST", "/moderation/telegram/999999/unlink",
             answers(403, anonymous=LOGIN, moderator=404, admin=404), state="missing"),
    ],
    "consent.ask": [Case("GET", "/privacy/accept", MEMBERS)],
    # Everyone in the walk has accepted the notice in force: nothing to record.
    "consent.accept": [
        Case("POST", "/privacy/accept", answers(REDIRECT_NOTHING_DONE, anonymous=LOGIN)),
    ],
    "surveys.results_page": [
        Case("GET", _results_url("draft"), STAFF, state="draft"),
        Case("GET", _results_url("open"), STAFF, state="open, not published"),
        Case("GET", _results_url("published"), _READ_PUBLISHED, state="published"),
        Case("GET", _results_url("published", "?country=RU&plan=later"), _READ_PUBLISHED,
             state="published, filtered"),
        Case("GET", "/surveys/999999/results", answers(404, anonymous=LOGIN), state="missing"),
    ],
    # Typed answers may name people: staff only, even once results are published.
    "surveys.text_answers": [
        Case("GET", _results_url("published", "/questions/<text>/answers"), STAFF,
             state="published"),
        Case("GET", _results_url("published", "/questions/<choice>/answers"),
             answers(403, anonymous=LOGIN, moderator=404, admin=404), state="not typed text"),
    ],
    "surveys.results_csv": [
        Case("GET", _results_url(state, ".csv"), STAFF, state=state)
        for state in ("open", "published")
    ],
    "surveys.results_xlsx": [
        Case("GET", _results_url(state, ".xlsx"), STAFF, state=state)
        for state in ("open", "published")
    ],
    "surveys.publish_results": [
        Case("POST", _results_url("open", "/publish"), STAFF_DO, {"publish": "1"},
             state="publish"),
        Case("POST", _results_url("published", "/publish"), STAFF_DO, {"publish": "0"},
             state="unpublish"),
        # A draft has no results: refused with a message, nothing changes.
        Case("POST", _results_url("draft", "/publish"),
             answers(403, anonymous=LOGIN, moderator=REDIRECT_NOTHING_DONE,
                     admin=REDIRECT_NOTHING_DONE), {"publish": "1"}, state="draft"),
    ],
}

# -- surveys ---------------------------------------------------------------------------------


def _survey(world: World, state: str = "open", audience: str = "everyone",
            answered: bool = False) -> Any:
    """A survey by the moderator (a choice question, an optional text question), for
    everyone, the people of "elsewhere" or the authorities of "here"; draft, open or closed;
    answered by the member or not."""
    from diaspora.surveys import service as surveys

    moderator = world.users["moderator"]
    places = {"elsewhere": [world.place("elsewhere").id], "authorities": [world.place("here").id]}
    survey = surveys.create_survey(moderator, surveys.SurveySettings(
        title={"en": "Water"}, audience="home" if audience == "elsewhere" else audience,
        place_ids=places.get(audience, [])))
    choice = surveys.save_question(moderator, survey, surveys.QuestionSpec(
        "single", {"en": "Clean?"}, options=[surveys.OptionSpec({"en": "Yes"}),
                                              surveys.OptionSpec({"en": "No"})]))
    surveys.save_question(moderator, survey, surveys.QuestionSpec(
        "short_text", {"en": "Street"}, required=False))
    if state in ("open", "closed"):
        surveys.open_survey(moderator, survey)
    if answered:
        surveys.submit_response(world.users["member"], survey, {choice.id: str(
            choice.options[0].id)})
    if state == "closed":
        surveys.close_survey(moderator, survey)
    world.last = survey
    return survey


def _survey_url(suffix: str = "", **how: Any) -> Callable[[World], str]:
    def url(world: World) -> str:
        survey = _survey(world, **how)
        if suffix.startswith("/questions/first"):
            suffix_ = suffix.replace("first", str(survey.questions[0].id))
            return f"/surveys/{survey.id}{suffix_}"
        return f"/surveys/{survey.id}{suffix}"

    return url


def _survey_answers(world: World) -> dict:
    question = world.last.questions[0]
    return {f"q{question.id}": str(question.options[0].id), f"q{world.last.questions[1].id}":
            "Main street"}


SURVEY_SETTINGS = {"title_en": "Water at home", "audience": "everyone", "anonymous": "y"}
NEW_QUESTION = {"kind": "short_text", "prompt_en": "Your street", "action": "save"}
NOTHING_DONE_BY_STAFF = answers(403, anonymous=LOGIN, moderator=REDIRECT_NOTHING_DONE,
                                admin=REDIRECT_NOTHING_DONE)
STAFF_SEE_NOTHING_DONE = answers(403, anonymous=LOGIN, moderator=200, admin=200)

ROUTES.update({
    # Visitors see the surveys for everyone, with a prompt to log in.
    "surveys.index": [Case("GET", "/surveys/", PUBLIC)],
    "surveys.answer": [
        Case("GET", _survey_url(), MEMBERS, state="open for everyone"),
        Case("GET", _survey_url(state="closed"), MEMBERS, state="closed"),
        Case("GET", _survey_url(answered=True), MEMBERS, state="answered by the member"),
        Case("GET", _survey_url(audience="elsewhere"), answers(403, anonymous=LOGIN),
             state="for the people of elsewhere"),
        Case("GET", _survey_url(audience="authorities"),
             answers(403, anonymous=LOGIN, authority_here=200), state="for authorities here"),
        Case("GET", _survey_url(state="draft"), answers(404, anonymous=LOGIN), state="draft"),
        Case("GET", "/surveys/999999", answers(404, anonymous=LOGIN), state="missing"),
        Case("POST", _survey_url(), answers(302, anonymous=LOGIN), _survey_answers,
             "open for everyone"),
        # Refused answers come back on the page (errors, "closed", "already answered").
        Case("POST", _survey_url(), MEMBERS, {}, "open for everyone, nothing answered"),
        Case("POST", _survey_url(state="closed"), MEMBERS, _survey_answers, "closed"),
        Case("POST", _survey_url(answered=True), answers(302, anonymous=LOGIN, member=200),
             _survey_answers, "answered by the member"),
        Case("POST", _survey_url(audience="authorities"),
             answers(403, anonymous=LOGIN, authority_here=302), _survey_answers,
             "for authorities here"),
    ],
    # Only who answered sees the thanks; the others are sent to the survey.
    "surveys.thanks": [Case("GET", _survey_url("/thanks", answered=True),
                            answers(302, anonymous=LOGIN, member=200))],
    "surveys.manage": [Case("GET", "/surveys/manage", STAFF)],
    "surveys.from_template": [
        Case("POST", "/surveys/manage/from-template", STAFF_DO,
             {"template": "diaspora_mapping"}, "diaspora mapping"),
        Case("POST", "/surveys/manage/from-template", NOTHING_DONE_BY_STAFF,
             {"template": "nope"}, "unknown"),
    ],
    "surveys.create": [Case("GET", "/surveys/new", STAFF),
                       Case("POST", "/surveys/new", STAFF_DO, SURVEY_SETTINGS)],
    "surveys.edit": [
        Case("GET", _survey_url("/edit"), STAFF, state="open"),
        Case("GET", "/surveys/999999/edit", answers(403, anonymous=LOGIN, moderator=404,
                                                    admin=404), state="missing"),
        Case("POST", _survey_url("/edit", state="draft"), STAFF_DO, SURVEY_SETTINGS, "draft"),
        # Anonymity can't change after opening: the form comes back saying why.
        Case("POST", _survey_url("/edit"), STAFF_SEE_NOTHING_DONE,
             {"title_en": "Water", "audience": "everyone"}, "open, anonymity changed"),
    ],
    "surveys.add_question": [
        Case("GET", _survey_url("/questions/new?kind=single", state="draft"), STAFF),
        Case("POST", _survey_url("/questions/new", state="draft"), STAFF_DO, NEW_QUESTION,
             "draft"),
        # A new required question after opening is refused next to "required".
        Case("POST", _survey_url("/questions/new"), STAFF_SEE_NOTHING_DONE,
             {**NEW_QUESTION, "required": "y"}, "open, required"),
    ],
    "surveys.edit_question": [
        Case("GET", _survey_url("/questions/first", state="draft"), STAFF),
        Case("POST", _survey_url("/questions/first", state="draft"), STAFF_DO,
             {"kind": "single", "prompt_en": "Clean water?", "options-0-label_en": "Yes",
              "options-1-label_en": "No", "action": "save"}, "draft"),
    ],
    "surveys.delete_question": [
        Case("POST", _survey_url("/questions/first/delete", state="draft"), STAFF_DO,
             state="draft"),
        Case("POST", _survey_url("/questions/first/delete", answered=True),
             NOTHING_DONE_BY_STAFF, state="answered"),
    ],
    "surveys.move_question": [
        Case("POST", _survey_url("/questions/first/move", state="draft"), STAFF_DO,
             {"direction": "down"}),
    ],
    "surveys.open_survey": [
        Case("POST", _survey_url("/open", state="draft"), STAFF_DO, state="draft"),
        Case("POST", _survey_url("/open"), NOTHING_DONE_BY_STAFF, state="open"),
    ],
    "surveys.close_survey": [
        Case("POST", _survey_url("/close"), STAFF_DO, state="open"),
        Case("POST", _survey_url("/close", state="draft"), NOTHING_DONE_BY_STAFF,
             state="draft"),
    ],
    "surveys.delete": [
        Case("POST", _survey_url("/delete", state="draft"), STAFF_DO, state="draft"),
        Case("POST", _survey_url("/delete"), NOTHING_DONE_BY_STAFF, state="open"),
    ],
    # The preview checks answers and never saves them.
    "surveys.preview": [
        Case("GET", _survey_url("/preview?language=ru", state="draft"), STAFF),
        Case("POST", _survey_url("/preview", state="draft"), STAFF, _survey_answers),
    ],
})

# Comments on projects and reports (issues 9 and 10).
ROUTES.update({
    "projects.comment": [
        *(Case("POST", _project_url(status, "/comments"), _public_project(302),
               {"kind": "question", "body": "Когда начнёте?"}, status)
          for status in PUBLIC_PROJECT_STATES),
        # Only public projects take comments: their proposer and staff see a draft, no form.
        Case("POST", _project_url("draft", "/comments"), _private_project(403, 403),
             {"body": "Hello"}, "draft"),
        Case("POST", _project_url("published", "/comments"), _public_project(200),
             {"body": "  "}, "empty"),
    ],
    "projects.answer_comment": [
        Case("POST", _comment_url("/answer"), _public_project(302), _answer_form, "question"),
        Case("POST", _comment_url("/answer", hidden=True),
             _public_project(REDIRECT_NOTHING_DONE), _answer_form, "hidden question"),
        Case("POST", _comment_url("/answer", status="archived"),
             answers(404, anonymous=LOGIN, member=403, moderator=403, admin=403),
             _answer_form, "archived project"),
    ],
    "projects.comment_link": [
        Case("GET", _comment_url(), answers(302), state="published"),
        Case("GET", _comment_url(status="archived"),
             answers(404, member=302, moderator=302, admin=302), state="archived project"),
        Case("GET", "/projects/comments/999999", answers(404), state="missing"),
    ],
    "projects.edit_comment": [
        # Its author (the walker's member), for 15 minutes; then told it is too late.
        Case("GET", _comment_url("/edit", by="member"), _public_project(403, member=200),
             state="own"),
        Case("POST", _comment_url("/edit", by="member"), _public_project(403, member=302),
             {"body": "Changed"}, "own"),
        Case("POST", _comment_url("/edit", by="member", minutes_ago=16),
             _public_project(403, member=REDIRECT_NOTHING_DONE), {"body": "Changed"},
             "own, too late"),
        Case("GET", _comment_url("/edit", by="member", minutes_ago=16),
             _public_project(403, member=302), state="own, too late"),
    ],
    "projects.delete_comment": [
        Case("POST", _comment_url("/delete", by="member"), _public_project(403, member=302),
             state="own"),
        Case("POST", _comment_url("/delete"), _public_project(403), state="someone else's"),
    ],
    "projects.moderate_comment": [
        Case("POST", _comment_url("/hide"), _public_project(403, moderator=302, admin=302),
             state="hide"),
        Case("POST", _comment_url("/restore", hidden=True),
             _public_project(403, moderator=302, admin=302), state="restore"),
        # Nobody decides on their own words.
        Case("POST", _comment_url("/hide", by="moderator"), _public_project(403, admin=302),
             state="hide the moderator's own"),
        Case("POST", _comment_url("/restore"),
             _public_project(403, moderator=REDIRECT_NOTHING_DONE,
                             admin=REDIRECT_NOTHING_DONE), state="restore a shown one"),
    ],
    "reports.report": [
        Case("GET", _report_url("project_comment"), _public_project(200), state="comment"),
        Case("POST", _report_url("project_comment"), _public_project(302),
             {"reason": "offensive", "note": "Rude"}, "comment"),
        # Its author can't report their own comment: the form says so.
        Case("POST", _report_url("project_comment", by="member"),
             _public_project(302, member=200), {"reason": "spam"}, "own comment"),
        Case("POST", _report_url("project_comment", reported=True),
             _public_project(REDIRECT_NOTHING_DONE), {"reason": "spam"}, "reported before"),
        Case("GET", _report_url("project_comment", reported=True),
             _public_project(302), state="reported before"),
        Case("POST", _report_url("project_comment"), _public_project(200),
             {"reason": "boring"}, "unknown reason"),
        Case("POST", _report_url("project", by="another"), _public_project(302),
             {"reason": "false_information"}, "project"),
        Case("POST", _report_url("project", by="another", status="draft"),
             _private_project(404, 302), {"reason": "spam"}, "someone else's draft"),
        Case("GET", "/report/survey/1", answers(404, anonymous=LOGIN), state="unknown kind"),
    ],
    "moderation.open_reports": [Case("GET", _with_report, STAFF)],
})


# -- notifications -----------------------------------------------------------------------------


def _notification_url(whose: str, suffix: str) -> Callable[[World], str]:
    """An unread notification of `whose` ("member", or "acting": the role walking), so
    opening it or marking all read has something to change."""
    def url(world: World) -> str:
        from diaspora.notifications import service as notifications

        owner = world.acting if whose == "acting" else world.users["member"]
        if owner is None:
            owner = world.users["member"]
        notifications.notify(owner, "project.status", "text", {"text": {"en": "Hi"}},
                             url="/projects/")
        db.session.commit()
        notification_id = db.session.scalar(sa.text(
            "SELECT max(id) FROM notifications WHERE user_id = :u"), {"u": owner.id})
        return suffix.replace("<id>", str(notification_id))

    return url


ROUTES.update({
    "notifications.index": [Case("GET", _notification_url("acting", "/notifications/"),
                                 MEMBERS)],
    # Only its recipient opens one (it is marked read); for anyone else it does not exist.
    "notifications.open_one": [
        Case("POST", _notification_url("member", "/notifications/<id>/open"),
             answers(404, anonymous=LOGIN, member=302)),
    ],
    "notifications.read_all": [
        Case("POST", _notification_url("acting", "/notifications/read"),
             answers(302, anonymous=LOGIN)),
    ],
    "notifications.settings": [
        Case("GET", "/notifications/settings", MEMBERS),
        Case("POST", "/notifications/settings", answers(302, anonymous=LOGIN),
             {"kind": ["project.status"]}),
    ],
})

IGNORED_ENDPOINTS = {"static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _cases() -> list[Any]:
    params = []
    for endpoint, cases in sorted(ROUTES.items()):
        for index, case in enumerate(cases):
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
            label = f"{endpoint} {case.method} {case.state}".strip()
            params.append(pytest.param(endpoint, index, id=f"{label} #{index}", marks=marks))
    return params



# -- project progress: updates, milestones, money -------------------------------------------------


def _progress_url(status: str = "accepted", suffix: str = "", *, milestone: str | None = None,
                  update_photo: bool = False, query: str = "") -> Callable[[World], str]:
    """A project of the walker's member for "here" in `status` (an archived one was accepted
    and reported first); `milestone`: "own" (of this project) or "other" (of another)."""
    def url(world: World) -> str:
        from diaspora.projects import progress

        authority = world.users["authority_here"]
        project = make_project(world, "accepted" if status == "archived" else status)
        world.last = project
        if update_photo:
            update = progress.post_update(authority, project, "Done", photos=[_png()])
            if status == "archived":
                from diaspora.projects import service as projects

                projects.transition(world.users["moderator"], project, "archive")
            return f"/projects/updates/photos/{update.photos[0].id}{query}"
        if milestone is not None:
            owner = project if milestone == "own" else make_project(world, "accepted")
            step = progress.add_milestone(authority, owner, "Pump")
            return f"/projects/{project.id}/milestones/{step.id}"
        return f"/projects/{project.id}{suffix}"

    return url


# The proposer (the walker's member) and the authority of its place report; nobody else.
REPORTERS = _public_project(403, member=302, authority_here=302)
REPORTERS_REFUSE_VALUE = _public_project(403, member=200, authority_here=200)
REPORTERS_NOT_YET = _public_project(403, member=REDIRECT_NOTHING_DONE,
                                    authority_here=REDIRECT_NOTHING_DONE)
UPDATE_FORM = {"body": "The pump is in.", "update_language": "en"}
MILESTONE_FORM = {"milestone_title": "Pipes laid", "planned_on": "2027-05-31"}
MONEY_FORM = {"raised_som": "150 000", "spent_som": "20000"}

ROUTES.update({
    "projects.post_update": [
        Case("POST", _progress_url("accepted", "/updates"), REPORTERS, UPDATE_FORM, "accepted"),
        Case("POST", _progress_url("accepted", "/updates"), REPORTERS_REFUSE_VALUE,
             {"body": ""}, "accepted/empty"),
        Case("POST", _progress_url("published", "/updates"), REPORTERS_NOT_YET, UPDATE_FORM,
             "published"),
        Case("POST", _progress_url("draft", "/updates"),
             _private_project(REDIRECT_NOTHING_DONE, 403), UPDATE_FORM, "draft"),
        Case("POST", "/projects/999999/updates", answers(404, anonymous=LOGIN), UPDATE_FORM,
             "missing"),
    ],
    "projects.update_photo": [
        Case("GET", _progress_url("accepted", update_photo=True), PUBLIC, state="accepted"),
        Case("GET", _progress_url("archived", update_photo=True), PROJECT_PRIVATE,
             state="archived"),
        Case("GET", _progress_url("accepted", update_photo=True, query="?w=480"), PUBLIC,
             state="accepted?w=480"),
        Case("GET", _progress_url("archived", update_photo=True, query="?w=480"),
             PROJECT_PRIVATE, state="archived?w=480"),
        Case("GET", _progress_url("accepted", update_photo=True, query="?w=abc"), answers(404),
             state="accepted?w=abc"),
        Case("GET", "/projects/updates/photos/999999", answers(404), state="missing"),
    ],
    "projects.add_milestone": [
        Case("POST", _progress_url("accepted", "/milestones"), REPORTERS, MILESTONE_FORM,
             "accepted"),
        Case("POST", _progress_url("accepted", "/milestones"), REPORTERS_REFUSE_VALUE,
             {"milestone_title": "Pipes", "planned_on": "0001-01-01"}, "accepted/bad date"),
        Case("POST", _progress_url("published", "/milestones"), REPORTERS_NOT_YET,
             MILESTONE_FORM, "published"),
    ],
    "projects.milestone": [
        *(Case("POST", _progress_url(milestone="own"), REPORTERS, {"action": action},
               f"accepted/{action}") for action in ("done", "remove")),
        Case("POST", _progress_url(milestone="own"), REPORTERS_NOT_YET, {"action": "planned"},
             "accepted/already planned"),
        Case("POST", _progress_url(milestone="other"), answers(404, anonymous=LOGIN),
             {"action": "done"}, "another project's milestone"),
    ],
    "projects.money": [
        Case("POST", _progress_url("accepted", "/money"), REPORTERS, MONEY_FORM, "accepted"),
        *(Case("POST", _progress_url("accepted", "/money"), REPORTERS_REFUSE_VALUE,
               {"raised_som": value, "spent_som": ""}, f"accepted/{value}")
          for value in ("-1", str(2**63))),
        Case("POST", _progress_url("published", "/money"), REPORTERS_NOT_YET, MONEY_FORM,
             "published"),
    ],
})

# -- sanctions (moderation/sanctions.py) ---------------------------------------------------------


def _member_url(target: str, suffix: str = "") -> Callable[[World], str]:
    def url(world: World) -> str:
        return f"/moderation/members/{world.users[target].id}{suffix}"

    return url


# -- the open-data API: public data for everyone, whoever asks; what is not public is 404 --------


def _api_url(kind: str, state: str) -> Callable[[World], str]:
    def url(world: World) -> str:
        item = {"news": lambda: world.post(state, "here"),
                "projects": lambda: make_project(world, state),
                "surveys": lambda: _survey(world, state)}[kind]()
        return f"/api/v1/{kind}/{item.id}"

    return url


def _lift_url(lifted: bool = False) -> Callable[[World], str]:
    """A mute of the walker's member by a third moderator (lifted already when `lifted`)."""
    def url(world: World) -> str:
        from diaspora.moderation import sanctions

        third = world.make_user("moderator")
        row = sanctions.issue(third, world.users["member"], "mute", "Insults",
                              utcnow() + timedelta(days=3))
        if lifted:
            sanctions.lift(third, row, "A mistake")
        return f"/moderation/sanctions/{row.id}/lift"

    return url


_SANCTION_FORM = {"kind": "warning", "reason": "Spam links in comments", "days": ""}
_STAFF_REFUSE_VALUE = answers(403, anonymous=LOGIN, moderator=Answer(400, UNCHANGED),
                              admin=Answer(400, UNCHANGED))

ROUTES.update({
    "moderation.member": [
        Case("GET", _member_url("member"), STAFF),
        Case("GET", "/moderation/members/999999", answers(403, anonymous=LOGIN, moderator=404,
                                                          admin=404), state="missing"),
    ],
    "moderation.issue_sanction": [
        Case("POST", _member_url("member", "/sanctions"), STAFF_DO, _SANCTION_FORM),
        Case("POST", _member_url("member", "/sanctions"), _STAFF_REFUSE_VALUE,
             {"kind": "mute", "reason": "Insults", "days": ""}, "mute without an end"),
        # Only an admin sanctions a moderator; nobody sanctions themselves or an admin.
        Case("POST", _member_url("moderator", "/sanctions"),
             answers(403, anonymous=LOGIN, admin=302), _SANCTION_FORM, "a moderator"),
        Case("POST", _member_url("admin", "/sanctions"), answers(403, anonymous=LOGIN),
             _SANCTION_FORM, "an admin"),
    ],
    "moderation.lift_sanction": [
        Case("POST", _lift_url(), STAFF_DO, {"lift_reason": "Appeal accepted"}),
        Case("POST", _lift_url(lifted=True),
             answers(403, anonymous=LOGIN, moderator=REDIRECT_NOTHING_DONE,
                     admin=REDIRECT_NOTHING_DONE), {"lift_reason": "Again"}, "lifted"),
    ],
    "sanctions.own_sanctions": [Case("GET", "/account/sanctions", MEMBERS)],
})

ROUTES.update({
    "api.openapi": [Case("GET", "/api/v1/openapi.json", PUBLIC)],
    "api.news_list": [Case("GET", "/api/v1/news", PUBLIC)],
    "api.news_item": [Case("GET", _api_url("news", PUBLISHED), PUBLIC, state="published"),
                      Case("GET", _api_url("news", DRAFT), answers(404), state="draft")],
    "api.projects_list": [Case("GET", "/api/v1/projects?status=published", PUBLIC)],
    "api.project_item": [
        Case("GET", _api_url("projects", "published"), PUBLIC, state="published"),
        Case("GET", _api_url("projects", "submitted"), answers(404), state="submitted")],
    "api.surveys_list": [Case("GET", "/api/v1/surveys", PUBLIC)],
    "api.survey_item": [Case("GET", _api_url("surveys", "open"), PUBLIC, state="open"),
                        Case("GET", _api_url("surveys", "draft"), answers(404), state="draft")],
    "api.places_list": [Case("GET", "/api/v1/places?level=1", PUBLIC)],
    "api.place_item": [Case("GET", lambda world: f"/api/v1/places/{world.place('here').id}",
                            PUBLIC)],
    "api.insights_list": [Case("GET", "/api/v1/insights", PUBLIC)],
    "api.insight": [Case("GET", "/api/v1/insights/members-by-country", PUBLIC),
                    Case("GET", "/api/v1/insights/nothing", answers(404), state="missing")],
})


# Reintegration support (issue 11): a request of the walker's member for "here" is seen by
# them, the authority of "here" and staff; for everybody else it does not exist.
def _support_request(world: World, closed: bool = False) -> Any:
    from diaspora.support import service as support

    request = support.create_request(world.users["member"], support.RequestDraft(
        kind="employment", place_id=world.place("here").id, description="Жумуш керек",
        contact_channel="telegram"))
    if closed:
        support.act(world.users["moderator"], request, "close")
    return request


def _support_url(suffix: str = "", *, closed: bool = False) -> Callable[[World], str]:
    def url(world: World) -> str:
        world.last = _support_request(world, closed)
        return f"/support/{world.last.id}{suffix}"

    return url


def _with_support_request(page: str) -> Callable[[World], str]:
    def url(world: World) -> str:
        world.last = _support_request(world)
        return page

    return url


def _service_url(suffix: str, where: str = "here") -> Callable[[World], str]:
    def url(world: World) -> str:
        from diaspora.support import service as support

        world.last = support.save_service(world.users["admin"], world.place(where).id,
                                          support.ServiceFields(name="Legal aid", kind="legal"))
        return f"/support/services/item/{world.last.id}{suffix}"

    return url


def _service_form(where: str, name: str = "Job centre") -> Callable[[World], dict]:
    return lambda world: {"place_id": str(world.place(where).id), "name": name,
                          "kind": "employment", "phone": "+996 312 000 000",
                          "languages": ["ky"]}


SUPPORT_REQUEST_SEEN = answers(404, anonymous=LOGIN, member=200, authority_here=200,
                               moderator=200, admin=200)
MAY_KEEP_DIRECTORY = answers(403, anonymous=LOGIN, authority_here=200, authority_elsewhere=200,
                             moderator=200, admin=200)

ROUTES.update({
    "support.index": [Case("GET", "/support/", MEMBERS)],
    "support.create": [
        Case("GET", "/support/new", MEMBERS),
        Case("POST", "/support/new", answers(302, anonymous=LOGIN),
             lambda w: {"kind": "housing", "place_id": str(w.place("here").id),
                        "description": "Үй керек", "contact_channel": "telegram"}, "valid"),
        # A refused form is shown again with what was typed; nothing is saved.
        Case("POST", "/support/new", answers(200, anonymous=LOGIN),
             {"kind": "", "description": "Үй керек", "contact_channel": "telegram"},
             "no kind"),
    ],
    "support.show": [
        Case("GET", _support_url(), SUPPORT_REQUEST_SEEN, state="waiting"),
        Case("GET", "/support/999999", answers(404, anonymous=LOGIN), state="missing"),
    ],
    "support.reply": [
        Case("POST", _support_url("/reply"),
             answers(404, anonymous=LOGIN, member=302, authority_here=403, moderator=403,
                     admin=403), {"body": "Рахмат"}, "waiting"),
        Case("POST", _support_url("/reply", closed=True),
             answers(404, anonymous=LOGIN, member=200, authority_here=403, moderator=403,
                     admin=403), {"body": "Рахмат"}, "closed"),
    ],
    "support.act": [
        *(Case("POST", _support_url("/act"),
               answers(404, anonymous=LOGIN, member=403, authority_here=302, moderator=302,
                       admin=302), {"action": action, "body": "Келиңиз"}, action)
          for action in ("answer", "close")),
        Case("POST", _support_url("/act", closed=True),
             answers(404, anonymous=LOGIN, member=403, authority_here=200, moderator=200,
                     admin=200), {"action": "answer", "body": "Келиңиз"}, "closed"),
    ],
    "support.queue": [Case("GET", _with_support_request("/support/queue"),
                           answers(403, anonymous=LOGIN, authority_here=200,
                                   authority_elsewhere=200, moderator=200, admin=200))],
    "support.services": [
        Case("GET", lambda w: f"/support/services/{w.place('here').id}", PUBLIC),
        Case("GET", "/support/services/999999", answers(404), state="missing"),
    ],
    "support.create_service": [
        Case("GET", "/support/services/new", MAY_KEEP_DIRECTORY),
        # Another place's authority is shown the form again, refused.
        Case("POST", "/support/services/new",
             answers(403, anonymous=LOGIN, authority_here=302, authority_elsewhere=200,
                     moderator=302, admin=302), _service_form("here"), "for here"),
    ],
    "support.edit_service": [
        Case("GET", _service_url("/edit"), writers("here", 200), state="here"),
        Case("POST", _service_url("/edit"), writers("here", 302),
             _service_form("here", "Renamed"), "here"),
        Case("GET", "/support/services/item/999999/edit", answers(404, anonymous=LOGIN),
             state="missing"),
    ],
    "support.delete_service": [
        Case("POST", _service_url("/delete"), writers("here", 302), state="here"),
    ],
})


def matrix_size() -> dict[str, int]:
    """Requests the walker makes: route x method x state x role (+ the CSRF-less POSTs)."""
    cases = [case for cases in ROUTES.values() for case in cases]
    with_token = len(cases) * len(ROLES)
    without_token = sum(case.method == "POST" for case in cases) * len(ROLES)
    return {"cases": len(cases), "requests": with_token, "csrf_refusals": without_token}


# -- the tests -----------------------------------------------------------------------------------


def unwritten(app: Flask, routes: Mapping[str, list[Case]]) -> tuple[set, set]:
    """(endpoint, method) pairs served without expectations; and expectations for pairs
    nothing serves."""
    written = {(endpoint, case.method) for endpoint, cases in routes.items() for case in cases}
    served = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              if rule.endpoint not in IGNORED_ENDPOINTS
              for method in rule.methods - IGNORED_METHODS}
    return served - written, written - served


def test_every_route_and_method_has_its_permissions_written_down(app: Flask) -> None:
    missing, gone = unwritten(app, ROUTES)
    assert not missing, f"routes with no permission expectations: {sorted(missing)}"
    assert not gone, f"expectations for routes that no longer exist: {sorted(gone)}"


def test_a_new_route_or_its_post_side_without_expectations_is_reported() -> None:
    other = Flask("other")
    other.add_url_rule("/form", "thing.form", lambda: "", methods=["GET", "POST"])
    other.add_url_rule("/page", "thing.page", lambda: "")
    routes = {"thing.form": [Case("GET", "/form", PUBLIC)],
              "thing.gone": [Case("GET", "/", PUBLIC)]}
    missing, gone = unwritten(other, routes)
    assert missing == {("thing.form", "POST"), ("thing.page", "GET")}
    assert gone == {("thing.gone", "GET")}


@pytest.fixture
def csrf_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """CSRF protection on, rate limits off (the walker sends many POSTs from one address).
    The limiter is one object for every app: a test that built an app with limits on
    leaves it on, so it is switched off here explicitly."""
    from diaspora.extensions import limiter

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setattr(limiter, "enabled", False)


def _fresh_world(app: Flask, make_user: Callable[..., User], place_ids: dict[str, int]
                 ) -> World:
    db.session.remove()
    _clean_database(app)
    return World(make_user, place_ids)


def _check(response: Any, answer: Answer, method: str, changed: list[str]) -> str | None:
    """Why the response differs from the expected answer (None: it does not)."""
    problems = []
    status = response.status_code
    if answer.status == LOGIN:
        if status != 302 or "/login" not in response.headers.get("Location", ""):
            problems.append(f"expected a redirect to log in, got {status}")
    elif status != answer.status:
        problems.append(f"expected {answer.status}, got {status}")
    effect = answer.effect
    if effect is None:
        done = method == "POST" and answer.status in (301, 302, 303)
        effect = CHANGES if done else UNCHANGED
    if effect == CHANGES and not changed:
        problems.append("expected the request to change data, nothing changed")
    if effect == UNCHANGED and changed:
        problems.append(f"expected nothing to change, changed: {changed}")
    return " and ".join(problems) or None


_ALERT = re.compile(r'role="alert"[^>]*>(.*?)</', re.S)


def _alerts(response: Any) -> str:
    """The errors the page shows, so a failure says why a form was refused."""
    if not response.mimetype == "text/html":
        return ""
    shown = [text.strip() for text in _ALERT.findall(response.get_data(as_text=True))]
    return f" (page says: {shown})" if shown else ""


def walk(app: Flask, make_user: Callable[..., User], place_ids: dict[str, int],
         case: Case) -> list[str]:
    """Run one case for every role (POSTs also without a token); what went differently."""
    failures = []
    for role in ROLES:
        for with_token in (True, False) if case.method == "POST" else (True,):
            world = _fresh_world(app, make_user, place_ids)
            world.acting = world.users[role]
            url = case.url(world) if callable(case.url) else case.url
            data = dict(case.data(world) if callable(case.data) else case.data)
            client = login(app.test_client(), world.users[role])
            if case.method == "POST" and with_token:
                data["csrf_token"] = fetch_csrf_token(client, url)
            before = snapshot()
            response = client.open(url, method=case.method, data=data)
            changed = changed_tables(before, snapshot())
            answer = case.expected[role] if with_token else Answer(400, UNCHANGED)
            problem = _check(response, answer, case.method, changed)
            if problem:
                token = "" if with_token else " without a CSRF token"
                failures.append(f"{role}{token}: {problem}{_alerts(response)}")
    return failures


@pytest.mark.parametrize(("endpoint", "index"), _cases())
def test_each_role_gets_the_expected_answer(app: Flask, csrf_on: None, make_user, here,
                                            elsewhere, endpoint: str, index: int) -> None:
    case = ROUTES[endpoint][index]
    failures = walk(app, make_user, {"here": here.id, "elsewhere": elsewhere.id}, case)
    assert not failures, f"{case.method} {endpoint} [{case.state}]: " + "; ".join(failures)


def _case(endpoint: str, method: str, state: str) -> Case:
    return next(case for case in ROUTES[endpoint]
                if case.method == method and case.state == state)


@pytest.mark.parametrize(("action", "endpoint", "method", "state", "noticed"), [
    # A check that lets everybody in: the walker names who got in and what they changed.
    ("news.edit", "news.edit", "GET", "draft/here", "member: expected 403, got 200"),
    ("news.view", "news.show", "GET", "draft/here", "anonymous: expected 404, got 200"),
    ("news.unpublish", "news.unpublish", "POST", "published/here",
     "member: expected 403, got 302 and expected nothing to change, changed: ['audit_log', "
     "'broadcasts', 'news_posts', 'outbox']"),
    ("authority.verify", "moderation.decide_authority", "POST", "verify pending",
     "authority_here: expected 403, got 302 and expected nothing to change, changed: "
     "['audit_log', 'authority_places', 'notifications']"),
    ("news.write_for_place", "news.create", "POST", "for elsewhere/draft",
     "authority_here: expected 200, got 302"),
])
def test_the_walker_notices_a_check_that_lets_everybody_in(
        app: Flask, csrf_on: None, make_user, here, elsewhere, monkeypatch: pytest.MonkeyPatch,
        action: str, endpoint: str, method: str, state: str, noticed: str) -> None:
    from diaspora.accounts import permissions

    monkeypatch.setitem(permissions._RULES, action, lambda user, obj: True)
    failures = walk(app, make_user, {"here": here.id, "elsewhere": elsewhere.id},
                    _case(endpoint, method, state))
    assert any(failure.startswith(noticed) for failure in failures), failures


# -- insights ----------------------------------------------------------------------------------

def _region_url(where: str, prefix: str = "/insights/region/", suffix: str = ""
                ) -> Callable[[World], str]:
    return lambda world: f"{prefix}{world.place(where).region_id}{suffix}"


# A region's own view: its verified authorities and staff.
REGION_VIEW = answers(403, anonymous=LOGIN, authority_here=200, moderator=200, admin=200)

ROUTES.update({
    "insights.index": [Case("GET", "/insights/", PUBLIC)],
    "insights.region": [
        Case("GET", _region_url("here"), REGION_VIEW, state="here"),
        Case("GET", "/insights/region/999999", answers(404, anonymous=LOGIN), state="missing"),
        # A district is not a region.
        Case("GET", lambda w: f"/insights/region/{w.place('here').id}",
             answers(404, anonymous=LOGIN), state="a district"),
    ],
    "insights.download": [
        Case("GET", "/insights/download/members-by-country.csv", PUBLIC),
        Case("GET", "/insights/download/all.json", PUBLIC, state="all"),
        Case("GET", _region_url("here", "/insights/download/members-by-region.csv?region="),
             answers(403, authority_here=200, moderator=200, admin=200), state="region"),
        Case("GET", "/insights/download/members-by-shoe-size.json", answers(404),
             state="missing"),
    ],
})
