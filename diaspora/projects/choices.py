"""The closed answers of a project, labelled once for the web form and the bot."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from diaspora.projects.models import CONTRIBUTIONS

# What the diaspora could contribute.
CONTRIBUTION_LABELS = {
    "money": _l("Money"),
    "skills": _l("Skills and knowledge"),
    "volunteering": _l("Volunteering"),
    "equipment": _l("Equipment"),
    "mentoring": _l("Mentoring"),
    "connections": _l("Connections"),
}
assert tuple(CONTRIBUTION_LABELS) == CONTRIBUTIONS
