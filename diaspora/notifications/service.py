"""Who hears of what: one call, `notify`, for every feature.

A kind is registered once by the feature that raises it (`register_kind`), with the label the
profile's switches show. `notify` is called inside the caller's transaction; it writes
nothing when the recipient is the actor (nobody is told of their own step) or switched the
kind off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

_KINDS_KEY = "mekendesh.notification_kinds"


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any  # a lazy string: the switch in the profile
    # Kinds that may arrive often (project updates): at most one Telegram message a day per
    # member; the rest wait for the daily digest.
    digest: bool = False


def register_kind(app: Flask, name: str, label: Any, *, digest: bool = False) -> None:
    kinds: dict[str, Kind] = app.extensions.setdefault(_KINDS_KEY, {})
    if name in kinds and kinds[name] != Kind(name, label, digest):
        raise ValueError(f"notification kind {name!r} is already registered")
    kinds[name] = Kind(name, label, digest)


def kinds() -> dict[str, Kind]:
    return current_app.extensions.get(_KINDS_KEY, {})


def notify(recipient: Any, kind: str, template: str, params: Mapping[str, Any], *,
           url: str, actor: Any = None) -> None:
    """Tell `recipient` (a User) about something of `kind`: `template` and `params` are an
    outbox message template (delivery.messages) that renders it in any language; `url` is
    the page it is about. Part of the caller's transaction."""
    from diaspora.delivery.service import enqueue_notification

    if kind not in kinds():
        raise KeyError(f"unknown notification kind {kind!r}")
    if recipient is None or recipient.id == getattr(actor, "id", None):
        return
    enqueue_notification(recipient, template, params)
