"""News posts in three languages, on the web, in the bot, and pushed through the outbox."""
