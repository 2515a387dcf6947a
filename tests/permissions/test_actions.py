"""Every action the code and the templates ask about has a rule, and a typo is an error.

Without these tests `can(user, "news.edti", post)` would be a silent denial: the button
disappears for everybody and nobody notices until a moderator asks where it went.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import nodes

from diaspora.accounts import permissions
from diaspora.accounts.permissions import UnknownAction, can, registered_actions, require
from diaspora.news import permissions as news_permissions
from diaspora.news.models import DRAFT, PUBLISHED, NewsPost

ROOT = Path(__file__).resolve().parents[2]
PYTHON_SOURCES = ("diaspora", "bot")
TEMPLATES = ROOT / "templates"
PERMISSION_CALLS = {"can", "require"}
DYNAMIC = "<not a string literal>"
PERMISSIONS_MODULE = ROOT / "diaspora" / "accounts" / "permissions.py"


def actions_in_python(source: str) -> Iterator[tuple[int, str]]:
    """(line, action) for every can()/require() call; a computed action is reported too,
    because no static check (and no reader) can tell which rule it reaches."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else None)
        if name not in PERMISSION_CALLS or len(node.args) < 2:
            continue
        action = node.args[1]
        if isinstance(action, ast.Constant) and isinstance(action.value, str):
            yield node.lineno, action.value
        else:
            yield node.lineno, DYNAMIC


def actions_in_template(env, source: str) -> Iterator[tuple[int, str]]:
    for call in env.parse(source).find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == "can"):
            continue
        action = call.args[1] if len(call.args) > 1 else None
        if isinstance(action, nodes.Const) and isinstance(action.value, str):
            yield call.lineno, action.value
        else:
            yield call.lineno, DYNAMIC


def used_actions(app: Flask) -> dict[str, list[str]]:
    """action -> where it is used ("path:line")."""
    used: dict[str, list[str]] = {}
    for package in PYTHON_SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, action in actions_in_python(path.read_text(encoding="utf-8")):
                if path == PERMISSIONS_MODULE and action == DYNAMIC:
                    continue  # require() passing its argument on to can()
                used.setdefault(action, []).append(f"{path.relative_to(ROOT)}:{line}")
    for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        source = path.read_text(encoding="utf-8")
        for line, action in actions_in_template(app.jinja_env, source):
            used.setdefault(action, []).append(f"{path.relative_to(ROOT)}:{line}")
    return used


def test_every_action_in_code_and_templates_has_a_rule(app: Flask) -> None:
    used = used_actions(app)
    # The scan itself must see the calls it is meant to check (views, services, templates).
    places = [where for spots in used.values() for where in spots]
    assert any(p.startswith("diaspora/news/service.py") for p in places)
    assert any(p.startswith("templates/base.html") for p in places)
    unknown = {action: where for action, where in used.items()
               if action not in registered_actions()}
    assert not unknown, f"actions no permission rule covers: {unknown}"


def test_every_rule_is_asked_somewhere(app: Flask) -> None:
    """A rule nobody asks is a check someone meant to make and did not wire."""
    unused = set(registered_actions()) - set(used_actions(app))
    assert not unused, f"permission rules nothing asks: {sorted(unused)}"


def test_the_scan_finds_a_typo_in_python_and_in_a_template(app: Flask) -> None:
    python = 'def view(post):\n    if can(current_user, "news.edti", post):\n        pass\n'
    assert list(actions_in_python(python)) == [(2, "news.edti")]
    assert list(actions_in_python("permissions.require(u, ACTION)")) == [(1, DYNAMIC)]
    template = '<p>\n{% if post and can(current_user, "news.edti", post) %}x{% endif %}</p>'
    assert list(actions_in_template(app.jinja_env, template)) == [(2, "news.edti")]


def test_an_unknown_action_is_an_error_in_testing(app: Flask, users) -> None:
    with app.test_request_context():
        with pytest.raises(UnknownAction):
            can(users["admin"], "news.edti")
        with pytest.raises(UnknownAction):
            require(users["admin"], "news.edti")
        with pytest.raises(UnknownAction):
            app.jinja_env.from_string('{{ can(user, "news.edti") }}').render(user=users["admin"])


def test_an_unknown_action_is_refused_and_logged_in_production(
        app: Flask, users, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app, "testing", False)
    with app.test_request_context(), caplog.at_level(logging.ERROR):
        assert can(users["admin"], "news.edti") is False
    assert "news.edti" in caplog.text


def test_a_rule_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="news.edit"):
        permissions.rule("news.edit")(lambda user, obj: True)
    assert permissions._RULES["news.edit"] is news_permissions._edit_news


def test_nobody_is_the_anonymous_visitor(app: Flask, users, here) -> None:
    """None (the bot before registration) and Flask-Login's anonymous user get the same
    answers: published news, nothing else."""
    from flask_login import AnonymousUserMixin

    published = NewsPost(status=PUBLISHED, author_id=users["authority_here"].id, place=here)
    draft = NewsPost(status=DRAFT, author_id=users["authority_here"].id, place=here)
    with app.test_request_context():
        for nobody in (None, AnonymousUserMixin()):
            assert can(nobody, "news.view", published)
            assert not can(nobody, "news.view", draft)
            assert not any(can(nobody, action) for action in registered_actions()
                           if action != "news.view")
        assert can(users["authority_here"], "news.view", draft)
        assert not can(users["authority_elsewhere"], "news.view", draft)
