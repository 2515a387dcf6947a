"""Text search over projects' titles and summaries, in any language, on either database.

Both databases index the same thing: `Project.search_text`, the title and summary cut into
words here in Python (NFKC, case-folded, letters and digits only, one space between words).
Cutting the words once, in one place, is what makes the two databases agree: their own
tokenizers then only split on spaces, and their own case-folding (PostgreSQL's depends on
the database's locale, SQLite's on the Unicode 6.1 tables) never decides anything.

- PostgreSQL: a GIN index over `to_tsvector('simple', search_text)`. The 'simple'
  configuration keeps every word as it is, with no stemming and no stop words: there is no
  Kyrgyz stemmer, and a Russian or English one would treat the three languages of the site
  differently (a Kyrgyz title would be stemmed by the rules of whichever language the
  configuration names). Prefix matching (below) stands in for stemming in all three.
- SQLite: an FTS5 table, `projects_fts`, with the projects table as its external content,
  kept in step by triggers (created by migration 0014 and, for `create_all`, by the DDL
  attached below), tokenizer unicode61 without removing diacritics (as 'simple').

What a query means (`parse`): every word must occur (AND), each word matches the words it
begins ("мектеп" finds "мектепке", "школ" finds "школы": Kyrgyz and Russian add endings),
except words of one letter, which match only themselves; "quoted words" must follow each
other in that order; `OR` (in capitals, as in web search engines) between words gives
alternatives. Every other character only separates words, so nothing a person types reaches
either database's query syntax: the query is rebuilt from the words alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import DDL, event, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

# A query keeps at most this many words, each at most this long (a longer word is cut and
# still matches as a prefix): a 200-character query costs what a short one does.
MAX_WORDS = 10
MAX_WORD = 60

_WORD = re.compile(r"[^\W_]+")
_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')


def words(text_: str | None) -> list[str]:
    """The words of `text_` as search sees them: NFKC-normalised, case-folded, letters and
    digits (so "Жол-көпүрө!" is "жол", "көпүрө"; "ҢӨҮ" is "ңөү")."""
    folded = unicodedata.normalize("NFKC", text_ or "").casefold()
    return _WORD.findall(folded)


def search_text_of(title: str, summary: str) -> str:
    """What a project's `search_text` holds: its title's and summary's words."""
    return " ".join(words(title) + words(summary))


# A parsed query: alternatives (OR) of groups (AND) of phrases (words in a row).
Query = list[list[list[str]]]


def parse(query: str | None) -> Query:
    """`query` as alternatives of groups of phrases; [] when it holds no word at all."""
    alternatives: Query = [[]]
    budget = MAX_WORDS
    for match in _QUERY_PART.finditer(query or ""):
        quoted, bare = match.group(1), match.group(2)
        if bare == "OR":
            if alternatives[-1]:
                alternatives.append([])
            continue
        found = [w[:MAX_WORD] for w in words(quoted if quoted is not None else bare)]
        found = found[:budget]
        budget -= len(found)
        if not found:
            continue
        if quoted is not None:
            alternatives[-1].append(found)
        else:
            alternatives[-1].extend([w] for w in found)
        if budget <= 0:
            break
    return [group for group in alternatives if group]


def _prefix(word: str) -> bool:
    return len(word) > 1


def to_tsquery_text(parsed: Query) -> str:
    """The PostgreSQL tsquery text: words are letters and digits only, so quoting each one
    is all the escaping there is."""
    def phrase(ws: Sequence[str]) -> str:
        return " <-> ".join(f"'{w}'" + (":*" if _prefix(w) else "") for w in ws)

    return " | ".join("(" + " & ".join(f"({phrase(p)})" for p in group) + ")"
                      for group in parsed)


def to_fts5_match(parsed: Query) -> str:
    """The SQLite FTS5 MATCH text (each word a quoted string; `+` joins a phrase)."""
    def phrase(ws: Sequence[str]) -> str:
        return " + ".join(f'"{w}"' + ("*" if _prefix(w) else "") for w in ws)

    return " OR ".join("(" + " AND ".join(f"({phrase(p)})" for p in group) + ")"
                       for group in parsed)


def tsvector(column: Any) -> ColumnElement:
    """The indexed expression; a query must use this very expression to use the index."""
    return func.to_tsvector(literal_column("'simple'::regconfig"), column)


def condition(dialect: str, query: str | None) -> ColumnElement | None:
    """A WHERE clause for projects matching `query` on `dialect`; None if it has no word."""
    from diaspora.projects.models import Project

    parsed = parse(query)
    if not parsed:
        return None
    if dialect == "postgresql":
        return tsvector(Project.search_text).op("@@")(
            func.to_tsquery(literal_column("'simple'::regconfig"), to_tsquery_text(parsed)))
    if dialect == "sqlite":
        matching = select(literal_column("rowid")).select_from(text("projects_fts")).where(
            text("projects_fts MATCH :fts_query").bindparams(fts_query=to_fts5_match(parsed)))
        return Project.id.in_(matching)
    raise NotImplementedError(dialect)  # pragma: no cover - the two databases supported


# SQLite: the FTS5 table over projects.search_text and the triggers keeping it in step.
# Migration 0014 runs the same statements; `attach_sqlite_ddl` adds them to create_all.
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


def is_search_table(name: str | None) -> bool:
    """The FTS5 table and its shadow tables: made by migration 0014 on SQLite, not models
    (the models-and-migrations comparison leaves them out)."""
    return bool(name) and (name == "projects_fts" or name.startswith("projects_fts_"))


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's `include_name` hook: compare everything but the FTS5 tables."""
    return not (type_ == "table" and is_search_table(name))


def attach_sqlite_ddl(table: Any) -> None:
    for statement in SQLITE_FTS_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in SQLITE_FTS_DROP:
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
