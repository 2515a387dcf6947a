"""The Telegram bot of Mekendesh (python-telegram-bot 22)."""
