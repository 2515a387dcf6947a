"""Community investment projects: members propose, local authorities answer, the diaspora
supports, everyone sees what happened."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

# What a member can be told about projects; each is a switch in their profile.
NOTIFICATION_KINDS = (
    ("project.moderated", _l("Moderators' decisions on my proposals"), False),
    ("project.answered", _l("Local authorities' answers to my proposals"), False),
    ("project.comment", _l("Comments and questions on my projects, and answers to mine"), False),
    ("project.published_here", _l("New proposals for the places I represent"), False),
    ("project.status", _l("Status changes of projects I support"), False),
    ("project.update", _l("Progress updates of projects I propose or support"), True),
)


def init_app(app: Flask) -> None:
    from diaspora.accounts.service import register_personal_data
    from diaspora.cli import register_demo_data
    from diaspora.delivery.housekeeping import register_job
    from diaspora.delivery.messages import register_template
    from diaspora.moderation.reports import register_subject
    from diaspora.notifications.service import register_kind
    from diaspora.projects import (
        comment_views,  # noqa: F401  (its routes on bp: imported before bp is registered)
        comments,
        models,  # noqa: F401  (its tables, known to Alembic)
        moderation,
        permissions,  # noqa: F401  (its rules of can())
    )
    from diaspora.projects.demo import seed_demo_projects
    from diaspora.projects.messages import (
        COMMENT_TEMPLATE,
        PUBLISHED_HERE_TEMPLATE,
        STATUS_TEMPLATE,
        SUPPORTED_STATUS_TEMPLATE,
        UPDATE_TEMPLATE,
        render_comment,
        render_published_here,
        render_status,
        render_supported_status,
        render_update,
    )
    from diaspora.projects.service import flag_unanswered
    from diaspora.projects.views import bp

    app.register_blueprint(bp)
    register_demo_data(app, "projects", seed_demo_projects)
    register_template(app, STATUS_TEMPLATE, render_status)
    register_template(app, UPDATE_TEMPLATE, render_update)
    register_template(app, COMMENT_TEMPLATE, render_comment)
    register_personal_data(app, "project_comments", comments.export_member_comments,
                           comments.erase_member_comments)
    register_subject(app, "project", _l("Project"), resolve=comments.resolve_project,
                     describe=comments.describe_projects, hide=moderation.hide_project,
                     restore=moderation.restore_project, hidden=moderation.hidden_projects)
    register_subject(app, comments.SUBJECT_KIND, _l("Comment on a project"),
                     resolve=comments.resolve_comment, describe=comments.describe_comments,
                     hide=moderation.hide_comment, restore=moderation.restore_comment,
                     hidden=moderation.hidden_comments)
    moderation.init_app(app)
    register_template(app, PUBLISHED_HERE_TEMPLATE, render_published_here)
    register_template(app, SUPPORTED_STATUS_TEMPLATE, render_supported_status)
    register_job(app, "projects.flag_unanswered", flag_unanswered)
    for kind, label, digest in NOTIFICATION_KINDS:
        register_kind(app, kind, label, digest=digest)
