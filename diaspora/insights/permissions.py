"""Who sees which insights (rules of `can()`, registered when the insights feature's
`init_app` imports this module).

The country's tables are public. A region's own view (its districts, its members' answers)
is for staff and for the verified authorities of a place in that region: it is still
suppressed, but finer cuts are kept to those who work with them.
"""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import is_member, is_staff, rule, verified_places
from diaspora.places.models import LEVEL_REGION


@rule("insights.region")
def _region(user: Any, region: Any) -> bool:
    if not is_member(user) or region is None or region.level != LEVEL_REGION:
        return False
    return is_staff(user) or any((place.region_id or place.id) == region.id
                                 for place in verified_places(user))
