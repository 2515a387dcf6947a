"""Who may export the audit log (a rule of `can()`, registered when moderation's `init_app`
imports this module). Reading it is `audit.view` (accounts/permissions.py): every member of
staff.

Exporting is for admins only: the file carries, for every row, the account and display name
of whoever acted, in bulk and out of the site's reach once downloaded. Moderators read and
filter the log on the page, where each look is one page of it.
"""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import is_admin, rule


@rule("audit.export")
def _export_audit(user: Any, obj: Any) -> bool:
    return is_admin(user)
