"""Editing through the forms: create, edit, delete, field errors, conflicts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.editor_helpers import editor_client, event_form, setup_world
from tracker.db.models import Actor, Citation, Event, RevisionChange, Source
from tracker.editing.forms import parse_partial_date
from tracker.extensions import db


def _changes(app, collection: str) -> list[RevisionChange]:
    with app.app_context():
        rows = db.session.scalars(
            select(RevisionChange).where(RevisionChange.collection == collection).order_by(RevisionChange.id)
        ).all()
        for row in rows:
            _ = row.revision.user.email
        return rows


def _event_form(world: dict, title: str = "Springfield council extends its ban", **overrides) -> dict:
    return event_form(world, title, **{"date": "2021-03", **overrides})


def test_parse_partial_date():
    assert parse_partial_date("2019") == (dt.date(2019, 1, 1), "year")
    assert parse_partial_date("2019-05") == (dt.date(2019, 5, 1), "month")
    assert parse_partial_date("2019-05-14") == (dt.date(2019, 5, 14), "day")
    with pytest.raises(ValueError, match="not a real date"):
        parse_partial_date("2021-02-30")
    with pytest.raises(ValueError, match="Use a year"):
        parse_partial_date("May 2019")


def test_create_event_stores_precision_and_records_a_revision(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post("/events/new", data=_event_form(world))
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.title == "Springfield council extends its ban"))
        assert event.slug == "springfield-council-extends-its-ban-2021"
        assert (event.date, event.date_precision) == (dt.date(2021, 3, 1), "month")
    [change] = _changes(app, "events")
    assert change.action == "create" and change.before == {}
    assert change.after["date"] == "2021-03-01" and change.after["date_precision"] == "month"
    assert change.after["actor"] == world["council"]
    assert change.revision.user.email == "editor@example.org"


def test_slugs_are_unique_and_stable(app):
    world = setup_world(app)
    client = editor_client(app)
    client.post("/events/new", data=_event_form(world))
    client.post("/events/new", data=_event_form(world))
    with app.app_context():
        query = select(Event.slug).where(Event.slug.like("springfield-council-ext%"))
        slugs = sorted(db.session.scalars(query))
    assert slugs == ["springfield-council-extends-its-ban-2021", "springfield-council-extends-its-ban-2021-2"]
    response = client.post(
        f"/events/{slugs[0]}/edit", data=_event_form(world, title="A completely different title", version="1")
    )
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(Event).where(Event.slug == slugs[0])).title
            == "A completely different title"
        )


def test_edit_records_before_and_after_of_changed_fields_only(app):
    world = setup_world(app)
    client = editor_client(app)
    page = client.get(f"/events/{world['event']}/edit").get_data(as_text=True)
    assert 'value="2020-02-24"' in page and 'name="version"' in page
    response = client.post(
        f"/events/{world['event']}/edit",
        data=_event_form(
            world, title="Springfield council bans face surveillance", date="2020-02-24", version="1"
        ),
    )
    assert response.status_code == 302
    [change] = _changes(app, "events")
    assert change.action == "update"
    assert change.before == {"title": "Springfield council bans face recognition"}
    assert change.after == {"title": "Springfield council bans face surveillance"}


def test_edit_actor_aliases_and_source(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(
        f"/actors/{world['city']}/edit",
        data={
            "name": "Springfield",
            "kind": "city",
            "aliases": "City of Springfield\nSpringfield, MA",
            "parent": "massachusetts",
            "country": "us",
            "region": "US-MA",
            "latitude": "42.1",
            "longitude": "-72.6",
            "coordinates_source": "",
            "version": "1",
        },
    )
    assert response.status_code == 302, response.data
    with app.app_context():
        actor = db.session.scalar(select(Actor).where(Actor.slug == world["city"]))
        assert actor.aliases == "City of Springfield; Springfield, MA"
    [change] = _changes(app, "actors")
    assert change.after == {"aliases": "City of Springfield; Springfield, MA"}


def test_create_source_and_citation_from_the_event(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(
        "/sources/new",
        data={
            "title": "News report",
            "publisher": "Example News",
            "kind": "news_article",
            "url": "https://news.example.org/a",
            "published": "2020-02",
            "accessed": "2024-01-02",
            "archive_url": "",
            "text": "On Monday the council banned face recognition.",
        },
    )
    assert response.status_code == 302, response.data
    with app.app_context():
        source = db.session.scalar(select(Source).where(Source.slug == "news-report"))
        assert source.published_precision == "month" and source.sha256
    response = client.post(
        f"/events/{world['event']}/citations/new",
        data={
            "source": "news-report",
            "role": "news_report",
            "quote": "the council   banned face\nrecognition",
            "note": "",
        },
    )
    assert response.status_code == 302, response.data
    with app.app_context():
        cites = db.session.scalars(
            select(Citation).join(Citation.source).where(Source.slug == "news-report")
        ).all()
        assert [c.event.slug for c in cites] == [world["event"]]
    assert _changes(app, "citations")[0].after["source"] == "news-report"


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("url", "javascript:alert(1)", "Give an http:// or https:// address."),
        ("archive_url", "ftp://example.org/x", "Give an http:// or https:// address."),
        ("kind", "rumour", "Unknown source kind"),
        ("published", "2021-02-30", "2021-02-30 is not a real date."),
        ("accessed", "2021-02", "Give the full date"),
    ],
)
def test_source_form_refuses_bad_input_at_the_field(app, field, value, message):
    setup_world(app)
    client = editor_client(app)
    data = {
        "title": "T",
        "publisher": "",
        "kind": "statement",
        "url": "https://example.org",
        "published": "",
        "accessed": "",
        "archive_url": "",
        "text": "",
    }
    data[field] = value
    response = client.post("/sources/new", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    # The message sits in the field's own block, and what was typed is kept.
    block = page.split(f'id="field-{field}"', 1)[1].split('<div class="field', 1)[0]
    assert message in block
    if field != "kind":
        assert f'value="{value}"' in block
    with app.app_context():
        assert db.session.scalar(select(Source).where(Source.title == "T")) is None


def test_event_form_refuses_impossible_date_and_unknown_kind(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post("/events/new", data=_event_form(world, date="2021-02-30", kind="banned"))
    page = response.get_data(as_text=True)
    assert "2021-02-30 is not a real date." in page.split('id="field-date"')[1].split('<div class="field')[0]
    assert "Unknown event kind" in page.split('id="field-kind"')[1].split('<div class="field')[0]
    assert 'value="Springfield council extends its ban"' in page  # kept


def test_event_form_refuses_unknown_reference_and_misplaced_sunset(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post("/events/new", data=_event_form(world, actor="nobody", new_sunset="2022-01-01"))
    page = response.get_data(as_text=True)
    assert "Unknown actor" in page
    assert "Only an &#39;Extended&#39; event sets a new sunset." in page


def test_citation_quote_must_occur_in_the_source_text(app):
    world = setup_world(app)
    client = editor_client(app)
    client.post("/events/new", data=_event_form(world))
    response = client.post(
        f"/sources/{world['source']}/citations/new",
        data={
            "event": "springfield-council-extends-its-ban-2021",
            "role": "mention",
            "quote": "The council unanimously rejected the ban",
            "note": "",
        },
    )
    page = response.get_data(as_text=True)
    assert "This passage does not occur in the source" in page.split('id="field-quote"')[1]
    assert "The council unanimously rejected the ban" in page


def test_source_text_edit_cannot_orphan_quotes(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(
        f"/sources/{world['source']}/edit",
        data={
            "title": "Council bans face recognition",
            "publisher": "City of Springfield",
            "kind": "statement",
            "url": "https://example.org/springfield",
            "published": "2020-02-24",
            "accessed": "",
            "archive_url": "",
            "text": "Something else entirely.",
            "version": "1",
        },
    )
    assert "no longer contains the quote" in response.get_data(as_text=True)


def test_measure_and_actor_forms_validate(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(
        "/measures/new",
        data={
            "title": "Test",
            "measure_type": "ban",
            "scope": "nowhere",
            "adopted_by": world["council"],
            "sunset": "2021-02-30",
            "identifiers": "",
            "aliases": "",
            "summary": "",
        },
    )
    page = response.get_data(as_text=True)
    assert "Unknown scope" in page and "2021-02-30 is not a real date." in page
    response = client.post(
        "/actors/new", data={"name": "X", "kind": "planet", "latitude": "95", "country": "USA"}
    )
    page = response.get_data(as_text=True)
    assert "Unknown actor kind" in page and "two-letter" in page
    assert "Give both latitude and longitude" in page or "between" in page


def test_delete_asks_first_and_lists_what_is_affected(app):
    world = setup_world(app)
    client = editor_client(app)
    page = client.get(f"/events/{world['event']}/delete").get_data(as_text=True)
    assert "These will be deleted with it" in page and world["source"] in page
    page = client.get(f"/actors/{world['council']}/delete").get_data(as_text=True)
    assert "cannot be deleted" in page and world["event"] in page and world["measure"] in page
    response = client.post(f"/actors/{world['council']}/delete", data={"version": "1"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(Actor).where(Actor.slug == world["council"])) is not None


def test_delete_records_the_record_and_its_citations(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(f"/events/{world['event']}/delete", data={"version": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Event).where(Event.slug == world["event"])) is None
        assert db.session.scalars(select(Citation)).all() == []
    [event_change] = _changes(app, "events")
    [citation_change] = _changes(app, "citations")
    assert event_change.action == "delete" and event_change.after == {}
    assert event_change.before["title"] == "Springfield council bans face recognition"
    assert citation_change.before["quote"].startswith("The City Council today")
    assert event_change.revision_id == citation_change.revision_id  # one revision
    # The history of a deleted record stays readable.
    page = client.get(f"/events/{world['event']}/history").get_data(as_text=True)
    assert "has been deleted" in page and "Springfield council bans face recognition" in page


def test_second_editor_gets_a_conflict_and_first_change_survives(app):
    world = setup_world(app)
    alice = editor_client(app, "alice@example.org")
    bob = editor_client(app, "bob@example.org")
    url = f"/events/{world['event']}/edit"
    assert 'name="version" type="hidden" value="1"' in alice.get(url).get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in bob.get(url).get_data(as_text=True)
    response = alice.post(url, data=_event_form(world, title="Alice's title", date="2020-02-24", version="1"))
    assert response.status_code == 302
    response = bob.post(url, data=_event_form(world, title="Bob's title", date="2020-02-24", version="1"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Edit conflict" in page and "Alice&#39;s title" in page and "Bob&#39;s title" in page
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == world["event"]))
        assert event.title == "Alice's title" and event.version == 2
    assert len(_changes(app, "events")) == 1


def test_unchanged_save_records_nothing(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(
        f"/events/{world['event']}/edit",
        data=_event_form(
            world, title="Springfield council bans face recognition", date="2020-02-24", version="1"
        ),
    )
    assert response.status_code == 302
    assert _changes(app, "events") == []
