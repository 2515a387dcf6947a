"""The bot's fixtures (the Bot API double, a running bot, chats) for the projects' bot tests."""

from tests.bot.conftest import bot, mode, new_chat, registered_chat, tg  # noqa: F401
