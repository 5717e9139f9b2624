"""Flask extensions, created unbound and bound to an app in ``create_app`` (microblog's habit),
so importing the package never needs an application context."""

from __future__ import annotations

import os
import sqlite3

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tracker.db.models import db
from tracker.db.search import is_search_object


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate ignores the full-text search objects, which live outside the models."""

    return not is_search_object(name)


migrate = Migrate(render_as_batch=True, compare_type=True, include_object=_include_object)
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["db", "migrate", "csrf", "login_manager", "limiter"]


# How long a SQLite connection waits for another's write lock before giving up (a 503 then).
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_MMAP_BYTES = 1 << 30


def sqlite_mmap_bytes() -> int:
    """How much of an SQLite file its connections read through a memory map
    (``TRACKER_SQLITE_MMAP_BYTES``, default 1 GiB; 0 turns it off).

    Why: without it every page a query touches past SQLite's own small cache (2 MB per
    connection) is a ``read()`` system call into a private copy. At 300,000 events (a
    240 MB file) that was a third of a first ``/events`` or ``/measures`` after an edit. A
    map reads the kernel's page cache in place, one copy shared by every worker of the
    machine. Reads only: SQLite still writes with ``write()``, so a stray pointer cannot
    corrupt the file through the map."""
    value = os.environ.get("TRACKER_SQLITE_MMAP_BYTES", str(SQLITE_MMAP_BYTES))
    if not value.isdigit():
        raise ValueError(f"TRACKER_SQLITE_MMAP_BYTES must be a number of bytes, not {value!r}")
    return int(value)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Per-connection SQLite settings.

    Foreign keys are enforced only when asked. Write-ahead logging lets readers (a slow
    client streaming a CSV) and one writer (an editor saving) work at the same time; in the
    default rollback journal a long read blocks every write. The busy timeout makes a writer
    wait for a lock instead of failing at once; ``synchronous=NORMAL`` is the setting SQLite
    recommends with WAL (durable across application crashes). Reads go through a memory
    map (:func:`sqlite_mmap_bytes`)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA mmap_size={sqlite_mmap_bytes()}")
        cursor.close()


# The user loader lives in tracker.auth (registered when the views are imported).
