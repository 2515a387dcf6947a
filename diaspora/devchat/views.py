"""/dev/chat: a Telegram-like chat with the bot, for trying it without Telegram.

Every route answers 404 unless `flask serve` started the local Telegram (never in
production, never with a real token) and the request comes from this machine. The page
works without JavaScript (forms, and a refresh every few seconds); with it, a little script
sends without reloading and shows new and edited messages as they come.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from diaspora.devchat.render import message_html, safe_url
from diaspora.devchat.runner import LocalTelegram, SimulatedUser, active
from diaspora.i18n import SUPPORTED_LOCALES

bp = Blueprint("devchat", __name__, url_prefix="/dev")
bp.add_app_template_filter(message_html, "telegram_html")
bp.add_app_template_filter(safe_url, "safe_link")

LOOPBACK = {"127.0.0.1", "::1"}
TEXT_MAX = 4096
PHOTO_MAX = 5 * 1024 * 1024


@bp.before_request
def only_local() -> None:
    if active() is None or request.remote_addr not in LOOPBACK:
        abort(404)


def _local() -> LocalTelegram:
    local = active()
    assert local is not None  # only_local() ran
    return local


def _user(user_id: int) -> SimulatedUser:
    user = _local().user(user_id)
    if user is None:
        abort(404)
    return user


def _conversation(local: LocalTelegram, user: SimulatedUser) -> dict:
    """The chat's messages, and the reply keyboard the bot last set (until it removes it)."""
    return {"messages": local.api.chat_history(user.id),
            "reply_keyboard": local.api.reply_keyboard(user.id)}


def _back(user: SimulatedUser) -> ResponseReturnValue:
    if request.headers.get("X-Requested-With") == "fetch":
        return Response(status=204)
    return redirect(url_for("devchat.chat", user=user.id))


@bp.get("/chat")
def chat() -> ResponseReturnValue:
    local = _local()
    user_id = request.args.get("user", type=int)
    user = local.user(user_id) if user_id else next(iter(local.users.values()))
    if user is None:
        abort(404)
    start = (request.args.get("start") or "")[:64]
    return render_template("devchat/chat.html", local=local, user=user,
                           version=local.api.chat_version(user.id), start=start,
                           languages=SUPPORTED_LOCALES, **_conversation(local, user))


@bp.get("/chat/<int:user_id>/messages")
def messages(user_id: int) -> ResponseReturnValue:
    """The messages as an HTML fragment, or 204 when nothing changed since `version`."""
    local, user = _local(), _user(user_id)
    version = local.api.chat_version(user.id)
    if request.args.get("version", type=int) == version:
        return Response(status=204)
    html = render_template("devchat/_messages.html", user=user, **_conversation(local, user))
    return Response(html, headers={"X-Chat-Version": str(version),
                                   "Cache-Control": "no-store"})


@bp.post("/chat/<int:user_id>/send")
def send(user_id: int) -> ResponseReturnValue:
    local, user = _local(), _user(user_id)
    text = (request.form.get("text") or "").replace("\r\n", "\n").strip()[:TEXT_MAX]
    if text.startswith("/"):
        command, _, args = text.partition(" ")
        local.api.send_command(user.tg_user(), command.split("@")[0], args.strip())
    elif text:
        local.api.send_text(user.tg_user(), text)
    return _back(user)


@bp.post("/chat/<int:user_id>/press")
def press(user_id: int) -> ResponseReturnValue:
    local, user = _local(), _user(user_id)
    message_id = request.form.get("message_id", type=int)
    data = (request.form.get("data") or "")[:64]
    message = next((m for m in local.api.chat_history(user.id)
                    if m["message_id"] == message_id), None)
    if message is not None and data:
        local.api.press_button(user.tg_user(), message, data)
    return _back(user)


@bp.post("/chat/<int:user_id>/photo")
def photo(user_id: int) -> ResponseReturnValue:
    local, user = _local(), _user(user_id)
    upload = request.files.get("photo")
    if upload is not None:
        content = upload.read(PHOTO_MAX + 1)
        if content and len(content) <= PHOTO_MAX:
            caption = (request.form.get("caption") or "").strip()[:1024] or None
            local.api.send_photo(user.tg_user(), content=content, caption=caption)
    return _back(user)


@bp.post("/chat/<int:user_id>/language")
def language(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    code = request.form.get("language_code")
    if code in SUPPORTED_LOCALES:
        user.language_code = code
    return _back(user)


@bp.post("/chat/users")
def add_user() -> ResponseReturnValue:
    code = request.form.get("language_code")
    user = _local().add_user(code if code in SUPPORTED_LOCALES else "ky")
    return redirect(url_for("devchat.chat", user=user.id))


@bp.post("/chat/restart")
def restart() -> ResponseReturnValue:
    _local().restart_bot()
    user_id = request.form.get("user", type=int)
    return redirect(url_for("devchat.chat", user=user_id) if user_id else url_for(
        "devchat.chat"))


@bp.get("/chat/file/<file_id>")
def file(file_id: str) -> ResponseReturnValue:
    content = _local().api.file_content(file_id[:200])
    if content is None:
        abort(404)
    kind = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
    return Response(content, mimetype=kind, headers={"X-Content-Type-Options": "nosniff"})
