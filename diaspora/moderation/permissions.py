"""Who may report items and who reads the reports (rules of `can()`, registered when the
moderation feature's `init_app` imports this module)."""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import is_member, is_staff, rule


@rule("moderation.report")
def _report(user: Any, obj: Any) -> bool:
    """Any signed-in member reports what they can see (the subject's own resolver decides
    what they can see). Issue 10's sanctions (a blocked member) plug in here."""
    return is_member(user)


@rule("moderation.view_reports")
def _view_reports(user: Any, obj: Any) -> bool:
    return is_staff(user)
