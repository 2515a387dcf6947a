"""The tests' Bot API double is the application's local Bot API (diaspora/devchat), the same
server `make run` starts for the chat page: one implementation of Telegram's shapes and
error texts, strict where a test asks it to be (strict_token, known_chats_only, ...).

This module IS that module (an alias), so a test or bench patching it patches the server.
"""

import sys

from diaspora.devchat import local_bot_api

sys.modules[__name__] = local_bot_api
