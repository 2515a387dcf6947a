"""Users, roles, diaspora profiles, consent and authentication."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.accounts import consent, consent_views, models  # noqa: F401  (its tables, known to Alembic)
    from diaspora.accounts.authority import (
        DECISION_TEMPLATE,
        NOTIFICATION_KIND,
        NOTIFICATION_LABEL,
        render_decision,
    )
    from diaspora.accounts.cli import register_commands
    from diaspora.accounts.deeplink import open_in_telegram, qr_svg
    from diaspora.accounts.demo import seed_demo_accounts
    from diaspora.accounts.service import register_personal_data
    from diaspora.accounts.sessions import end_refused_session, forget_old_ended_sessions
    from diaspora.accounts.two_factor import erase_personal_data, export_personal_data
    from diaspora.accounts.views import admin_bp, bp
    from diaspora.cli import register_demo_data
    from diaspora.delivery.housekeeping import register_job
    from diaspora.delivery.messages import register_template
    from diaspora.notifications.service import register_kind

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    # Before the consent check: a blocked member is told so, not asked to accept a notice.
    app.before_request(end_refused_session)
    consent_views.init_app(app)
    register_commands(app)
    app.add_template_global(open_in_telegram)
    app.add_template_global(qr_svg)
    register_demo_data(app, "accounts", seed_demo_accounts)
    register_job(app, "accounts.forget_old_ended_sessions", forget_old_ended_sessions)
    # Staff two-factor sign-in: when (not how) they enrolled; erasure removes the secret.
    register_personal_data(app, "two_factor", export_personal_data, erase_personal_data)
    # Verification, rejection and revocation of a local authority reach the member.
    register_kind(app, NOTIFICATION_KIND, NOTIFICATION_LABEL)
    register_template(app, DECISION_TEMPLATE, render_decision)
