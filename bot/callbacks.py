"""Callback-data prefixes: the one registry every inline button of the bot goes through.

A button's callback data is `<prefix>:<value>` (a choice: a place id, a country code) or
`<prefix>!<control>[:<arg>...]` (a control of the widget: skip, done, next page). Each owner
(a conversation, a feature) registers its prefixes once, at import time; a second owner
asking for the same prefix is refused, so two features can never answer each other's buttons.
Handler patterns are built here too, so a pattern cannot drift from the data it matches.

    RETURN = register_prefix("rp", owner="registration")
    RETURN.data("later")            -> "rp:later"
    RETURN.control("skip")          -> "rp!skip"
    RETURN.pattern()                -> "^rp[:!]"      (every button of the prefix)
    RETURN.parse("rp!page:3")       -> Parsed(control="page", args=["3"])
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram.ext import CallbackQueryHandler

from diaspora.forms import MAX_ID

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data
_PREFIX_SHAPE = re.compile(r"^[a-z][a-z0-9_]{0,11}$")
_REGISTRY: dict[str, Prefix] = {}
_NUMBER = re.compile(r"[0-9]{1,10}")


def whole_number(text: str | None, maximum: int = MAX_ID) -> int:
    """A number a button carries (a place id, a page, an offset): ASCII digits from 0 to
    `maximum`, else ValueError, which the handlers answer as a stale button. A forged
    `pl:100000000000000000000` must not reach the database (beyond 64 bits the driver
    overflows), nor `"²"` int() (a digit to str.isdigit, not to int)."""
    if text is None or not _NUMBER.fullmatch(text) or int(text) > maximum:
        raise ValueError(f"not a button number: {text!r:.40}")
    return int(text)


class DuplicatePrefix(ValueError):
    pass


@dataclass(frozen=True)
class Parsed:
    """What a button said: a value (`control` None) or a control with its arguments."""

    value: str | None
    control: str | None
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prefix:
    name: str
    owner: str

    def data(self, value: object) -> str:
        return _checked(f"{self.name}:{value}")

    def control(self, name: str, *args: object) -> str:
        tail = "".join(f":{arg}" for arg in args)
        return _checked(f"{self.name}!{name}{tail}")

    def pattern(self) -> str:
        """A regex for every button of this prefix."""
        return f"^{re.escape(self.name)}[:!]"

    def value_pattern(self, value_regex: str = ".+") -> str:
        return f"^{re.escape(self.name)}:(?:{value_regex})$"

    def control_pattern(self, control: str) -> str:
        return f"^{re.escape(self.name)}!{re.escape(control)}(?::|$)"

    def owns(self, data: str | None) -> bool:
        return bool(data) and re.match(self.pattern(), data) is not None

    def parse(self, data: str | None) -> Parsed | None:
        """None for data that is not ours (a forged or foreign button)."""
        if not self.owns(data):
            return None
        rest = data[len(self.name) :]
        if rest[0] == ":":
            return Parsed(value=rest[1:], control=None)
        control, *args = rest[1:].split(":")
        return Parsed(value=None, control=control, args=tuple(args))

    def handler(self, callback: object, *, value_regex: str | None = None) -> CallbackQueryHandler:
        """A CallbackQueryHandler for this prefix (all its buttons, or values matching)."""
        pattern = self.pattern() if value_regex is None else self.value_pattern(value_regex)
        return CallbackQueryHandler(callback, pattern=pattern)


def register_prefix(name: str, *, owner: str = "") -> Prefix:
    """Claim `name` for `owner`; raises DuplicatePrefix if another claim exists."""
    if not _PREFIX_SHAPE.match(name):
        raise ValueError(f"callback prefix {name!r}: 1-12 lowercase letters, digits or _")
    if name in _REGISTRY:
        raise DuplicatePrefix(
            f"callback prefix {name!r} is already used by {_REGISTRY[name].owner or 'another'}"
        )
    prefix = Prefix(name, owner)
    _REGISTRY[name] = prefix
    return prefix


def any_of_pattern(*prefixes: Prefix) -> str:
    """One regex for every button of several prefixes (e.g. a conversation's stale answer)."""
    names = "|".join(re.escape(p.name) for p in prefixes)
    return f"^(?:{names})[:!]"


def registered() -> dict[str, str]:
    """prefix -> owner, for tests and the documentation."""
    return {name: prefix.owner for name, prefix in sorted(_REGISTRY.items())}


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data
