"""The bot side of each feature: bot/handlers/<feature>.py with `register(application)`.

See bot.application.handler_modules for the order.
"""
