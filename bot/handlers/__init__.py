"""One module per feature; each has `register(application)` (see bot.application.HANDLER_MODULES)."""
