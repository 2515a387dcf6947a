"""One module per feature, each with `register(application)`.

See bot.application.HANDLER_MODULES for the order.
"""
