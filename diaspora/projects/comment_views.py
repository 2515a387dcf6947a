"""The comments and questions of a project page: writing, answering, editing, deleting,
hiding, and each comment's permanent address. Routes on the projects blueprint (imported by
the feature's init_app before the blueprint is registered); the section the project page
shows is built by `comments_section`, a template function, so the page's own view needs no
change. Views parse and render; comments.py decides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.accounts.permissions import can
from diaspora.errors import DomainError, InvalidTransition, ValidationError
from diaspora.forms import ConfirmForm, show_domain_error
from diaspora.main.templating import current_locale
from diaspora.moderation.reports import has_reported, reported_ids
from diaspora.projects import comments
from diaspora.projects import service as projects
from diaspora.projects.forms import CommentEditForm, CommentForm
from diaspora.projects.models import PUBLIC_STATES, Project, ProjectComment
from diaspora.projects.views import bp, show


@dataclass
class CommentsSection:
    """What the project page's "Comments and questions" shows to the current user."""

    project: Project
    page: comments.ThreadPage
    may_comment: bool
    answers_officially: bool
    may_moderate: bool
    reported: set[int]  # the comments on this page the user reported
    reported_project: bool
    form: CommentForm
    confirm: ConfirmForm
    pending: dict[int, CommentForm] = field(default_factory=dict)  # refused answers

    @property
    def shown(self) -> bool:
        return self.project.status in PUBLIC_STATES or self.page.total > 0

    def answer_form(self, comment_id: int) -> CommentForm:
        """The answer form under a thread: the refused one again, with its text, or a new
        one (each with its own prefix: a page has many)."""
        refused = self.pending.get(comment_id)
        if refused is not None:
            return refused
        return CommentForm(prefix=f"a{comment_id}", language=current_locale(), formdata=None)

    def name(self, comment: ProjectComment) -> str:
        return comments.author_name(comment.author) or _("Member")

    def role(self, comment: ProjectComment) -> str | None:
        """Who gave an official answer: the proposer or the local authority."""
        if not comment.official:
            return None
        if comment.author_id is not None and comment.author_id == self.project.proposer_id:
            return _("the proposer")
        return _("the local authority")


def comments_section(project: Project) -> CommentsSection:
    pending: dict[Any, CommentForm] = g.get("comment_forms", {})
    page = comments.list_threads(project, request.args.get("cpage", 1, type=int) or 1)
    ids = [c.id for thread in page.threads for c in (thread.comment, *thread.answers)]
    return CommentsSection(
        project=project, page=page,
        may_comment=can(current_user, "projects.comment", project),
        answers_officially=can(current_user, "projects.answer_officially", project),
        may_moderate=can(current_user, "projects.moderate_comment"),
        reported=reported_ids(current_user, comments.SUBJECT_KIND, ids),
        reported_project=has_reported(current_user, "project", project.id),
        form=pending["new"] if "new" in pending else CommentForm(language=current_locale(),
                                                                 formdata=None),
        confirm=ConfirmForm(),
        pending={key: form for key, form in pending.items() if key != "new"})


@bp.context_processor
def _comments() -> dict:
    return {"comments_section": comments_section}


def _at(comment: ProjectComment) -> ResponseReturnValue:
    return redirect(url_for("projects.comment_link", comment_id=comment.id))


def _page_again(project: Project, key: Any, form: CommentForm) -> ResponseReturnValue:
    """The project page again, the refused form showing its errors and the text typed."""
    g.comment_forms = {key: form}
    return show(project.id)


@bp.post("/<int:project_id>/comments")
@login_required
def comment(project_id: int) -> ResponseReturnValue:
    project = projects.get_visible_project(current_user, project_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            made = comments.add_comment(current_user, project, form.body.data or "",
                                        kind=form.kind.data or "comment",
                                        language=form.language.data or current_locale())
        except ValidationError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your question is published. The proposer and the local authority can "
                    "answer it.") if made.kind == "question"
                  else _("Your comment is published."), "success")
            return _at(made)
    return _page_again(project, "new", form)


@bp.post("/comments/<int:comment_id>/answer")
@login_required
def answer_comment(comment_id: int) -> ResponseReturnValue:
    parent = comments.get_visible_comment(current_user, comment_id)
    project = comments.project_of(parent)
    form = CommentForm(prefix=f"a{parent.id}")
    if form.validate_on_submit():
        try:
            made = comments.answer(current_user, parent, form.body.data or "",
                                   language=form.language.data or current_locale())
        except InvalidTransition as error:
            flash(str(error.message), "error")
            return _at(parent)
        except ValidationError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your official answer is published.") if made.official
                  else _("Your answer is published."), "success")
            return _at(made)
    return _page_again(project, parent.id, form)


@bp.get("/comments/<int:comment_id>")
def comment_link(comment_id: int) -> ResponseReturnValue:
    """A comment's permanent address: the page of the project that shows it, at its place."""
    found = comments.get_visible_comment(current_user, comment_id)
    page = comments.page_of(found)
    return redirect(url_for("projects.show", project_id=found.project_id,
                            **({"cpage": page} if page > 1 else {}),
                            _anchor=f"comment-{found.id}"))


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int) -> ResponseReturnValue:
    found = comments.get_visible_comment(current_user, comment_id)
    if not can(current_user, "projects.edit_comment", found):
        if found.author_id == current_user.id and found.deleted_at is None:
            flash(_("A comment can be changed only in the first %(n)s minutes after writing "
                    "it.", n=int(comments.EDIT_WINDOW.total_seconds() // 60)), "error")
            return _at(found)
        abort(403)
    form = CommentEditForm()
    if request.method == "GET":
        form.body.data = found.body
    elif form.validate_on_submit():
        try:
            comments.edit_comment(current_user, found, form.body.data or "")
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your comment is changed."), "success")
            return _at(found)
    return render_template("projects/comment_edit.html", form=form, comment=found,
                           project=comments.project_of(found),
                           minutes=int(comments.EDIT_WINDOW.total_seconds() // 60))


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int) -> ResponseReturnValue:
    found = comments.get_visible_comment(current_user, comment_id)
    if not can(current_user, "projects.delete_comment", found):
        abort(403)
    if ConfirmForm().validate_on_submit():
        comments.delete_comment(current_user, found)
        flash(_("Your comment is deleted."), "info")
    return _at(found)


@bp.post("/comments/<int:comment_id>/<any(hide, restore):visibility>")
@login_required
def moderate_comment(comment_id: int, visibility: str) -> ResponseReturnValue:
    found = comments.get_visible_comment(current_user, comment_id)
    if not can(current_user, "projects.moderate_comment", found):
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            if visibility == "hide":
                comments.hide_comment(current_user, found)
                flash(_("The comment is hidden."), "info")
            else:
                comments.restore_comment(current_user, found)
                flash(_("The comment is shown again."), "success")
        except InvalidTransition as error:
            flash(str(error.message), "error")
    return _at(found)
