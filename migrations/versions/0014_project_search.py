"""project search: full-text search (GIN on PostgreSQL, FTS5 on SQLite) and the list indexes

Revision ID: 0014_project_search
Revises: 0013_notifications
Create Date: 2026-11-28 08:59:37.406567

"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_project_search'
down_revision = "0013_notifications"
branch_labels = None
depends_on = None

PUBLIC = "status IN ('published', 'under_review', 'accepted', 'declined', 'in_progress', 'completed')"
QUEUE = "status IN ('published', 'under_review')"
ANSWERABLE = "origin = 'member' AND published_at IS NOT NULL"

# As diaspora/projects/search.py has them (copied: a migration must not change when the
# application does).
SQLITE_FTS_DDL = (
    "CREATE VIRTUAL TABLE projects_fts USING fts5(search_text, content='projects', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER projects_fts_insert AFTER INSERT ON projects BEGIN "
    "INSERT INTO projects_fts (rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER projects_fts_delete AFTER DELETE ON projects BEGIN "
    "INSERT INTO projects_fts (projects_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER projects_fts_update AFTER UPDATE OF search_text ON projects BEGIN "
    "INSERT INTO projects_fts (projects_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO projects_fts (rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS projects_fts_update",
    "DROP TRIGGER IF EXISTS projects_fts_delete",
    "DROP TRIGGER IF EXISTS projects_fts_insert",
    "DROP TABLE IF EXISTS projects_fts",
)
_WORD = re.compile(r"[^\W_]+")


def _words(text):
    return _WORD.findall(unicodedata.normalize("NFKC", text or "").casefold())


def upgrade():
    bind = op.get_bind()
    # search_text now holds the words of title and summary, cut as search.py cuts them.
    projects = sa.table("projects", sa.column("id", sa.Integer), sa.column("title", sa.String),
                        sa.column("summary", sa.String), sa.column("search_text", sa.Text))
    for row in bind.execute(sa.select(projects.c.id, projects.c.title, projects.c.summary)).all():
        bind.execute(projects.update().where(projects.c.id == row.id).values(
            search_text=" ".join(_words(row.title) + _words(row.summary))))
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index('ix_projects_answers_district', ['district_id', 'answer_seconds'], unique=False, postgresql_where=sa.text(ANSWERABLE), sqlite_where=sa.text(ANSWERABLE))
        batch_op.create_index('ix_projects_answers_place', ['place_id', 'answer_seconds'], unique=False, postgresql_where=sa.text(ANSWERABLE), sqlite_where=sa.text(ANSWERABLE))
        batch_op.create_index('ix_projects_answers_region', ['region_id', 'answer_seconds'], unique=False, postgresql_where=sa.text(ANSWERABLE), sqlite_where=sa.text(ANSWERABLE))
        batch_op.create_index('ix_projects_public_newest', ['published_at', 'id'], unique=False, postgresql_where=sa.text(PUBLIC), sqlite_where=sa.text(PUBLIC))
        batch_op.create_index('ix_projects_public_supported', ['supporters', 'id'], unique=False, postgresql_where=sa.text(PUBLIC), sqlite_where=sa.text(PUBLIC))
        batch_op.create_index('ix_projects_queue', ['published_at', 'id'], unique=False, postgresql_where=sa.text(QUEUE), sqlite_where=sa.text(QUEUE))
    with op.batch_alter_table('project_supports', schema=None) as batch_op:
        batch_op.create_index('ix_project_supports_named', ['project_id', 'created_at'], unique=False, postgresql_where=sa.text('show_name'), sqlite_where=sa.text('show_name'))
    if bind.dialect.name == "postgresql":
        op.create_index('ix_projects_search', 'projects',
                        [sa.text("to_tsvector('simple'::regconfig, search_text)")],
                        unique=False, postgresql_using='gin')
    elif bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS_DDL:
            op.execute(statement)
        op.execute("INSERT INTO projects_fts (projects_fts) VALUES ('rebuild')")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_index('ix_projects_search', table_name='projects', postgresql_using='gin')
    elif bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS_DROP:
            op.execute(statement)
    with op.batch_alter_table('project_supports', schema=None) as batch_op:
        batch_op.drop_index('ix_project_supports_named', postgresql_where=sa.text('show_name'), sqlite_where=sa.text('show_name'))
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_projects_queue', postgresql_where=sa.text(QUEUE), sqlite_where=sa.text(QUEUE))
        batch_op.drop_index('ix_projects_public_supported', postgresql_where=sa.text(PUBLIC), sqlite_where=sa.text(PUBLIC))
        batch_op.drop_index('ix_projects_public_newest', postgresql_where=sa.text(PUBLIC), sqlite_where=sa.text(PUBLIC))
        batch_op.drop_index('ix_projects_answers_region', postgresql_where=sa.text(ANSWERABLE), sqlite_where=sa.text(ANSWERABLE))
        batch_op.drop_index('ix_projects_answers_place', postgresql_where=sa.text(ANSWERABLE), sqlite_where=sa.text(ANSWERABLE))
        batch_op.drop_index('ix_projects_answers_district', postgresql_where=sa.text(ANSWERABLE), sqlite_where=sa.text(ANSWERABLE))
