"""The features of Mekendesh, in start-up order: the one list `create_app` and the bot loop over.

A feature is a package `diaspora/<name>/` whose `init_app(app)` registers its blueprint, CLI
commands, outbox message templates and housekeeping jobs; when it talks in Telegram it also
has a module `bot/handlers/<name>.py` whose `register(application)` adds its handlers, menu
items and commands. Adding a feature touches its own package and this list.
"""

from __future__ import annotations

FEATURES: tuple[str, ...] = (
    "main", "places", "accounts", "moderation", "delivery", "notifications", "news", "surveys",
    "projects", "support", "insights", "devchat", "api",
)
