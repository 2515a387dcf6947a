"""Staff pages: broadcasts and their progress; cancelling one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from flask_login import current_user, login_required

from diaspora.accounts.permissions import can
from diaspora.delivery import service as delivery
from diaspora.delivery.models import Broadcast
from diaspora.errors import DomainError
from diaspora.forms import ConfirmForm

bp = Blueprint("delivery", __name__, url_prefix="/broadcasts")



def _broadcast(broadcast_id: int) -> Broadcast:
    if not can(current_user, "delivery.view_progress"):
        abort(403)
    return delivery.get_broadcast(broadcast_id)  # NotFound answers 404


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    if not can(current_user, "delivery.view_progress"):
        abort(403)
    page = request.args.get("page", 1, type=int)
    return render_template("delivery/index.html", pagination=delivery.list_broadcasts(page))


@bp.get("/<int:broadcast_id>")
@login_required
def show(broadcast_id: int) -> ResponseReturnValue:
    broadcast = _broadcast(broadcast_id)
    return render_template("delivery/show.html", broadcast=broadcast,
                           progress=delivery.progress(broadcast), form=ConfirmForm())


@bp.get("/<int:broadcast_id>/progress.json")
@login_required
def progress_json(broadcast_id: int) -> ResponseReturnValue:
    broadcast = _broadcast(broadcast_id)
    return jsonify(id=broadcast.id, broadcast_cancelled=broadcast.cancelled,
                   **delivery.progress(broadcast).as_dict())


@bp.post("/<int:broadcast_id>/cancel")
@login_required
def cancel(broadcast_id: int) -> ResponseReturnValue:
    broadcast = _broadcast(broadcast_id)
    if not can(current_user, "delivery.cancel", broadcast):
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            count = delivery.cancel_broadcast(current_user, broadcast)
            flash(ngettext("The broadcast is cancelled; %(num)d message will not be sent.",
                           "The broadcast is cancelled; %(num)d messages will not be sent.",
                           count), "info")
        except DomainError as error:
            flash(str(error.message), "error")
    return redirect(url_for("delivery.show", broadcast_id=broadcast.id))
