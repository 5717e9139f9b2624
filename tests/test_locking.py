"""Readers never lock out writers, and a lock that still happens is a clear 503 to retry,
never a 500. On SQLite this needs write-ahead logging; PostgreSQL's MVCC gives it anyway."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tracker import extensions
from tracker.db.models import Actor
from tracker.extensions import db
from tracker.read import queries


def test_sqlite_runs_in_write_ahead_logging_mode_with_a_busy_timeout(app, engine_name):
    if engine_name != "sqlite":
        pytest.skip("SQLite's journal mode")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(text("PRAGMA mmap_size")).scalar() == extensions.SQLITE_MMAP_BYTES


def test_the_sqlite_memory_map_is_set_from_the_environment(tmp_path, monkeypatch):
    """``TRACKER_SQLITE_MMAP_BYTES`` sizes the map (0 turns it off); a value that is not a
    number of bytes is refused by name, not read as something else."""
    engine = create_engine(f"sqlite:///{tmp_path / 'mmap.sqlite3'}")
    try:
        monkeypatch.setenv("TRACKER_SQLITE_MMAP_BYTES", "0")
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA mmap_size")).scalar() == 0
        engine.dispose()
        monkeypatch.setenv("TRACKER_SQLITE_MMAP_BYTES", "1MB")
        with pytest.raises(ValueError, match="TRACKER_SQLITE_MMAP_BYTES"):
            engine.connect()
    finally:
        engine.dispose()


def test_a_long_read_does_not_block_a_write(app):
    """A slow client streaming a CSV keeps a read open; an editor's save meanwhile commits
    at once (in SQLite's old rollback journal it waited for the reader, then failed)."""
    with app.app_context():
        db.session.add_all(Actor(slug=f"a{i}", name=f"A {i}", kind="company") for i in range(50))
        db.session.commit()
        reader = db.engine.connect()
        writer = db.engine.connect()
        try:
            rows = reader.execution_options(stream_results=True, yield_per=5).execute(
                text("SELECT slug FROM actors ORDER BY slug")
            )
            first = rows.fetchmany(5)
            assert len(first) == 5
            started = time.monotonic()
            with writer.begin():
                writer.execute(text("UPDATE actors SET name = 'Renamed' WHERE slug = 'a49'"))
            assert time.monotonic() - started < 2
            assert len(rows.fetchall()) == 45
        finally:
            reader.close()
            writer.close()


def test_a_database_lock_is_a_503_with_retry_after(app, monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("UPDATE ...", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(queries, "page", locked)
    client = app.test_client()
    for url in ("/events", "/events.json"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert "busy" in response.get_data(as_text=True)


def test_other_database_errors_stay_500s_that_leak_nothing(app, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(queries, "page", broken)
    response = app.test_client().get("/events")
    assert response.status_code == 500
    assert "disk I/O" not in response.get_data(as_text=True)
