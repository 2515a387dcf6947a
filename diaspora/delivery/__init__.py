"""The outbox: Telegram messages waiting to be sent by bot/sender.py (the enqueue side).

Shared by every feature: the audience module (who an item reaches, which items a member
sees), the outbox states, and two registries features fill in their `init_app`: message
templates (`messages.register_template`) and the sender's housekeeping jobs
(`housekeeping.register_job`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.accounts.service import register_personal_data
    from diaspora.delivery import (
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
    )
    from diaspora.delivery.messages import register_template, render_text
    from diaspora.delivery.service import erase_member_messages, export_member_messages
    from diaspora.delivery.views import bp

    app.register_blueprint(bp)
    register_template(app, "text", render_text)
    register_personal_data(app, "telegram_messages", export_member_messages,
                           erase_member_messages)
