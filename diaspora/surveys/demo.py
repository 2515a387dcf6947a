"""Demo survey (`flask seed-demo`, `flask bootstrap`): the Diaspora mapping template, open,
so `make run` shows a survey to answer."""

from __future__ import annotations

from sqlalchemy import select

from diaspora.accounts import service as accounts
from diaspora.accounts.demo import DEMO_ACCOUNTS
from diaspora.extensions import db
from diaspora.surveys import service
from diaspora.surveys.models import Survey
from diaspora.surveys.templates import DIASPORA_MAPPING, create_from_template


def seed_demo_surveys(members: int) -> str | None:
    """One open survey made from the Diaspora mapping template; once, and only beside the
    demo accounts (None: nothing added)."""
    moderator = accounts.find_by_email(DEMO_ACCOUNTS[1][0])
    if moderator is None or db.session.scalar(
            select(Survey.id).where(Survey.template == DIASPORA_MAPPING.key).limit(1)):
        return None
    survey = create_from_template(moderator, DIASPORA_MAPPING.key)
    service.open_survey(moderator, survey)
    return "1 open demo survey (Diaspora mapping)"
