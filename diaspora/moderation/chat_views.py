"""/moderation/telegram: the moderators' Telegram chats, a one-time code to link one, and
unlinking. The service (moderation/chat.py) decides; staff only (with their second step)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.accounts.deeplink import bot_username
from diaspora.accounts.permissions import can
from diaspora.errors import NotFound
from diaspora.forms import ConfirmForm
from diaspora.moderation import chat
from diaspora.moderation.views import bp


def _page(code: str | None = None) -> ResponseReturnValue:
    return render_template("moderation/telegram.html", chats=chat.linked_chats(current_user),
                           code=code, form=ConfirmForm(), bot=bot_username(),
                           minutes=int(chat.CODE_TTL.total_seconds() // 60))


@bp.get("/telegram")
@login_required
def telegram_chats() -> ResponseReturnValue:
    if not can(current_user, "staff.area"):
        abort(403)
    return _page()


@bp.post("/telegram/code")
@login_required
def telegram_code() -> ResponseReturnValue:
    if not can(current_user, "staff.area"):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # Shown once, on this answer (not in a redirect's flash that a shared screen could keep).
    return _page(chat.issue_code(current_user))


@bp.post("/telegram/<int:link_id>/unlink")
@login_required
def telegram_unlink(link_id: int) -> ResponseReturnValue:
    if not can(current_user, "staff.area"):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        chat.unlink(current_user, link_id)
    except NotFound:
        abort(404)
    flash(_("The chat is unlinked: the bot posts nothing more there. Remove the bot from the "
            "group in Telegram too, if it should leave."), "success")
    return redirect(url_for("moderation.telegram_chats"))
