"""Bulk inserts of plain rows, as each engine takes them best (the loader's batches, the
stored counts' parts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, Table, bindparam, func, insert, select

from tracker.db.models import DbSession


def insert_rows(
    session: DbSession,
    table: Table,
    rows: list[dict],
    key: tuple[str, ...] = (),
    constants: dict[str, Any] | None = None,
) -> list:
    """Insert rows (dicts with the same columns) into one table in as few statements as the
    engine does well, with ``constants`` the same in every row (timestamps); with ``key``,
    return ``(id, *key)`` of each row.

    Why two ways: on SQLite an executemany runs one statement per row, and each statement
    makes FTS5 flush its pending index entries, which costs more than the row itself (13 s
    instead of 3 s for 100,000 events); SQLAlchemy's multi-row VALUES (``insertmanyvalues``,
    used with RETURNING) writes a thousand rows per statement. On PostgreSQL those long
    statements are slow to send (psycopg parses each of their placeholders in Python), so
    the rows go as one array per column and the server unnests them: one short statement
    per batch."""
    if not rows:
        return []
    constants = constants or {}
    stmt: Any
    if session.get_bind().dialect.name == "postgresql":
        names = list(rows[0])
        arrays = [bindparam(f"u_{n}", [row[n] for row in rows], type_=ARRAY(table.c[n].type)) for n in names]
        unnested = func.unnest(*arrays).table_valued(*names).render_derived()
        fixed = [bindparam(f"k_{n}", v, type_=table.c[n].type) for n, v in constants.items()]
        stmt = insert(table).from_select([*names, *constants], select(*unnested.c, *fixed))
        params = None
    else:
        stmt, params = insert(table).values(**constants), rows
    if not key:
        session.execute(stmt, params)
        return []
    return list(session.execute(stmt.returning(table.c.id, *(table.c[k] for k in key)), params))
