"""The production command, run for real: gunicorn with several workers, Redis for the shared
rate-limit counters, and two app servers on one database. These start real processes on
loopback ports, so they take a few seconds each; Redis must run on 127.0.0.1:6379 (as on
every machine here and in CI), and its absence is a failure, not a skip."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import _reset
from tests.editor_helpers import PASSWORD, event_form, make_world
from tracker.accounts import users as auth
from tracker.extensions import db
from tracker.gunicorn_conf import shared_limits_required

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} for the multi-worker tests: {exc}")
    return REDIS_URL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn server started with the production settings (tracker.gunicorn_conf)."""

    def __init__(self, env: dict[str, str], workers: int):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            **env,
            "TRACKER_BIND": f"127.0.0.1:{self.port}",
            "TRACKER_WORKERS": str(workers),
            "TRACKER_ACCESS_LOG": "/dev/null",
            "TRACKER_INSECURE_COOKIES": "1",
        }
        # A file, not a pipe: a full pipe would block the server's logging.
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(GUNICORN), "-c", "python:tracker.gunicorn_conf", "tracker:create_app()"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                output = self.log.read()
                self.log.close()
                raise AssertionError(f"gunicorn exited: {output}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("gunicorn did not answer within 30 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def world_database(make_app, engine_name, database_url):
    """The test database with a small world and an editor, ready for servers to open."""
    app = make_app()
    with app.app_context():
        _reset(engine_name)
        world = make_world(db.session)
        auth.create_user(db.session, "editor@example.org", PASSWORD, "editor")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return database_url.replace("postgresql+psycopg://", "postgresql+psycopg://"), world


def _env(database_url: str, redis_url: str | None, prefix: str, cache_dir: str = "") -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "shared-secret-for-the-test",
        "RATELIMIT_KEY_PREFIX": prefix,
        "TRACKER_RESPONSE_CACHE_DIR": cache_dir,
    }
    if redis_url:
        env["RATELIMIT_STORAGE_URI"] = redis_url
    return env


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _bad_login(client: httpx.Client) -> int:
    token = _csrf(client.get("/login").text)
    return client.post(
        "/login", data={"csrf_token": token, "email": "editor@example.org", "password": "not the password"}
    ).status_code


def _edit_title(server: Server, world: dict, title: str) -> None:
    """Log in as the editor on ``server`` and change the world's event title with the form."""
    with httpx.Client(base_url=server.url, timeout=10) as editor:
        token = _csrf(editor.get("/login").text)
        response = editor.post(
            "/login", data={"csrf_token": token, "email": "editor@example.org", "password": PASSWORD}
        )
        assert response.status_code == 302
        form = editor.get(f"/events/{world['event']}/edit").text
        version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
        data = event_form(world, title, csrf_token=_csrf(form), version=version)
        response = editor.post(f"/events/{world['event']}/edit", data=data)
        assert response.status_code == 302, response.text[:500]


def test_in_memory_limits_with_several_workers_refuse_to_start():
    assert shared_limits_required(4, "memory://") is not None
    assert shared_limits_required(1, "memory://") is None
    assert shared_limits_required(4, "redis://127.0.0.1:6379/0") is None
    env = {
        **os.environ,
        "TRACKER_WORKERS": "4",
        "TRACKER_BIND": f"127.0.0.1:{_free_port()}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "x",
    }
    result = subprocess.run(
        [str(GUNICORN), "-c", "python:tracker.gunicorn_conf", "tracker:create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "RATELIMIT_STORAGE_URI" in result.stdout + result.stderr


def test_a_worker_freezes_what_it_loaded(tmp_path):
    """The worker hook (run in a fresh interpreter, as a worker would after loading the
    app): what the application loaded is frozen, out of every later collection."""
    script = (
        "import gc, json\n"
        "from tracker import create_app\n"
        "from tracker.gunicorn_conf import post_worker_init\n"
        f"create_app({{'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/gc.sqlite3'}})\n"
        "before = gc.get_freeze_count()\n"
        "post_worker_init(None)\n"
        "print(json.dumps([before, gc.get_freeze_count(), len(gc.get_objects())]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    frozen_before, frozen, still_tracked = json.loads(done.stdout)
    assert frozen_before == 0
    assert frozen > 50_000
    assert still_tracked < frozen / 10


def test_login_limit_holds_across_four_workers_counted_in_redis(world_database, redis_url):
    database_url, _ = world_database
    server = Server(_env(database_url, redis_url, f"test-{uuid.uuid4().hex}"), workers=4)
    try:
        statuses = []
        for _ in range(8):
            # A new connection each time, so the attempts spread over the workers.
            with httpx.Client(base_url=server.url, timeout=10) as client:
                statuses.append(_bad_login(client))
        assert statuses[:5] == [200] * 5
        assert statuses[5:] == [429] * 3
        response = httpx.get(f"{server.url}/events.json", timeout=10)
        assert "gunicorn/" not in response.headers.get("server", "")  # no version banner
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    finally:
        server.stop()


def test_two_app_servers_share_the_database_and_the_limits(world_database, redis_url):
    database_url, world = world_database
    env = _env(database_url, redis_url, f"test-{uuid.uuid4().hex}")
    one, two = Server(env, workers=2), Server(env, workers=2)
    try:
        page = f"/events/{world['event']}.json"
        assert httpx.get(two.url + page).json()["title"] == "Springfield council bans face recognition"
        _edit_title(one, world, "Edited through server one")
        # The other server sees it on its very next request (no stale per-process cache).
        assert httpx.get(two.url + page).json()["title"] == "Edited through server one"
        # Limits are counted once for both servers: 5 a minute in all.
        statuses = []
        for server in (one, two, one, two, one, two, one):
            with httpx.Client(base_url=server.url, timeout=10) as client:
                statuses.append(_bad_login(client))
        # One good login above does not count as a failure, but it is a POST: 4 more may pass.
        assert statuses.count(200) == 4 and statuses[-3:] == [429] * 3
    finally:
        one.stop()
        two.stop()


def test_two_workers_share_cached_answers_and_an_edit_reaches_every_one(
    world_database, redis_url, make_app, tmp_path
):
    """The response cache on a real two-worker server: repeated requests are answered from
    the shared files, byte for byte what a fresh render gives (an app with the cache off,
    asked for the same URL), before and after an edit made through the editor's form."""
    database_url, world = world_database
    env = _env(database_url, redis_url, f"test-{uuid.uuid4().hex}", cache_dir=str(tmp_path / "cache"))
    server = Server(env, workers=2)
    fresh = make_app(RESPONSE_CACHE_DIR="").test_client()
    pages = ["/events.csv", "/events.json", "/events", "/measures.csv", "/map", "/timeline"]
    pages.append(f"/events/{world['event']}")

    def fetch(path: str) -> httpx.Response:
        # A new connection each time, so the requests spread over the workers.
        with httpx.Client(base_url=server.url, timeout=30) as client:
            response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        return response

    def check(path: str) -> bytes:
        want = fresh.get(path, base_url=server.url).get_data()
        answers = [fetch(path) for _ in range(4)]
        assert [r.headers["X-Response-Cache"] for r in answers][1:] == ["hit"] * 3, path
        assert all(r.content == want for r in answers), path
        return want

    try:
        before = {path: check(path) for path in pages}
        assert b"Springfield council bans face recognition" in before["/events.csv"]
        _edit_title(server, world, "Edited with the cache on")
        after = {path: check(path) for path in pages}
        for path in ("/events.csv", "/events.json", "/events", f"/events/{world['event']}"):
            assert b"Edited with the cache on" in after[path], path
            assert after[path] != before[path], path
    finally:
        server.stop()
