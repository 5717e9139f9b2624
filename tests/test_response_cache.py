"""The shared response cache (tracker.web.responsecache): answers are reused only for the
same data version, date, URL and Accept header, never for logged-in users, never half
written; an edit makes the next answer fresh."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import event, select

from tests.conftest import _reset
from tests.editor_helpers import editor_client, hypothetical_event, setup_world
from tracker.db.models import Measure
from tracker.extensions import db
from tracker.web import responsecache

SF = "san-francisco-face-recognition-ban-2019"


def entries(app) -> list[Path]:
    root = Path(app.config["RESPONSE_CACHE_DIR"])
    return sorted(root.rglob("*.body")) if root.exists() else []


def test_a_second_request_is_served_from_the_cache_byte_for_byte(app):
    world = setup_world(app)
    client = app.test_client()
    for path in ("/events.csv", "/events.json", "/events", "/map", "/timeline", "/data-package.zip"):
        first = client.get(path)
        body = first.get_data()  # a streamed answer is kept once it has been sent whole
        second = client.get(path)
        assert first.status_code == second.status_code == 200, path
        assert (first.headers["X-Response-Cache"], second.headers["X-Response-Cache"]) == ("miss", "hit")
        assert body == second.get_data(), path
        assert first.headers["Content-Type"] == second.headers["Content-Type"]
        assert first.headers.get("Content-Disposition") == second.headers.get("Content-Disposition")
        assert second.headers["ETag"] == first.headers["ETag"]
    assert world["event"].encode() in client.get("/events.csv").get_data()


def test_a_cached_answer_reads_one_row_and_on_postgresql_opens_no_transaction(app, engine_name):
    """The data version is all a hit needs from the database. On PostgreSQL it is read in
    autocommit (no BEGIN, no ROLLBACK round trips), on SQLite in the session's snapshot."""
    setup_world(app)
    client = app.test_client()
    client.get("/events.json")
    seen: list[tuple[str, bool]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        hit = client.get("/events.json")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert hit.headers["X-Response-Cache"] == "hit"
    assert len(seen) == 1 and "data_version" in seen[0][0]
    assert seen[0][1] is (engine_name == "postgresql")


def test_the_query_string_and_the_accept_header_are_part_of_the_key(app):
    setup_world(app)
    client = app.test_client()
    client.get("/events.json?kind=adopted")
    other = client.get("/events.json?kind=introduced")
    assert other.headers["X-Response-Cache"] == "miss"
    assert other.get_json()["total"] == 0
    client.get("/events.json", headers={"Accept": "application/json"})
    assert client.get("/events.json", headers={"Accept": "text/csv"}).headers["X-Response-Cache"] == "miss"


def test_an_edit_makes_the_next_csv_json_map_and_timeline_fresh(loaded_app):
    client = loaded_app.test_client()
    pages = [
        "/events.csv",
        "/events.json?q=San+Francisco",
        "/measures.json?status=repealed",
        "/map?as_of=2023-06-01",  # before the hypothetical repeal: the new title is on it
        "/timeline",
    ]
    before = {path: client.get(path).get_data() for path in pages}
    assert all(client.get(p).headers["X-Response-Cache"] == "hit" for p in pages)
    with loaded_app.app_context():
        measure = db.session.scalars(select(Measure).where(Measure.slug == SF)).one()
        measure.title = "San Francisco ban, retitled"
        db.session.add(hypothetical_event(measure, "repealed", dt.date(2024, 1, 1), "sf-hypothetical-repeal"))
        db.session.commit()
    for path in pages:
        response = client.get(path)
        assert response.headers["X-Response-Cache"] == "miss", path
        assert response.get_data() != before[path], path  # the timeline: its in-effect counts
        if path != "/timeline":
            assert b"San Francisco ban, retitled" in response.get_data(), path


def test_logged_in_editors_neither_read_nor_fill_the_cache(app):
    setup_world(app)
    editor = editor_client(app)
    response = editor.get("/events.json")
    assert response.status_code == 200
    assert "X-Response-Cache" not in response.headers
    assert entries(app) == []


def test_errors_and_heads_are_not_stored(app):
    setup_world(app)
    client = app.test_client()
    assert client.get("/events.json?per_page=nope").status_code == 400
    assert client.head("/events.json").status_code == 200
    assert entries(app) == []
    assert client.get("/events.json?per_page=nope").status_code == 400


def test_a_download_abandoned_half_way_leaves_no_entry(tmp_path):
    directory = tmp_path / "db" / "7"

    def body():
        yield b"a,b\n"
        yield b"1,2\n"

    stream = responsecache._tee(body(), directory, "key", {}, limit=1 << 20)
    assert next(stream) == b"a,b\n"
    stream.close()  # the client went away
    assert list(directory.glob("key.*")) == []
    assert [p.name for p in directory.iterdir()] == []
    complete = responsecache._tee(body(), directory, "key", {"Content-Type": "text/csv"}, limit=1 << 20)
    assert b"".join(complete) == b"a,b\n1,2\n"
    assert (directory / "key.body").read_bytes() == b"a,b\n1,2\n"


def test_an_answer_over_the_size_limit_is_sent_whole_but_not_kept(tmp_path):
    directory = tmp_path / "db" / "3"
    stream = responsecache._tee(iter([b"x" * 10, b"y" * 10]), directory, "big", {}, limit=15)
    assert b"".join(stream) == b"x" * 10 + b"y" * 10
    assert not (directory / "big.body").exists()


def test_past_the_entry_cap_answers_are_sent_but_not_kept(make_app, engine_name):
    app = make_app(RESPONSE_CACHE_MAX_ENTRIES=2)
    with app.app_context():
        _reset(engine_name)
    setup_world(app)
    client = app.test_client()
    for word in ("ban", "council", "springfield", "face"):
        assert client.get(f"/events.json?q={word}").status_code == 200
    assert len(entries(app)) == 2
    again = client.get("/events.json?q=face")
    assert again.status_code == 200 and again.headers["X-Response-Cache"] == "miss"


def test_a_new_version_removes_older_versions_but_not_newer_ones(tmp_path):
    for version in ("4", "5", "9"):
        (tmp_path / "db" / version).mkdir(parents=True)
    list(responsecache._tee(iter([b"x"]), tmp_path / "db" / "6", "k", {}, limit=100))
    assert sorted(p.name for p in (tmp_path / "db").iterdir()) == ["6", "9"]


def test_the_cache_can_be_turned_off(make_app, engine_name):
    app = make_app(RESPONSE_CACHE_DIR="")
    with app.app_context():
        _reset(engine_name)
    setup_world(app)
    client = app.test_client()
    client.get("/events.json")
    assert "X-Response-Cache" not in client.get("/events.json").headers
