"""Amounts of som as people read them: «150 000 сом» (ky, ru), «150,000 som» (en).

A small Babel-based stand-in until the shared money helper (diaspora.formatting) lands; the
coordinator swaps one for the other.
"""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _


def format_som(amount: int | None) -> str:
    if amount is None:
        return ""
    # The non-breaking space keeps the number and the currency on one line on a phone.
    return _("%(amount)s som", amount=format_decimal(amount, "#,##0")).replace(" ", "\u00a0")
