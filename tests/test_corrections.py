"""Corrections from the public: submit, queue, accept, reject."""

from __future__ import annotations

from sqlalchemy import select

from tests.editor_helpers import editor_client, setup_world
from tracker.db.models import Correction
from tracker.extensions import db

GOOD = {
    "message": "The vote was on 25 February, not the 24th.",
    "source_url": "https://example.org/minutes",
    "email": "reader@example.net",
}


def test_anyone_can_send_a_correction(app):
    world = setup_world(app)
    client = app.test_client()
    assert client.get(f"/corrections/new?event={world['event']}").status_code == 200
    response = client.post(f"/corrections/new?event={world['event']}", data=GOOD)
    assert response.status_code == 302
    with app.app_context():
        correction = db.session.scalar(select(Correction))
        assert correction.event_slug == world["event"] and correction.status == "open"
        assert correction.email == "reader@example.net"
    page = client.get("/corrections").get_data(as_text=True)
    assert "The vote was on 25 February" in page and "reader@example.net" not in page
    page = client.get(f"/corrections/{correction.id}").get_data(as_text=True)
    assert "reader@example.net" not in page


def test_correction_for_a_measure_and_bad_targets(app):
    world = setup_world(app)
    client = app.test_client()
    assert client.post(f"/corrections/new?measure={world['measure']}", data=GOOD).status_code == 302
    assert client.get("/corrections/new").status_code == 400
    assert client.get("/corrections/new?event=a&measure=b").status_code == 400
    assert client.get("/corrections/new?event=no-such-event").status_code == 404
    assert client.get("/corrections/new?evnt=x").status_code == 400


def test_correction_form_refuses_bad_input(app):
    world = setup_world(app)
    response = app.test_client().post(
        f"/corrections/new?event={world['event']}",
        data={"message": "short", "source_url": "javascript:alert(1)", "email": "not-an-address"},
    )
    page = response.get_data(as_text=True)
    assert "Give an http:// or https:// address." in page
    assert "This is not an e-mail address." in page
    assert 'value="javascript:alert(1)"' in page
    with app.app_context():
        assert db.session.scalar(select(Correction)) is None


def test_corrections_need_csrf(make_app, engine_name):
    from tests.conftest import _reset

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        _reset(engine_name)
    world = setup_world(app)
    response = app.test_client().post(f"/corrections/new?event={world['event']}", data=GOOD)
    assert response.status_code == 400


def test_corrections_are_rate_limited(make_app, engine_name):
    from tests.conftest import _reset

    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        _reset(engine_name)
    world = setup_world(app)
    client = app.test_client()
    codes = [client.post(f"/corrections/new?event={world['event']}", data=GOOD).status_code for _ in range(6)]
    assert codes[:5] == [302] * 5 and codes[5] == 429


def test_editor_accepts_into_the_edit_form(app):
    world = setup_world(app)
    app.test_client().post(f"/corrections/new?event={world['event']}", data=GOOD)
    with app.app_context():
        correction_id = db.session.scalar(select(Correction.id))
    anonymous = app.test_client().post(f"/corrections/{correction_id}/accept")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    editor = editor_client(app)
    response = editor.post(f"/corrections/{correction_id}/accept")
    assert response.status_code == 302
    assert f"/events/{world['event']}/edit?correction={correction_id}" in response.location
    page = editor.get(response.location).get_data(as_text=True)
    assert "The vote was on 25 February" in page
    with app.app_context():
        correction = db.session.get(Correction, correction_id)
        assert correction.status == "accepted" and correction.decided_by.email == "editor@example.org"


def test_editor_rejects_with_a_reason(app):
    world = setup_world(app)
    app.test_client().post(f"/corrections/new?event={world['event']}", data=GOOD)
    with app.app_context():
        correction_id = db.session.scalar(select(Correction.id))
    editor = editor_client(app)
    assert editor.post(f"/corrections/{correction_id}/reject", data={"reason": ""}).status_code == 400
    response = editor.post(
        f"/corrections/{correction_id}/reject", data={"reason": "The minutes say the 24th."}
    )
    assert response.status_code == 302
    page = app.test_client().get("/corrections?status=rejected").get_data(as_text=True)
    assert "The minutes say the 24th." in page
    assert app.test_client().get("/corrections?status=maybe").status_code == 400
