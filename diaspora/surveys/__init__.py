"""Surveys: built by staff, answered on the web and in Telegram, results people can read."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from diaspora.accounts.service import register_personal_data
    from diaspora.cli import register_demo_data
    from diaspora.delivery.housekeeping import register_job
    from diaspora.delivery.messages import register_template
    from diaspora.moderation.reports import register_subject
    from diaspora.surveys import (
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
        reporting,
        results_views,  # noqa: F401  (its routes on bp: imported before bp is registered)
    )
    from diaspora.surveys.demo import seed_demo_surveys
    from diaspora.surveys.messages import (
        RESULTS_TEMPLATE,
        TEMPLATE,
        render_invitation,
        render_results,
    )
    from diaspora.surveys.service import (
        erase_member_answers,
        export_member_answers,
        invite_to_started_surveys,
    )
    from diaspora.surveys.views import bp

    app.register_blueprint(bp)
    register_subject(app, reporting.SUBJECT_KIND, _l("Survey"), resolve=reporting.resolve_survey,
                     describe=reporting.describe_surveys)
    register_template(app, TEMPLATE, render_invitation)
    register_template(app, RESULTS_TEMPLATE, render_results)
    register_job(app, "surveys.invite", invite_to_started_surveys)
    register_personal_data(app, "survey_answers", export_member_answers, erase_member_answers)
    register_demo_data(app, "surveys", seed_demo_surveys)
