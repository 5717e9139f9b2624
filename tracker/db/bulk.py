"""Bulk inserts of plain rows, as each engine takes them best (the loader's batches, the
stored counts' parts), and additions to stored counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ARRAY, Table, bindparam, delete, func, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from tracker.db.models import DbSession, batches


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


def add_counts(
    session: DbSession, model: Any, key: tuple[str, ...], change: Mapping[tuple, int], parameters: int = 30000
) -> None:
    """Add ``change`` (``{key values: difference}``) to a table of counts whose primary key
    is ``key`` and whose count is ``n``: an upsert per key, then the keys that reach 0 are
    deleted (a count's row exists only while it is not 0)."""
    if not change:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [{**dict(zip(key, k, strict=True)), "n": n} for k, n in change.items()]
    # Every statement binds at most ``parameters`` values (SQLite takes 32,766).
    for some in batches(rows, max(1, parameters // (len(key) + 1))):
        stmt = dialect.insert(model).values(some)
        update = {"n": model.n + stmt.excluded.n}
        session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=update))
    columns = tuple_(*(getattr(model, c) for c in key))
    for keys in batches(list(change), max(1, parameters // len(key))):
        session.execute(delete(model).where(model.n == 0, columns.in_(keys)))
