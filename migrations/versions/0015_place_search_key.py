"""places: a folded search key of every name, so a typed place is found in SQL

Revision ID: 0015_place_search_key
Revises: 0014_project_search
Create Date: 2026-11-28 09:02:34.161394

"""
import json

import sqlalchemy as sa
from alembic import op

from diaspora.places.names import search_key

revision = "0015_place_search_key"
down_revision = "0014_project_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.Text(), server_default="", nullable=False))
    # Rows already there get their key now; the model's events keep it from here on.
    connection = op.get_bind()
    places = sa.table("places", sa.column("id", sa.Integer), sa.column("name", sa.JSON),
                      sa.column("former", sa.JSON), sa.column("search_key", sa.Text))
    rows = connection.execute(sa.select(places.c.id, places.c.name, places.c.former)).all()
    for place_id, name, former in rows:
        names = [text for value in (_json(name), _json(former)) for text in value.values()
                 if text]
        connection.execute(places.update().where(places.c.id == place_id)
                           .values(search_key=search_key(names)))


def _json(value):
    if isinstance(value, str):
        value = json.loads(value)
    return value or {}


def downgrade():
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_column("search_key")
