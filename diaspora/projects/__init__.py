"""Community investment projects: members propose, local authorities answer, the diaspora
supports, everyone sees what happened."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.cli import register_demo_data
    from diaspora.delivery.housekeeping import register_job
    from diaspora.delivery.messages import register_template
    from diaspora.projects import (
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
    )
    from diaspora.projects.demo import seed_demo_projects
    from diaspora.projects.messages import STATUS_TEMPLATE, render_status
    from diaspora.projects.service import flag_unanswered
    from diaspora.projects.views import bp

    app.register_blueprint(bp)
    register_demo_data(app, "projects", seed_demo_projects)
    register_template(app, STATUS_TEMPLATE, render_status)
    register_job(app, "projects.flag_unanswered", flag_unanswered)
