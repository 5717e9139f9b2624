"""Fixtures: an app per test on a fresh database, on SQLite and on PostgreSQL.

Every test that takes ``app`` (or ``client``, ``runner``, ``session``) runs twice, once per
engine. PostgreSQL tests use a database created for this test run on 127.0.0.1:5432 (or
``TRACKER_TEST_PG_ADMIN_URL``); when the server is unreachable they are skipped, unless
``TRACKER_REQUIRE_POSTGRES=1`` (as in ``.ci/run``), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
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


def _settings(url: str, cache_dir: Path | None = None, **config) -> dict:
    """The tests' app settings on the database at ``url``; the shared response cache is on,
    as in production, in ``cache_dir`` (off without one)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RESPONSE_CACHE_DIR": str(cache_dir) if cache_dir else "",
        **config,
    }


def _dispose(application) -> None:
    """Close the app's database connections (before its database is dropped or copied)."""
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app(database_url, engine_name, tmp_path):
    """Build an app on the test database; extra config overrides the defaults."""
    apps = []

    def factory(**config):
        settings = _settings(database_url, tmp_path / "response-cache", SERVER_NAME=None)
        application = create_app({**settings, **config})
        apps.append(application)
        return application

    yield factory
    for application in apps:
        _dispose(application)


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


@pytest.fixture(scope="session")
def loaded_template(request, tmp_path_factory):
    """Per engine, a database with data/ loaded once per run; tests get copies of it.

    Why: loading the dataset takes seconds on each engine, and dozens of tests need it
    loaded. A copy is a file copy on SQLite and ``CREATE DATABASE ... TEMPLATE`` on
    PostgreSQL, a fraction of that, and each test still gets a fresh database of its own."""
    from tracker.datafiles.load import load

    made: dict[str, str] = {}

    def template(engine: str) -> str:
        if engine not in made:
            if engine == "sqlite":
                path = tmp_path_factory.mktemp("template") / "loaded.sqlite3"
                made[engine], url = str(path), f"sqlite:///{path}"
            else:
                base = request.getfixturevalue("pg_database_url").rsplit("/", 1)[0]
                name = f"tracker_tpl_{uuid.uuid4().hex[:10]}"
                with _pg_admin() as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                made[engine], url = name, f"{base}/{name}"
            application = create_app(_settings(url))
            with application.app_context():
                db.create_all()
                load(DATA_DIR, db.session)
            _dispose(application)  # SQLite checkpoints its WAL; PostgreSQL frees the template
        return made[engine]

    yield template
    if "postgresql" in made:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{made["postgresql"]}" WITH (FORCE)')


@contextmanager
def _copy_of_template(template, engine: str, directory: Path):
    """A new database holding the loaded dataset, for the ``with`` block; yields its URL.
    The PostgreSQL copy is dropped afterwards (close the app's connections first)."""
    if engine == "sqlite":
        target = directory / f"loaded-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(template(engine), target)
        yield f"sqlite:///{target}"
        return
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template(engine)}"')
    try:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def loaded_app(make_app, engine_name, tmp_path, loaded_template):
    """An app on a fresh database of its own with the real dataset from data/ loaded."""
    with _copy_of_template(loaded_template, engine_name, tmp_path) as url:
        application = make_app(SQLALCHEMY_DATABASE_URI=url)
        yield application
        _dispose(application)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_loaded_app(request, tmp_path_factory, loaded_template):
    """One app with the real data per module and engine, for read-only tests (tests using
    it must not write: the module's other tests would see the change)."""
    directory = tmp_path_factory.mktemp("shared")
    with _copy_of_template(loaded_template, request.param, directory) as url:
        application = create_app(_settings(url, directory / "response-cache"))
        yield application
        _dispose(application)


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
                outcome == "passed" and report.when != "call"
            ):
                continue
            params = nodeid.rsplit("[", 1)[1].rstrip("]").split("-") if "[" in nodeid else []
            for label, hit in (
                ("PostgreSQL", "postgresql" in params),
                ("SQLite", "sqlite" in params),
                ("browser", "test_browser.py" in nodeid),
            ):
                if hit:
                    counts.setdefault(label, {}).setdefault(outcome, 0)
                    counts[label][outcome] += 1
    if counts:
        terminalreporter.write_sep("-", "tests per engine")
        for label, by_outcome in counts.items():
            parts = ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items()))
            terminalreporter.write_line(f"{label}: {parts}")
