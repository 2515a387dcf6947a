"""Who may follow and cancel broadcasts (rules of `can()`, registered when the delivery
feature's `init_app` imports this module)."""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import is_staff, rule


@rule("delivery.view_progress")
def _view_delivery_progress(user: Any, obj: Any) -> bool:
    return is_staff(user)


@rule("delivery.cancel")
def _cancel_delivery(user: Any, broadcast: Any) -> bool:
    return is_staff(user)
