"""Who may report items, who reads the reports, and who may export the audit log (rules of
`can()`, registered when the moderation feature's `init_app` imports this module). Reading
the log is `audit.view` (accounts/permissions.py): every member of staff.

Exporting is for admins only: the file carries, for every row, the account and display name
of whoever acted, in bulk and out of the site's reach once downloaded. Moderators read and
filter the log on the page, where each look is one page of it.
"""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import is_admin, is_member, is_staff, rule


@rule("moderation.report")
def _report(user: Any, obj: Any) -> bool:
    """Any signed-in member reports what they can see (the subject's own resolver decides
    what they can see). Issue 10's sanctions (a blocked member) plug in here."""
    return is_member(user)


@rule("moderation.view_reports")
def _view_reports(user: Any, obj: Any) -> bool:
    return is_staff(user)


@rule("audit.export")
def _export_audit(user: Any, obj: Any) -> bool:
    return is_admin(user)


@rule("moderation.queue")
def _queue(user: Any, obj: Any) -> bool:
    """The one queue and its decisions: staff (on the web with their second factor; in the
    moderators' Telegram chat the linked account's role)."""
    return is_staff(user)
