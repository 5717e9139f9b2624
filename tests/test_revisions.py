"""Revision history: the pure diff, history pages, recent changes, reverts."""

from __future__ import annotations

from sqlalchemy import select

from tests.editor_helpers import edit_event_title, editor_client, setup_world
from tracker.db.models import Citation, Event, Revision, RevisionChange, Source
from tracker.editing.revisions import diff, state_after
from tracker.extensions import db


def test_diff_reports_changed_fields_only():
    before = {"title": "A", "summary": None, "technologies": ["x"], "date": "2020-01-01"}
    after = {"title": "B", "summary": "", "technologies": ["x", "y"], "date": "2020-01-01"}
    assert diff(before, after) == (
        {"title": "A", "technologies": ["x"]},
        {"title": "B", "technologies": ["x", "y"]},
    )
    assert diff({"a": None}, {"a": []}) == ({}, {})
    assert diff({}, {"a": 1}) == ({"a": None}, {"a": 1})


def test_state_after_undoes_later_changes():
    class Change:
        def __init__(self, revision_id, before):
            self.revision_id, self.before = revision_id, before

    changes = [Change(3, {"title": "B"}), Change(2, {"title": "A", "kind": "passed"}), Change(1, {})]
    current = {"title": "C", "kind": "adopted"}
    assert state_after(changes, current, 3) == current
    assert state_after(changes, current, 2) == {"title": "B", "kind": "adopted"}
    assert state_after(changes, current, 1) == {"title": "A", "kind": "passed"}


def _revision_ids(app, slug):
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
        return [
            c.revision_id
            for c in db.session.scalars(
                select(RevisionChange)
                .where(RevisionChange.collection == "events", RevisionChange.record_id == event_id)
                .order_by(RevisionChange.id)
            )
        ]


def test_history_page_shows_a_readable_diff(app):
    world = setup_world(app)
    client = editor_client(app)
    assert edit_event_title(client, world, "First new title", 1).status_code == 302
    page = app.test_client().get(f"/events/{world['event']}/history").get_data(as_text=True)
    assert "<del>Springfield council bans face recognition</del>" in page
    assert "<ins>First new title</ins>" in page
    assert "editor@example.org" not in page  # public pages never show e-mail addresses


def test_recent_changes_lists_edits_publicly(app):
    world = setup_world(app)
    client = editor_client(app)
    edit_event_title(client, world, "First new title", 1)
    page = app.test_client().get("/changes").get_data(as_text=True)
    assert f"Edited event {world['event']}" in page
    assert "editor@example.org" not in page
    [rev_id] = _revision_ids(app, world["event"])
    page = app.test_client().get(f"/revisions/{rev_id}").get_data(as_text=True)
    assert "First new title" in page
    assert app.test_client().get("/changes?before=x").status_code == 400
    assert app.test_client().get("/changes?page=2").status_code == 400


def test_admin_reverts_and_the_revert_is_a_revision(app):
    world = setup_world(app)
    editor = editor_client(app)
    edit_event_title(editor, world, "Second title", 1)
    edit_event_title(editor, world, "Third title", 2)
    first, second = _revision_ids(app, world["event"])
    admin = editor_client(app, "admin@example.org", "admin")
    response = admin.post(f"/events/{world['event']}/revert/{first}")
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == world["event"]))
        assert event.title == "Second title"
        revert = db.session.scalar(select(Revision).order_by(Revision.id.desc()))
        assert revert.action == "revert" and revert.reverts_id == first
        assert revert.user.email == "admin@example.org"
        [change] = revert.changes
        assert change.before == {"title": "Third title"} and change.after == {"title": "Second title"}
    # Reverting to before the first edit: the values the record was loaded with.
    page = admin.get(f"/events/{world['event']}/history").get_data(as_text=True)
    assert f"/events/{world['event']}/revert/{first}" in page


def test_revert_restores_the_loaded_values(app):
    world = setup_world(app)
    editor = editor_client(app)
    edit_event_title(editor, world, "Changed", 1)
    edit_event_title(editor, world, "Changed again", 2)
    first, _second = _revision_ids(app, world["event"])
    admin = editor_client(app, "admin@example.org", "admin")
    # state right after `first` is "Changed"; undo `first` too by editing back, then revert.
    admin.post(f"/events/{world['event']}/revert/{first}")
    with app.app_context():
        assert db.session.scalar(select(Event.title).where(Event.slug == world["event"])) == "Changed"


def test_editor_cannot_revert(app):
    world = setup_world(app)
    editor = editor_client(app)
    edit_event_title(editor, world, "Second title", 1)
    edit_event_title(editor, world, "Third title", 2)
    first, _ = _revision_ids(app, world["event"])
    response = editor.post(f"/events/{world['event']}/revert/{first}")
    assert response.status_code == 403
    anonymous = app.test_client().post(f"/events/{world['event']}/revert/{first}")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    with app.app_context():
        assert db.session.scalar(select(Event.title).where(Event.slug == world["event"])) == "Third title"


def test_deleting_a_source_records_its_citations(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(f"/sources/{world['source']}/delete", data={"version": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Source).where(Source.slug == world["source"])) is None
        assert db.session.scalars(select(Citation)).all() == []
        changes = db.session.scalars(select(RevisionChange).order_by(RevisionChange.id)).all()
        assert [(c.collection, c.action) for c in changes] == [("citations", "delete"), ("sources", "delete")]
        assert changes[1].before["text"].startswith("Springfield, Mass.")


def test_stale_delete_is_a_conflict(app):
    world = setup_world(app)
    client = editor_client(app)
    edit_event_title(client, world, "Changed meanwhile", 1)
    response = client.post(f"/events/{world['event']}/delete", data={"version": "1"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(Event).where(Event.slug == world["event"])) is not None


def test_admin_restores_a_deleted_record_with_its_history(app):
    world = setup_world(app)
    editor = editor_client(app)
    edit_event_title(editor, world, "Renamed before deletion", 1)
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == world["event"]))
    # Citations go with the event: delete them with it, then restore the event alone.
    assert editor.post(f"/events/{world['event']}/delete", data={"version": "2"}).status_code == 302
    admin = editor_client(app, "admin@example.org", "admin")
    page = admin.get(f"/events/{world['event']}/history").get_data(as_text=True)
    assert "has been deleted" in page and "Restore it as it was just before this deletion" in page
    with app.app_context():
        deletion = db.session.scalar(select(Revision.id).order_by(Revision.id.desc()))
    assert editor.post(f"/events/{world['event']}/revert/{deletion}").status_code == 403
    response = admin.post(f"/events/{world['event']}/revert/{deletion}")
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == world["event"]))
        assert event.id == event_id and event.title == "Renamed before deletion"
        assert event.measure.slug == world["measure"]
        restore = db.session.scalar(select(Revision).order_by(Revision.id.desc()))
        assert restore.action == "revert" and restore.reverts_id == deletion
        assert [c.action for c in restore.changes] == ["create"]
    history_page = admin.get(f"/events/{world['event']}/history").get_data(as_text=True)
    assert "Renamed before deletion" in history_page and "delete" in history_page
    # Its citation, deleted in the same revision, is restored from its own history.
    with app.app_context():
        citation_id = db.session.scalar(
            select(RevisionChange.record_id).where(
                RevisionChange.collection == "citations", RevisionChange.revision_id == deletion
            )
        )
    revision_page = admin.get(f"/revisions/{deletion}").get_data(as_text=True)
    assert f"/citations/{citation_id}/history" in revision_page
    assert admin.post(f"/citations/{citation_id}/revert/{deletion}").status_code == 302
    with app.app_context():
        citation = db.session.get(Citation, citation_id)
        assert citation.event.slug == world["event"] and citation.quote
