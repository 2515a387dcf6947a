"""News posts in three languages, on the web, in the bot, and pushed through the outbox."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from diaspora.cli import register_demo_data
    from diaspora.delivery.housekeeping import register_job
    from diaspora.delivery.messages import register_template
    from diaspora.moderation.reports import register_subject
    from diaspora.news import (
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
        reporting,
    )
    from diaspora.news.cli import register_commands
    from diaspora.news.demo import seed_demo_news
    from diaspora.news.messages import TEMPLATE, render_news
    from diaspora.news.service import publish_due_posts
    from diaspora.news.views import bp

    app.register_blueprint(bp)
    register_subject(app, reporting.SUBJECT_KIND, _l("News post"), resolve=reporting.resolve_post,
                     describe=reporting.describe_posts, hide=reporting.hide_post,
                     restore=reporting.restore_post, hidden=reporting.hidden_posts)
    register_commands(app)
    register_template(app, TEMPLATE, render_news)
    register_job(app, "news.publish_due", publish_due_posts)
    register_demo_data(app, "news", seed_demo_news)
