"""Surveys as items members can report (moderation/reports.py). Staff write surveys, so a
report waits for a moderator (who may close or edit the survey); members' reports never
take a survey down by themselves: no `hide` is offered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from diaspora.accounts.permissions import can
from diaspora.extensions import db
from diaspora.i18n import localized_text
from diaspora.moderation.reports import SubjectInfo
from diaspora.rendering import shorten
from diaspora.surveys.models import Survey
from diaspora.surveys.service import is_live

SUBJECT_KIND = "survey"


def resolve_survey(actor: Any, survey_id: int) -> Survey | None:
    """A survey the member can answer now, or whose results they can read."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        return None
    if (is_live(survey) and can(actor, "surveys.answer", survey)) or can(
            actor, "surveys.view_results", survey):
        return survey
    return None


def describe_surveys(ids: Sequence[int]) -> dict[int, SubjectInfo]:
    from diaspora.main.templating import current_locale

    locale = current_locale()
    rows = db.session.execute(
        select(Survey.id, Survey.title, Survey.intro, Survey.created_by_id)
        .where(Survey.id.in_(list(ids)))).all()
    return {sid: SubjectInfo(localized_text(title, locale),
                             shorten(localized_text(intro, locale), 300), f"/surveys/{sid}",
                             author_id)
            for sid, title, intro, author_id in rows}
