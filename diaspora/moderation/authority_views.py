"""Staff pages of local authorities' requests: the list (waiting and verified), the decision
(verify, reject or revoke, a reason required for the last two) and a request's document.

The routes hang on the moderation blueprint; the services are in accounts/authority.py, which
the moderation queue calls too.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from diaspora.accounts import authority
from diaspora.accounts.permissions import can
from diaspora.errors import DomainError, NotFound
from diaspora.forms import TOO_LONG
from diaspora.moderation.views import bp


class AuthorityDecisionForm(FlaskForm):
    # Required for rejecting and revoking: the service says so, in the member's words.
    reason = TextAreaField(_l("Reason (the member is told)"),
                           validators=[Optional(), Length(max=authority.REASON_MAX,
                                                          message=TOO_LONG)])
    next = HiddenField()


def _back(form: AuthorityDecisionForm) -> str:
    """Back to the staff page the decision was taken on (the dashboard, the queue, the list);
    only a path of the moderation pages, never another site."""
    target = form.next.data or ""
    if (target.startswith("/moderation/") and "//" not in target and "\\" not in target
            and all(" " < ch < "\x7f" for ch in target)):
        return target
    return url_for("moderation.authorities")


def decide(link_id: int, decision: str) -> ResponseReturnValue:
    try:
        link = authority.get_request(link_id)
    except NotFound:
        abort(404)
    if not can(current_user, "authority.verify", link):
        abort(403)
    form = AuthorityDecisionForm()
    if not form.validate_on_submit():  # (a missing CSRF token was refused before: csrf)
        flash(" ".join(str(error) for error in form.reason.errors), "error")
        return redirect(_back(form))
    me = current_user._get_current_object()
    try:
        if decision == "verify":
            authority.verify_authority(me, link)
            flash(_("The authority is verified."), "success")
        elif decision == "reject":
            authority.reject_authority(me, link, form.reason.data)
            flash(_("The request was rejected."), "info")
        else:
            authority.revoke_authority(me, link, form.reason.data)
            flash(_("The verification is revoked."), "info")
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(_back(form))


@bp.get("/authorities")
@login_required
def authorities() -> ResponseReturnValue:
    if not can(current_user, "staff.area"):
        abort(403)
    return render_template(
        "moderation/authorities.html", pending=authority.pending_authorities(),
        verified=authority.verified_authorities(),
    )


@bp.get("/authorities/<int:link_id>/document")
def authority_document(link_id: int) -> ResponseReturnValue:
    """Only staff and the member who sent it; a 404 for everybody else, signed in or not.
    Never cached, never guessed at by the browser, a PDF always downloaded."""
    try:
        data, content_type = authority.document_for(current_user, link_id)
    except NotFound:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    extension = {"application/pdf": "pdf", "image/png": "png"}.get(content_type, "jpg")
    disposition = "attachment" if content_type == authority.PDF else "inline"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="authority-{link_id}.{extension}"')
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
