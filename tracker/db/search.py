"""Full-text search: SQLite FTS5 and PostgreSQL full-text search behind one interface.

Why two engines behind one function: SQLite is the embedded default and PostgreSQL the
production engine; both have ranked full-text search built in, so no search server is
needed. Callers get a subquery of ``(id, rank)`` (lower rank = better match) to join into
their select, and highlighted snippets for the rows they show.

What is searched: events (title, summary), measures (title, identifiers, aliases, summary),
sources (title, publisher, text), actors (name, aliases). The events list also finds events
whose measure matches, so ``q=Justice in Policing Act`` finds the bill's introduction.

SQLite keeps external-content FTS5 tables in step with triggers; PostgreSQL uses GIN
expression indexes. Both are created by migration 0002 and, for tests that build the schema
with ``create_all``, by the ``after_create`` hook below (the same DDL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import CTE, DDL, ColumnClause, Select, bindparam, event, func, literal_column, select, text

from tracker.db.models import Base, DbSession

# collection -> (table, columns in weight order)
INDEXED: dict[str, tuple[str, tuple[str, ...]]] = {
    "events": ("events", ("title", "summary")),
    "measures": ("measures", ("title", "identifiers", "aliases", "summary")),
    "sources": ("sources", ("title", "publisher", "text")),
    "actors": ("actors", ("name", "aliases")),
}

# Private-use characters mark matches in snippets; escaped text cannot contain them.
MARK_START, MARK_END = "\ue000", "\ue001"
PG_CONFIG = "english"


def sqlite_ddl() -> list[str]:
    statements = []
    for table, columns in INDEXED.values():
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        fts = f"{table}_fts"
        statements += [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', "
            f"content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
            f"CREATE TRIGGER IF NOT EXISTS {table}_fts_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_fts_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_fts_au AFTER UPDATE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    return statements


def _pg_document(columns: tuple[str, ...]) -> str:
    weights = "ABCD"
    parts = [
        f"setweight(to_tsvector('{PG_CONFIG}', coalesce({c}, '')), '{weights[min(i, 3)]}')"
        for i, c in enumerate(columns)
    ]
    return " || ".join(parts)


def postgresql_ddl() -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS ix_{table}_fulltext ON {table} USING gin (({_pg_document(columns)}))"
        for table, columns in INDEXED.values()
    ]


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        out = []
        for table, _ in INDEXED.values():
            out += [f"DROP TRIGGER IF EXISTS {table}_fts_{s}" for s in ("ai", "ad", "au")]
            out.append(f"DROP TABLE IF EXISTS {table}_fts")
        return out
    return [f"DROP INDEX IF EXISTS ix_{table}_fulltext" for table, _ in INDEXED.values()]


def create_search_structures(connection) -> None:
    """Create the FTS tables/triggers (SQLite) or GIN indexes (PostgreSQL)."""
    dialect = connection.dialect.name
    statements = sqlite_ddl() if dialect == "sqlite" else postgresql_ddl()
    for statement in statements:
        connection.execute(text(statement))


@event.listens_for(Base.metadata, "after_create")
def _after_create(target, connection, **kw) -> None:
    create_search_structures(connection)


@event.listens_for(Base.metadata, "before_drop")
def _before_drop(target, connection, **kw) -> None:
    for statement in drop_ddl(connection.dialect.name):
        connection.execute(DDL(statement))


def is_search_object(name: str | None) -> bool:
    """Objects Alembic's autogenerate must ignore: they are not in the models' metadata."""
    if not name:
        return False
    return bool(re.match(r"^\w+_fts(_\w+)?$", name)) or name.endswith("_fulltext")


def sqlite_match_expression(query: str) -> str:
    """User text → a safe FTS5 query: every word must match (quoted, so no syntax leaks)."""
    words = re.findall(r"\w+", query)
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def matches(session: DbSession, collection: str, query: str) -> CTE:
    """A subquery of (id, rank) for rows matching ``query``; lower rank is better."""
    table, columns = INDEXED[collection]
    stmt: Select
    if session.get_bind().dialect.name == "sqlite":
        fts = f"{table}_fts"
        stmt = (
            select(
                literal_column(f"{fts}.rowid").label("id"),
                literal_column(f"bm25({fts})").label("rank"),
            )
            .select_from(text(fts))
            .where(
                text(f"{fts} MATCH :fts_query").bindparams(
                    bindparam("fts_query", sqlite_match_expression(query))
                )
            )
        )
    else:
        document: ColumnClause[Any] = literal_column(_pg_document(columns))
        tsquery = func.websearch_to_tsquery(literal_column(f"'{PG_CONFIG}'"), query)
        stmt = (
            select(
                literal_column(f"{table}.id").label("id"),
                (-func.ts_rank_cd(document, tsquery)).label("rank"),
            )
            .select_from(text(table))
            .where(document.op("@@")(tsquery))
        )
    # MATERIALIZED: run the search once, not once per candidate row (SQLite otherwise
    # re-evaluates an FTS subquery inside a join: minutes at 100,000 events).
    return stmt.cte(f"{collection}_matches").prefix_with("MATERIALIZED")


def snippets(session: DbSession, collection: str, query: str, ids: list[int]) -> dict[int, Match]:
    """The matching passage of each given row that has one."""
    if not ids:
        return {}
    table, columns = INDEXED[collection]
    if session.get_bind().dialect.name == "sqlite":
        fts = f"{table}_fts"
        rows = session.execute(
            text(
                f"SELECT rowid, snippet({fts}, -1, :a, :b, '…', 24) FROM {fts} "
                f"WHERE {fts} MATCH :q AND rowid IN ({', '.join(str(int(i)) for i in ids)})"
            ),
            {"a": MARK_START, "b": MARK_END, "q": sqlite_match_expression(query)},
        ).all()
    else:
        concat = " || ' … ' || ".join(f"coalesce({c}, '')" for c in columns)
        options = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
            "MaxFragments=2, FragmentDelimiter=' … '"
        )
        rows = session.execute(
            text(
                f"SELECT id, ts_headline('{PG_CONFIG}', {concat}, websearch_to_tsquery('{PG_CONFIG}', :q), "
                f":options) FROM {table} WHERE id IN ({', '.join(str(int(i)) for i in ids)})"
            ),
            {"q": query, "options": options},
        ).all()
    return {row[0]: Match.from_marked(row[1]) for row in rows if row[1] and MARK_START in row[1]}


@dataclass(frozen=True)
class Match:
    """A passage that matched a search, as data: its plain ``text`` and the ``spans``
    (start, end offsets in ``text``) of the matched words. Each format renders it itself:
    JSON sends ``text``; HTML marks the spans (``__html__``, so Jinja escapes the text and
    keeps the marks). No format has to undo another's markup."""

    text: str
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def from_marked(cls, marked: str) -> Match:
        """From the engine's snippet, where MARK_START/MARK_END surround each match."""
        text: list[str] = []
        spans: list[tuple[int, int]] = []
        length = 0
        start = None
        for piece in re.split(f"([{MARK_START}{MARK_END}])", marked):
            if piece == MARK_START:
                start = length
            elif piece == MARK_END:
                if start is not None and start < length:
                    spans.append((start, length))
                start = None
            else:
                text.append(piece)
                length += len(piece)
        return cls("".join(text), tuple(spans))

    def __html__(self) -> Markup:
        out, position = [], 0
        for start, end in self.spans:
            out += [
                str(escape(self.text[position:start])),
                "<mark>",
                str(escape(self.text[start:end])),
                "</mark>",
            ]
            position = end
        out.append(str(escape(self.text[position:])))
        return Markup("".join(out))

    def __str__(self) -> str:
        return self.text
