"""The outbox: Telegram messages waiting to be sent by bot/sender.py (the enqueue side)."""
