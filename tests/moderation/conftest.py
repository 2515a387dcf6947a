"""Fixtures the moderation tests borrow from other features."""

from tests.surveys.conftest import make_survey  # noqa: F401
