"""The web side of consent versions: the page that asks a member to accept a changed privacy
notice, and the before_request that sends them there first."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.accounts import consent
from diaspora.extensions import db
from diaspora.forms import ConfirmForm

bp = Blueprint("consent", __name__)

# What a member may still do before accepting a changed notice: read it, accept it, leave,
# take their data away or erase it. Everything else waits.
EXEMPT_ENDPOINTS = frozenset({
    "static", "main.privacy", "main.healthz", "consent.ask", "consent.accept",
    "accounts.logout", "accounts.download_data", "accounts.delete_account",
})
# The local Telegram simulator, and the open-data API (public data, no member pages).
EXEMPT_BLUEPRINTS = frozenset({"devchat", "api"})


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def ask_again_on_the_web() -> ResponseReturnValue | None:
    """A signed-in member whose accepted notice is not the current one sees it first."""
    if request.endpoint is None or request.endpoint in EXEMPT_ENDPOINTS:
        return None
    if request.blueprint in EXEMPT_BLUEPRINTS:
        return None
    if not current_user.is_authenticated or not consent.needs_to_accept_again(current_user):
        return None
    # Where they were going, to continue there after accepting (a GET only: a form posted
    # under the old notice is not replayed).
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("consent.ask", next=target))


@bp.get("/privacy/accept")
@login_required
def ask() -> ResponseReturnValue:
    return render_template(
        "accounts/consent.html", form=ConfirmForm(), version=consent.current_version(),
        accepted=consent.has_current_consent(current_user),
        history=consent.history(current_user), channels=consent.CHANNEL_LABELS,
        next=_safe_next(request.args.get("next")),
    )


@bp.post("/privacy/accept")
@login_required
def accept() -> ResponseReturnValue:
    target = _safe_next(request.form.get("next")) or url_for("accounts.account")
    if ConfirmForm().validate_on_submit():
        user = current_user._get_current_object()
        if consent.record_acceptance(user, consent.WEB) is not None:
            db.session.commit()
            flash(_("Thank you: you accepted the privacy notice of %(version)s.",
                    version=consent.current_version()), "success")
        else:
            flash(_("You have already accepted this version of the privacy notice."), "info")
    return redirect(target)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(ask_again_on_the_web)
