"""The member's notifications: the list, opening one, marking all read, the switches."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.accounts.permissions import can
from diaspora.forms import ConfirmForm
from diaspora.main.templating import current_locale
from diaspora.notifications import service as notifications

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

MAX_PAGE = 100_000


def _page() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    locale = current_locale()
    pagination = notifications.list_for(current_user, _page())
    entries = [(item, notifications.render_web(item, locale)) for item in pagination.items]
    return render_template("notifications/index.html", pagination=pagination,
                           entries=entries, form=ConfirmForm())


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # Only ever a path of this site (service.safe_path): never an open redirect.
    return redirect(notifications.open_notification(current_user, notification_id))


@bp.post("/read")
@login_required
def read_all() -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if notifications.mark_all_read(current_user):
        flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    if not can(current_user, "notifications.settings"):
        abort(403)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        notifications.save_settings(current_user, request.form.getlist("kind"))
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form,
                           switches=notifications.settings_of(current_user),
                           kinds=notifications.switchable_kinds(),
                           telegram=current_user.telegram_chat_id is not None)
