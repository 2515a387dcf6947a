"""Who may build, answer and read surveys (rules of `can()`, registered when the surveys
feature's `init_app` imports this module)."""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import is_member, is_staff, rule


@rule("surveys.manage")
def _manage_surveys(user: Any, survey: Any) -> bool:
    """Programme staff (moderators and admins) build, open, close and export surveys."""
    return is_staff(user)


@rule("surveys.answer")
def _answer_survey(user: Any, survey: Any) -> bool:
    """A member answers a survey meant for them (its audience)."""
    from diaspora.surveys.service import in_audience

    return is_member(user) and survey is not None and in_audience(user, survey)


@rule("surveys.view_results")
def _view_results(user: Any, survey: Any) -> bool:
    """Staff always; once staff publish the results, the members who answered."""
    if is_staff(user):
        return True
    if survey is None or not survey.results_published or not is_member(user):
        return False
    from diaspora.surveys.service import has_answered

    return has_answered(user, survey)


@rule("surveys.read_text_answers")
def _read_text_answers(user: Any, survey: Any) -> bool:
    """Typed answers may name people or places: staff only, even when results are public."""
    return is_staff(user)
