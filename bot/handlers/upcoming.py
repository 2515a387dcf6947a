"""Menu places kept for the features that are coming (projects, proposals).

Registered after the features, so when one of them arrives and adds its own menu item under
the same key, its placeholder here simply steps aside. Not a feature: build_application
registers it explicitly, before the fallback.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.handlers import menu
from bot.handlers.common import say

UPCOMING = (
    ("projects", _l("Projects"), 30),
    ("propose", _l("Propose a project"), 40),
)


async def coming_soon(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(
        update,
        context,
        _l("This part of Mekendesh is coming soon. We will tell you when it is ready."),
    )


def register(application: Application) -> None:
    for key, label, order in UPCOMING:
        if not menu.has_item(application, key):
            menu.add_item(application, key, label, coming_soon, order=order)
