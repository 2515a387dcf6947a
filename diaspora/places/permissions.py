"""Who may change the gazetteer (rules of `can()`, registered when the places feature's
`init_app` imports this module)."""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import is_staff, rule


@rule("places.promote_village")
def _promote_village(user: Any, obj: Any) -> bool:
    """Programme staff turn a village many members typed into a place of the gazetteer."""
    return is_staff(user)
