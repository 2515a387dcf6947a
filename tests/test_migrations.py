"""The schema exists only through migrations: they must match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from diaspora.extensions import db
from diaspora.projects.search import include_name


def test_models_and_migrations_agree(app) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                              "include_name": include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_constraint_names_follow_the_convention(app) -> None:
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
