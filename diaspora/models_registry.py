"""Imports every model module so that the metadata (and Alembic) knows all tables."""

from diaspora.accounts import models as accounts_models  # noqa: F401
from diaspora.delivery import models as delivery_models  # noqa: F401
from diaspora.moderation import models as moderation_models  # noqa: F401
from diaspora.news import models as news_models  # noqa: F401
from diaspora.places import models as places_models  # noqa: F401
