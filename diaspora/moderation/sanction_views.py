"""Sanctions on the web: the moderators' page of a member (their history, the form for the
next step, the lift buttons) and the member's own list. moderation/sanctions.py decides."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import Length, Optional

from diaspora.accounts.permissions import can
from diaspora.errors import DomainError
from diaspora.forms import TOO_LONG, WholeNumberField, show_domain_error
from diaspora.moderation import sanctions
from diaspora.moderation.views import bp as moderation_bp

bp = Blueprint("sanctions", __name__)


class SanctionForm(FlaskForm):
    kind = RadioField(_l("Sanction"), choices=list(sanctions.KIND_LABELS.items()),
                      validators=[Optional()])
    reason = TextAreaField(_l("Why (the member reads this)"),
                           validators=[Length(max=sanctions.REASON_MAX, message=TOO_LONG)])
    days = WholeNumberField(
        _l("For how many days"), validators=[Optional()],
        description=_l("Required for a mute. For a block, leave it empty to block until "
                       "a moderator lifts it. A warning has no duration."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.validate_choice = False  # the service says what to choose


class LiftForm(FlaskForm):
    lift_reason = TextAreaField(_l("Why lift it"),
                                validators=[Length(max=sanctions.REASON_MAX, message=TOO_LONG)])


def _page(member_id: int, form: SanctionForm | None = None, status: int = 200
          ) -> ResponseReturnValue:
    member = sanctions.get_member(member_id)
    history = sanctions.history(current_user, member)
    proposed = sanctions.proposed_kind(member)
    if form is None:
        form = SanctionForm(kind=proposed)
    return render_template(
        "moderation/member.html", member=member, history=history, form=form,
        proposed=proposed, lift_form=LiftForm(), labels=sanctions.KIND_LABELS,
        in_force=sanctions.in_force,
        may_issue=can(current_user, "sanctions.issue", member)), status


@moderation_bp.get("/members/<int:member_id>", endpoint="member")
@login_required
def member_page(member_id: int) -> ResponseReturnValue:
    if not can(current_user, "sanctions.view"):
        abort(403)
    return _page(member_id)


@moderation_bp.post("/members/<int:member_id>/sanctions", endpoint="issue_sanction")
@login_required
def issue_sanction(member_id: int) -> ResponseReturnValue:
    if not can(current_user, "sanctions.view"):
        abort(403)
    member = sanctions.get_member(member_id)
    if not can(current_user, "sanctions.issue", member):
        abort(403)
    form = SanctionForm()
    if form.validate_on_submit():
        try:
            ends_at = sanctions.ends_after(form.days.data)
            sanctions.issue(current_user._get_current_object(), member, form.kind.data or "",
                            form.reason.data, ends_at)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Done: %(name)s is told why, until when and how to appeal.",
                    name=member.name), "success")
            return redirect(url_for("moderation.member", member_id=member.id))
    return _page(member_id, form, 400)


@moderation_bp.post("/sanctions/<int:sanction_id>/lift", endpoint="lift_sanction")
@login_required
def lift_sanction(sanction_id: int) -> ResponseReturnValue:
    if not can(current_user, "sanctions.view"):
        abort(403)
    row = sanctions.get_sanction(sanction_id)
    if not can(current_user, "sanctions.issue", row.member):
        abort(403)
    form = LiftForm()
    if form.validate_on_submit():
        try:
            sanctions.lift(current_user._get_current_object(), row, form.lift_reason.data)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("The sanction is lifted; the member is told."), "success")
    return redirect(url_for("moderation.member", member_id=row.member_id))


@bp.get("/account/sanctions")
@login_required
def own_sanctions() -> ResponseReturnValue:
    if not can(current_user, "sanctions.view_own"):
        abort(403)
    return render_template("moderation/own_sanctions.html",
                           history=sanctions.history_of(current_user),
                           labels=sanctions.KIND_LABELS, in_force=sanctions.in_force,
                           appeal=sanctions.appeal_text())
