"""Issue 7, item 8: no input a visitor can type is answered with a 500.

The walker visits every route of `app.url_map` as a visitor, a member, an authority and an
admin, and feeds hostile values to every URL integer (and other) converter, every query
parameter any view reads, and every field of every form it finds on the pages (GET forms and
POST forms, each submit button), plus the POST routes no page links a form to. A page that
answers 500, or raises, is reported with the request that did it. Run it on PostgreSQL too:
that is where NUL bytes and numbers beyond 64 bits bite.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.routing import Rule

from diaspora.accounts.models import AuthorityPlace, User
from diaspora.accounts.permissions import TWO_FACTOR_SESSION_KEY
from diaspora.extensions import db
from diaspora.news import service as news
from diaspora.news.models import HOME
from diaspora.places.models import Place

ROOT = Path(__file__).resolve().parents[2]
TOO_BIG = str(10**20)  # beyond 64 bits
INT32_OVER = str(2**31)  # beyond PostgreSQL's INTEGER, the type of our ids
INT64_MAX = str(2**63 - 1)  # fits SQLite's INTEGER; page * per_page does not
# Typed into form fields: numbers and dates a column or a datetime cannot hold, not numbers,
# a NUL byte (PostgreSQL refuses it in text), blanks, too long.
HOSTILE = ("abc", TOO_BIG, INT64_MAX, INT32_OVER, "0001-01-01T00:00", "a\x00b", "x" * 5000)
# Put in query strings and in POST fields no page shows (fewer: every page reads them all).
HOSTILE_PARAMETERS = ("abc", TOO_BIG, INT64_MAX, INT32_OVER, "a\x00b")
ROLES = ("anonymous", "member", "authority_here", "admin")
# Walked last for each role: it ends the walking user's account.
LAST = ("accounts.delete_account",)


def _query_parameters() -> list[str]:
    """Every query parameter a view reads (found in the sources, so new ones are walked)."""
    names = set()
    for path in (ROOT / "diaspora").rglob("*.py"):
        names |= set(re.findall(r"request\.args\.get(?:list)?\(\s*[\"']([\w-]+)[\"']",
                                path.read_text(encoding="utf-8")))
    return sorted(names)


def _posted_names() -> list[str]:
    names = set()
    for path in (ROOT / "diaspora").rglob("*.py"):
        names |= set(re.findall(r"request\.form\.get(?:list)?\(\s*[\"']([\w-]+)[\"']",
                                path.read_text(encoding="utf-8")))
    return sorted(names)


# -- reading forms from a page -----------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> default values
    buttons: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


class FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url, self.forms, self.form = page_url, [], None
        self.select: tuple[str, bool] | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {key: (value or "") for key, value in attrs}
        if tag == "form":
            self.form = Form(a.get("action") or self.page_url, (a.get("method") or "get").upper())
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                self.form.files.append(name)
            elif kind == "submit":
                self.form.buttons.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                self.form.fields.setdefault(name, [])
                if "checked" in a:
                    self.form.fields[name].append(a.get("value", "on"))
            else:
                self.form.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            self.form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select = (name, "multiple" in a)
            self.select_first, self.select_chosen = None, False
            self.form.fields.setdefault(name, [])
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in a:
                self.form.fields[self.select[0]].append(value)
                self.select_chosen = True
        elif tag == "textarea" and name:
            self.textarea = name
            self.form.fields.setdefault(name, [""])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select and self.form is not None:
            name, multiple = self.select
            if not self.select_chosen and not multiple and self.select_first is not None:
                self.form.fields[name].append(self.select_first)
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea and self.form is not None:
            self.form.fields[self.textarea] = [data]


def forms_on(page_url: str, html: str) -> list[Form]:
    parser = FormParser(page_url)
    parser.feed(html)
    return parser.forms


# -- the walk ----------------------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def objects(users, here) -> dict[str, str]:
    """One existing object for each kind of id a URL can name."""
    author = users["authority_here"]
    published = news.save_post(author, title={"en": "Road"}, body={"en": "Done."},
                               audience=HOME, place_id=here.id, image=_png(),
                               push_telegram=True)
    news.publish(author, published)
    applicant = User(role="authority", email="applicant@example.org")
    db.session.add(applicant)
    db.session.flush()
    link = AuthorityPlace(user_id=applicant.id, place_id=here.id, organisation="X")
    db.session.add(link)
    db.session.commit()
    survey, text_question = _answered_survey(users)
    from diaspora.projects import service as projects

    # A public project with a photo, by the member (so they see its support and progress
    # forms); its lifecycle buttons are walked by the authority of its place and staff.
    project = projects.save_project(users["member"], projects.ProjectDraft(
        place_id=here.id, title="Water", summary="A pump", photos=[_png()],
        budget_items=[("Pump", "100")]))
    projects.transition(users["member"], project, "submit")
    projects.transition(users["admin"], project, "publish")
    # Accepted, with an update (a photo) and a milestone, so its proposer and the authority
    # of its place get the progress forms to feed; a question on it by the authority,
    # answered by the member (their own answer has its edit and delete forms), reportable by
    # the others.
    from diaspora.notifications.models import Notification
    from diaspora.projects import comments, progress

    projects.transition(users["authority_here"], project, "accept")
    update = progress.post_update(users["authority_here"], project, "Done", photos=[_png()])
    milestone = progress.add_milestone(users["authority_here"], project, "Pump")
    question = comments.add_comment(users["authority_here"], project, "When?", kind="question")
    comments.answer(users["member"], question, "Soon")
    # The member's own notification (the project's publication): its "open" form.
    notification_id = db.session.scalar(sa.select(sa.func.max(Notification.id)).where(
        Notification.user_id == users["member"].id))
    return {"notification_id": str(notification_id or 1),
            "update_photo_id": str(update.photos[0].id), "milestone_id": str(milestone.id),
            "comment_id": str(question.id), "kind": "project_comment",
            "subject_id": str(question.id), "visibility": "hide",
            "survey_id": str(survey.id), "question_id": str(text_question.id),
            "project_id": str(project.id), "photo_id": str(project.photos[0].id),
            "place_id": str(here.id),
            "post_id": str(published.id), "image_id": str(published.image_id),
            "broadcast_id": str(published.broadcast_id or 1), "user_id": str(applicant.id),
            "link_id": str(link.id), "lang": "en", "token": "not-a-token",
            "decision": "verify", "filename": "css/mekendesh.css"}


def _answered_survey(users):
    """An open survey with a choice and a typed question, answered by 6 members, results
    published (its results pages have forms and filters to walk)."""
    from diaspora.surveys import service as surveys

    staff = users["admin"]
    survey = surveys.create_survey(staff, surveys.SurveySettings(title={"en": "Bad input"}))
    surveys.save_question(staff, survey, surveys.QuestionSpec(
        "single", {"en": "Which?"}, options=[surveys.OptionSpec({"en": "A"}),
                                             surveys.OptionSpec({"en": "B"})]))
    surveys.save_question(staff, survey, surveys.QuestionSpec("short_text", {"en": "Why?"},
                                                              required=False))
    surveys.open_survey(staff, survey)
    for index in range(6):
        member = users["member"] if index == 0 else User(role="member", locale="en")
        if index:
            db.session.add(member)
            db.session.commit()
        surveys.submit_response(member, survey, {
            survey.questions[0].id: str(survey.questions[0].options[index % 2].id),
            survey.questions[1].id: "Because"})
    surveys.set_results_published(staff, survey, True)
    # Then one optional question of every kind (allowed after opening), so the answer page
    # walked by the roles who have not answered has a field of each kind to feed.
    from tests.surveys.conftest import every_kind

    for spec in every_kind(db.session.get(Place, users["member"].profile.home_place_id)):
        spec.required = False
        surveys.save_question(staff, survey, spec)
    return survey, survey.questions[1]


class Walker:
    def __init__(self, app: Flask, user: User | None) -> None:
        self.app, self.user_id = app, user.id if user is not None else None
        self.client: FlaskClient = app.test_client()
        self.failures: list[str] = []
        self.requests = 0
        # The signed session cookie of a fresh sign-in, and whether the last request may
        # have changed the user's session version (then it is signed again).
        self._cookie: tuple[str, str] | None = None
        self._reread_user = True

    def send(self, method: str, url: str, data: dict | None = None) -> str | None:
        """Make one request as the walking user; a 500 or an exception is a failure."""
        return self._send(method, url, data)[1]

    def send_each(self, method: str, url: str, names: list[str], value: str) -> None:
        """`value` in each of `names`, in as few requests as keep every name reached: all at
        once; where the view answered anything but 200 (it may have stopped at one name
        before reading the others), halves, and so on down to the names it refuses alone.
        Unless the route refuses the value under a name no view reads: then the refusal is
        the value's or the route's, whatever the name."""
        if self._send_names(method, url, names, value) == 200:
            return
        if self._send_names(method, url, ["walker-unread-name"], value) != 200:
            return
        self._narrow(method, url, names, value)

    def _narrow(self, method: str, url: str, names: list[str], value: str) -> None:
        if len(names) == 1:
            return
        half = len(names) // 2
        for part in (names[:half], names[half:]):
            if self._send_names(method, url, part, value) != 200:
                self._narrow(method, url, part, value)

    def _send_names(self, method: str, url: str, names: list[str], value: str) -> int | None:
        if method == "GET":
            return self._send("GET", f"{url}?{urlencode(dict.fromkeys(names, value))}")[0]
        return self._send(method, url, dict.fromkeys(names, value))[0]

    def _send(self, method: str, url: str, data: dict | None = None
              ) -> tuple[int | None, str | None]:
        self._sign_in_afresh()
        self._reread_user = method != "GET"
        self.requests += 1
        try:
            response = self.client.open(url, method=method, data=data)
        except Exception as error:  # noqa: BLE001  (reported below with the request)
            self.failures.append(f"{method} {url!r} {_short(data)} raised {error!r:.300}")
            return None, None
        if response.status_code >= 500:
            self.failures.append(f"{method} {url!r} {_short(data)} -> {response.status_code}")
            return response.status_code, None
        if response.mimetype == "text/html" and response.status_code == 200:
            return 200, response.get_data(as_text=True)
        return response.status_code, None

    def _sign_in_afresh(self) -> None:
        """Every request starts from a session that holds only the walking user's sign-in
        (what earlier requests put there, a flash or a language, is gone). The user is read
        again after a request that could have changed their session version (logging out
        everywhere, erasure): anything but a GET."""
        if self._cookie is None or self._reread_user:
            data = {}
            if self.user_id is not None:
                with self.app.app_context():
                    user = db.session.get(User, self.user_id)
                    # The id with the current session version (logging out ends sessions).
                    user_id = user.get_id() if user is not None and user.active else None
                if user_id is not None:
                    # Staff walk as after their second sign-in step (accounts/two_factor.py).
                    data = {"_user_id": user_id, "_fresh": True,
                            TWO_FACTOR_SESSION_KEY: user_id}
            serializer = self.app.session_interface.get_signing_serializer(self.app)
            self._cookie = (self.app.config["SESSION_COOKIE_NAME"], serializer.dumps(data))
        self.client.set_cookie(*self._cookie)

    def submit(self, page_url: str, form: Form) -> None:
        url = form.action or page_url
        if urlsplit(url).netloc:
            return  # never leaves the site
        # Blank text gets a plausible answer, so one bad field is not hidden behind another
        # one left empty (a form must pass its other checks to reach the code that uses it).
        base = {name: [value or "1" for value in values]
                for name, values in form.fields.items() if values}
        for button in form.buttons:  # each button as it is, e.g. "save" and "publish"
            self._send_form(form.method, url, {**base, button[0]: [button[1]]})
        if form.buttons:  # the last button, usually the one that goes furthest
            base[form.buttons[-1][0]] = [form.buttons[-1][1]]
        self._send_form(form.method, url, base)
        for name in [*form.fields, *form.files]:
            for value in HOSTILE:
                self._send_form(form.method, url, {**base, name: [value]})

    def _send_form(self, method: str, url: str, values: dict[str, list[str]]) -> None:
        if method == "GET":
            query = urlencode([(k, v) for k, vs in values.items() for v in vs])
            self.send("GET", f"{url.split('?')[0]}?{query}")
        else:
            self.send("POST", url, data={k: vs for k, vs in values.items()})


def _short(data: dict | None) -> str:
    if not data:
        return ""
    return repr({k: (v if len(repr(v)) < 60 else "...") for k, v in data.items()})


def _urls(rule: Rule, objects: dict[str, str]) -> list[str]:
    """The rule with real ids, and with each converter fed hostile values in turn."""
    from werkzeug.routing import IntegerConverter

    valid = {name: objects.get(name, "1") for name in rule.arguments}
    urls = [_build(rule, valid)]
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            bad = ["0", INT32_OVER, INT64_MAX, str(2**63), TOO_BIG]
        else:
            bad = ["abc", "%00", "x" * 300]
        urls += [_build(rule, {**valid, name: value}) for value in bad]
    return urls


def _build(rule: Rule, values: dict[str, str]) -> str:
    # Built by hand: url_for would refuse the very values we want to send.
    path = rule.rule
    for name, value in values.items():
        path = re.sub(r"<(?:[^<>:]+:)?" + re.escape(name) + r">", value, path)
    return path


@pytest.mark.parametrize("role", ROLES)
def test_no_input_is_answered_with_a_server_error(app, users, objects, role):
    walker = Walker(app, users[role])
    query_names = _query_parameters()
    posted_names = _posted_names()
    assert {"page", "region", "topic"} <= set(query_names)
    rules = sorted(app.url_map.iter_rules(),
                   key=lambda rule: (rule.endpoint in LAST, rule.rule))
    forms_walked: set[tuple] = set()
    for rule in rules:
        methods = rule.methods - {"HEAD", "OPTIONS"}
        url, *bad_urls = _urls(rule, objects)
        for bad_url in bad_urls:
            for method in methods:
                walker.send(method, bad_url)
        if "GET" in methods:
            html = walker.send("GET", url)
            if rule.endpoint != "static":
                for value in HOSTILE_PARAMETERS:
                    walker.send_each("GET", url, query_names, value)
            for form in forms_on(url, html or ""):
                # The same form on many pages (logging out, the news filter) is walked once.
                key = (form.method, form.action.split("?")[0], tuple(sorted(form.fields)))
                if key not in forms_walked:
                    forms_walked.add(key)
                    walker.submit(url, form)
        if "POST" in methods:
            walker.send("POST", url, data={})
            for value in HOSTILE_PARAMETERS:
                walker.send_each("POST", url, posted_names, value)
    assert len(forms_walked) > (3 if role != "anonymous" else 1)
    assert not walker.failures, (
        f"{len(walker.failures)} of {walker.requests} requests as {role} failed:\n"
        + "\n".join(walker.failures[:40]))
