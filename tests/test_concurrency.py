"""Two editors on one record: whatever kind of field each changes (a scalar, a list, a
reference), one save wins and the other gets the 409 conflict page; nothing is silently
overwritten. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.editor_helpers import editor_client, make_world, measure_form
from tracker.db.models import Actor, Measure, Technology
from tracker.extensions import db


def _world(app) -> dict:
    with app.app_context():
        world = make_world(db.session)
        db.session.add_all(
            [
                Technology(slug="alpr", name="Automated licence plate readers"),
                Actor(slug="boston", name="Boston", kind="city", country="US", region="US-MA"),
            ]
        )
        db.session.commit()
    return world


# (field, first editor's value, second editor's change of another field)
CHANGES = [
    ("title", "Springfield's face recognition ban", {"summary": "Bob's summary"}),
    ("technologies", ["alpr", "face-recognition"], {"title": "Bob's title"}),
    ("scope", ["government_use", "private_use"], {"title": "Bob's title"}),
    ("requirements", ["approval"], {"title": "Bob's title"}),
    ("jurisdiction", "boston", {"title": "Bob's title"}),
]


@pytest.mark.parametrize("field,value,other", CHANGES, ids=[c[0] for c in CHANGES])
def test_a_stale_save_is_refused_whatever_field_changed(app, field, value, other):
    world = _world(app)
    alice = editor_client(app, "alice@example.org")
    bob = editor_client(app, "bob@example.org")
    url = f"/measures/{world['measure']}/edit"
    assert alice.get(url).status_code == bob.get(url).status_code == 200
    first = alice.post(url, data=measure_form(world, **{field: value}))
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    second = bob.post(url, data=measure_form(world, **other))
    assert second.status_code == 409
    assert "Edit conflict" in second.get_data(as_text=True)
    with app.app_context():
        measure = db.session.scalar(select(Measure).where(Measure.slug == world["measure"]))
        assert measure.version == 2
        saved = {
            "technologies": [t.slug for t in measure.technologies],
            "scope": measure.scope_list,
            "requirements": measure.requirement_list,
            "jurisdiction": measure.jurisdiction.slug,
            "title": measure.title,
        }[field]
        assert saved == value
        assert measure.title != "Bob's title" and measure.summary != "Bob's summary"


def test_a_list_only_change_moves_the_etag(app):
    """Caches must not answer 304 for a record whose technologies changed."""
    world = _world(app)
    editor = editor_client(app)
    public = app.test_client()
    page = f"/measures/{world['measure']}.json"
    etag = public.get(page).headers["ETag"]
    assert public.get(page, headers={"If-None-Match": etag}).status_code == 304
    url = f"/measures/{world['measure']}/edit"
    response = editor.post(url, data=measure_form(world, technologies=["alpr", "face-recognition"]))
    assert response.status_code == 302
    fresh = public.get(page, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.get_json()["technologies"] == ["alpr", "face-recognition"]
