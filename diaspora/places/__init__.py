"""Gazetteer of Kyrgyzstan (regions, districts, communities) and countries of residence."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.places import (
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
    )
    from diaspora.places.cli import register_commands

    register_commands(app)
