"""Fixtures: an app per test on a fresh database, on SQLite and on PostgreSQL.

Every test that takes ``app`` (or ``client``, ``runner``, ``session``) runs twice, once per
engine. PostgreSQL tests use a database created for this test run on 127.0.0.1:5432 (or
``TRACKER_TEST_PG_ADMIN_URL``); when the server is unreachable they are skipped, unless
``TRACKER_REQUIRE_POSTGRES=1`` (as in ``.ci/run``), where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from tracker import create_app
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
PG_ADMIN_URL = os.environ.get("TRACKER_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("TRACKER_REQUIRE_POSTGRES") == "1"


def _pg_admin():
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_database_url():
    """A PostgreSQL database for this test run, dropped at the end."""
    try:
        conn = _pg_admin()
    except psycopg.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (TRACKER_REQUIRE_POSTGRES=1) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_name(request):
    return request.param


@pytest.fixture
def database_url(engine_name, tmp_path, request):
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("pg_database_url")


def _reset(engine_name: str) -> None:
    """A fresh, empty schema: dropped and created (tests may use create_all)."""
    if engine_name == "postgresql":
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()
    else:
        # A new file: dropping tables with self-references under foreign_keys=ON fails.
        db.session.remove()
        db.engine.dispose()
        path = db.engine.url.database
        # The database runs in WAL mode: its -wal and -shm files go with it.
        for name in (path, f"{path}-wal", f"{path}-shm") if path else ():
            if os.path.exists(name):
                os.remove(name)
    db.create_all()


@pytest.fixture
def make_app(database_url, engine_name, tmp_path):
    """Build an app on the test database; extra config overrides the defaults."""
    apps = []

    def factory(**config):
        settings = {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
        }
        settings.update(config)
        application = create_app(settings)
        apps.append(application)
        return application

    yield factory
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app, engine_name):
    application = make_app()
    with application.app_context():
        _reset(engine_name)
    return application


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def loaded_app(app):
    """The app with the real dataset from data/ loaded."""
    from tracker.datafiles.load import load

    with app.app_context():
        load(DATA_DIR, db.session)
    return app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_loaded_app(request, tmp_path_factory):
    """One app with the real data per module and engine, for read-only tests.

    Loading the dataset per test would dominate the run time; tests using this fixture must
    not write (and must not be mixed with `app` in one module on PostgreSQL, which would
    reset the shared database).
    """
    from tracker.datafiles.load import load

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'shared.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_database_url")
    application = create_app({
        "TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
    })
    with application.app_context():
        _reset(request.param)
        load(DATA_DIR, db.session)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def shared_client(shared_loaded_app):
    return shared_loaded_app.test_client()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how many tests ran on each engine and in the browser, so a run that silently
    skipped PostgreSQL or Chromium is visible in CI's output."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") not in ("call", "setup") or (
                    outcome == "passed" and report.when != "call"):
                continue
            params = nodeid.rsplit("[", 1)[1].rstrip("]").split("-") if "[" in nodeid else []
            for label, hit in (("PostgreSQL", "postgresql" in params), ("SQLite", "sqlite" in params),
                               ("browser", "test_browser.py" in nodeid)):
                if hit:
                    counts.setdefault(label, {}).setdefault(outcome, 0)
                    counts[label][outcome] += 1
    if counts:
        terminalreporter.write_sep("-", "tests per engine")
        for label, by_outcome in counts.items():
            parts = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items()))
            terminalreporter.write_line(f"{label}: {parts}")
