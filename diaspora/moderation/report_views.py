"""Reporting on the web: a member's form to report any registered kind of item, and the
moderators' list of open reports. The service (reports.py) decides."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import Length, Optional

from diaspora.accounts.permissions import can
from diaspora.errors import ValidationError
from diaspora.forms import TOO_LONG, show_domain_error
from diaspora.moderation import reports
from diaspora.moderation.views import bp as moderation_bp

bp = Blueprint("reports", __name__, url_prefix="/report")


class ReportForm(FlaskForm):
    reason = RadioField(_l("What is wrong with it?"), choices=list(reports.REASONS.items()),
                        validators=[Optional()])
    note = TextAreaField(_l("Anything the moderators should know (optional)"),
                         validators=[Length(max=reports.NOTE_MAX, message=TOO_LONG)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.validate_choice = False  # the service says "choose a reason"


@bp.route("/<kind>/<int:subject_id>", methods=["GET", "POST"])
@login_required
def report(kind: str, subject_id: int) -> ResponseReturnValue:
    subject, _item = reports.subject_for(current_user, kind, subject_id)
    info = subject.describe([subject_id]).get(subject_id)
    back = info.url if info is not None else "/"
    if reports.has_reported(current_user, kind, subject_id):
        flash(str(reports.AlreadyReported.default_message), "info")
        return redirect(back)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            reports.report(current_user, kind, subject_id, form.reason.data or "",
                           form.note.data)
        except reports.AlreadyReported as error:
            flash(str(error.message), "info")
            return redirect(back)
        except ValidationError as error:
            show_domain_error(form, error)
        else:
            flash(_("Thank you. The moderators will look at it."), "success")
            return redirect(back)
    return render_template("moderation/report.html", form=form, subject=subject, info=info,
                           back=back)


@moderation_bp.get("/reports")
@login_required
def open_reports() -> ResponseReturnValue:
    if not can(current_user, "moderation.view_reports"):
        abort(403)
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    items, more = reports.open_reports(current_user, page)
    return render_template("moderation/reports.html", items=items, page=page, more=more,
                           reasons=reports.REASONS)
