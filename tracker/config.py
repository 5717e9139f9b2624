"""Settings from the environment.

``DATABASE_URL`` is any SQLAlchemy URL (default: a SQLite file under ``instance/``), so the
same code runs embedded on SQLite and in production on PostgreSQL
(``postgresql+psycopg://...``). ``SECRET_KEY`` signs sessions and CSRF tokens: outside debug
and tests the app refuses to start without one, because a guessable key lets anyone forge
an editor's session.
"""

from __future__ import annotations

import os
from pathlib import Path


class ConfigError(RuntimeError):
    """The configuration cannot run safely."""


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` spellings and use psycopg 3 for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping from environment variables."""
    default_db = "sqlite:///" + str(Path(instance_path) / "tracker.sqlite3")
    debug = os.environ.get("FLASK_DEBUG", "") in ("1", "true", "True")
    # Cookies are Secure outside debug; scripts/serve (plain http on loopback) opts out.
    secure = not debug and os.environ.get("TRACKER_INSECURE_COOKIES") != "1"
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ.get("DATABASE_URL", default_db)),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "DEBUG": debug,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Counters of several deployments can share one Redis without mixing.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "tracker"),
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host.
        # Exactly that many hops are trusted: with 0, a client cannot spoof its address (and
        # its rate-limit bucket) by sending the header itself.
        "TRACKER_PROXIES": int(os.environ.get("TRACKER_PROXIES", "0")),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # No request body past this is read (a 413 instead): the largest legitimate one is a
        # statement upload (ingest.STATEMENT_MAX_UPLOAD_BYTES) with its form.
        "MAX_CONTENT_LENGTH": int(os.environ.get("TRACKER_MAX_REQUEST_BYTES", 4 * 2**20)),
        "PER_PAGE_MAX": 500,
        # Public answers shared by every worker of the machine, per data version
        # (tracker.web.responsecache); "" turns the cache off. None: instance/response-cache.
        "RESPONSE_CACHE_DIR": os.environ.get("TRACKER_RESPONSE_CACHE_DIR"),
        "RESPONSE_CACHE_MAX_BYTES": int(os.environ.get("TRACKER_RESPONSE_CACHE_MAX_BYTES", 512 * 2**20)),
        "RESPONSE_CACHE_MAX_ENTRIES": int(os.environ.get("TRACKER_RESPONSE_CACHE_MAX_ENTRIES", 5000)),
    }


def check(config: dict) -> None:
    """Refuse to start without a secret key outside debug and tests."""
    if not config.get("SECRET_KEY"):
        if config.get("DEBUG") or config.get("TESTING"):
            config["SECRET_KEY"] = "dev-only-insecure-key"
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Set it in the environment (scripts/serve makes one "
                "under instance/ on first run)."
            )
