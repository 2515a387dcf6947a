"""Moderation: the audit log, authority verification and members' reports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.accounts.service import register_personal_data
    from diaspora.moderation import (
        authority_views,  # noqa: F401  (its routes on bp: imported before bp is registered)
        chat_views,  # noqa: F401  (the moderators' Telegram chat pages, on bp)
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
        queue_sources,
        sanctions,
        spam,
    )
    from diaspora.moderation.report_views import bp as reports_bp
    from diaspora.moderation.reports import erase_member_reports, export_member_reports
    from diaspora.moderation.sanction_views import bp as sanctions_bp
    from diaspora.moderation.views import bp

    spam.init_app(app)
    app.register_blueprint(bp)
    queue_sources.init_app(app)
    app.register_blueprint(reports_bp)
    app.register_blueprint(sanctions_bp)
    register_personal_data(app, "reports", export_member_reports, erase_member_reports)
    sanctions.init_app(app)
