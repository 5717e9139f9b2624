"""Flask extensions, created unbound and bound to an app in ``create_app`` (microblog's habit),
so importing the package never needs an application context."""

from __future__ import annotations

import sqlite3

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .models import db


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate ignores the full-text search objects, which live outside the models."""
    from .search import is_search_object

    return not is_search_object(name)


migrate = Migrate(render_as_batch=True, compare_type=True, include_object=_include_object)
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["db", "migrate", "csrf", "login_manager", "limiter"]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys only when asked, per connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


# The user loader lives in tracker.auth (registered when the views are imported).
