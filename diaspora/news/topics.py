"""The topics a news post can be tagged with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TOPICS = {
    "community": _l("Community life"),
    "migration": _l("Migration and documents"),
    "work": _l("Work and rights"),
    "return": _l("Return and reintegration"),
    "investment": _l("Investment and projects"),
    "education": _l("Education"),
    "health": _l("Health"),
    "culture": _l("Culture and sport"),
    "events": _l("Events"),
    "official": _l("Official announcements"),
}
