"""How the bot is put together: commands listed = commands handled, callback prefixes from
one registry, features plugged in through the menu registry."""

from __future__ import annotations

import re

import pytest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot import callbacks
from bot.application import build_application, handler_modules
from bot.handlers import menu


def _walk(handlers):
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from _walk(handler.entry_points)
            for state_handlers in handler.states.values():
                yield from _walk(state_handlers)
            yield from _walk(handler.fallbacks)
        else:
            yield handler


@pytest.fixture
def application(app, tg):
    return build_application(app, token=tg.token, base_url=tg.url)


def _all_handlers(application):
    return list(_walk(h for group in application.handlers.values() for h in group))


def test_every_command_handled_is_listed_and_every_listed_is_handled(application):
    handled = {
        name
        for handler in _all_handlers(application)
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }
    listed = {command.name for command in menu.command_list(application)}
    assert handled == listed
    assert "news" in listed


def test_every_button_pattern_comes_from_the_registry(application):
    prefixes = callbacks.registered()
    patterns = [
        h.pattern.pattern
        for h in _all_handlers(application)
        if isinstance(h, CallbackQueryHandler) and h.pattern is not None
    ]
    assert patterns
    for pattern in patterns:
        head = re.match(r"\^(?:\(\?:)?([a-z0-9_|]+)\)?(?:\[:!\]|:|!)", pattern)
        assert head, pattern
        assert all(name in prefixes for name in head.group(1).split("|")), pattern
    # the only handler without a pattern is the fallback's "no longer valid" answer, last
    catch_all = [
        h for h in _all_handlers(application) if isinstance(h, CallbackQueryHandler)
        and h.pattern is None
    ]
    assert len(catch_all) == 1


def test_a_prefix_is_claimed_once():
    callbacks.register_prefix("zz_test", owner="a test")
    with pytest.raises(callbacks.DuplicatePrefix):
        callbacks.register_prefix("zz_test", owner="another test")
    with pytest.raises(callbacks.DuplicatePrefix):
        callbacks.register_prefix("rp")  # registration's return plans
    prefix = callbacks.registered()
    assert prefix["zz_test"] == "a test"


def test_prefix_data_and_parsing():
    p = callbacks.Prefix("qq", "test")
    assert p.data("x") == "qq:x" and p.control("page", 3, 1) == "qq!page:3:1"
    assert p.parse("qq:x") == callbacks.Parsed(value="x", control=None)
    assert p.parse("qq!page:3:1") == callbacks.Parsed(None, "page", ("3", "1"))
    assert p.parse("qqq:x") is None and p.parse("rp:x") is None
    with pytest.raises(ValueError):
        p.data("x" * 70)  # over Telegram's 64 bytes


def test_features_plug_in_through_the_list_of_features(application, monkeypatch):
    names = [m.__name__ for m in handler_modules()]
    assert names[0] == "bot.handlers.menu" and names[-1] == "bot.handlers.fallback"
    assert "bot.handlers.accounts" in names and "bot.handlers.news" in names
    # a feature left out of the list leaves the bot: no News item, no /news
    monkeypatch.setattr("bot.application.FEATURES", ("accounts",))
    names = [m.__name__ for m in handler_modules()]
    assert "bot.handlers.news" not in names


def test_menu_modules_do_not_import_features():
    import ast
    from pathlib import Path

    source = Path(menu.__file__).read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m for m in imported if m.startswith("bot.handlers.")} - {"bot.handlers.common"}


def test_two_features_cannot_take_the_same_menu_key(application):
    with pytest.raises(ValueError):
        menu.add_item(application, "news", "News again", lambda u, c: None)
    with pytest.raises(ValueError):
        menu.add_command(application, "news", "News again")


def test_placeholders_step_aside_for_a_feature_that_arrived():
    from types import SimpleNamespace

    from bot.handlers import upcoming

    async def surveys(update, context):
        return None

    application = SimpleNamespace(bot_data={})
    menu.add_item(application, "surveys", "Surveys", surveys, order=20)
    upcoming.register(application)
    items = menu.registry(application).items
    assert items["surveys"].action is surveys
    assert items["projects"].action is upcoming.coming_soon
