"""Reintegration support: returnees ask for help on return, the local authorities of their
place answer, refer them to a local service or close the request; authorities keep the
directory of local services of their places."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

# What a member can be told about support requests; each is a switch in their profile.
NOTIFICATION_KINDS = (
    ("support.answered", _l("Local authorities' answers to my support requests")),
    ("support.new", _l("New support requests for the places I represent")),
    ("support.reply", _l("Members' replies on support requests for the places I represent")),
)


def init_app(app: Flask) -> None:
    from diaspora.accounts.service import register_personal_data
    from diaspora.cli import register_demo_data
    from diaspora.delivery.housekeeping import register_job
    from diaspora.delivery.messages import register_template
    from diaspora.notifications.service import register_kind
    from diaspora.support import (
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
        queue,
    )
    from diaspora.support.demo import seed_demo_support
    from diaspora.support.messages import (
        AUTHORITY_TEMPLATE,
        STEP_TEMPLATE,
        render_authority,
        render_step,
    )
    from diaspora.support.service import (
        erase_member_requests,
        export_member_requests,
        flag_unanswered,
    )
    from diaspora.support.views import bp

    app.register_blueprint(bp)
    register_demo_data(app, "support", seed_demo_support)
    register_template(app, STEP_TEMPLATE, render_step)
    register_template(app, AUTHORITY_TEMPLATE, render_authority)
    register_personal_data(app, "support_requests", export_member_requests,
                           erase_member_requests)
    register_job(app, "support.flag_unanswered", flag_unanswered)
    queue.init_app(app)
    for kind, label in NOTIFICATION_KINDS:
        register_kind(app, kind, label)
