"""The integrity rules hold in the database itself, on both engines, and the migrations
build exactly the schema the models describe."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError

from tracker.db.models import Actor, Base, Citation, Event, Measure, Source, Technology, text_sha256
from tracker.extensions import _include_object, db


def add(session, obj):
    session.add(obj)
    session.flush()
    return obj


@pytest.fixture
def amazon(session):
    return add(session, Actor(slug="amazon", name="Amazon", kind="company", country="US"))


def rejects(session, obj):
    with pytest.raises((IntegrityError, DataError)):
        add(session, obj)
    session.rollback()


def test_valid_rows_are_accepted(session, amazon):
    measure = add(
        session,
        Measure(
            slug="amazon-moratorium",
            title="Amazon moratorium",
            measure_type="corporate_moratorium",
            adopted_by=amazon,
            sunset=dt.date(2021, 6, 10),
        ),
    )
    event = add(
        session,
        Event(
            slug="amazon-announces",
            date=dt.date(2020, 6, 10),
            date_precision="day",
            certainty="verified",
            kind="adopted",
            measure=measure,
            actor=amazon,
            title="Amazon announces",
        ),
    )
    source = Source(slug="aclu", kind="statement", url="https://www.aclu.org/x")
    source.set_text("Amazon today announced a one-year moratorium.")
    add(session, source)
    add(session, Citation(event=event, source=source, role="reaction", quote="one-year moratorium"))
    session.commit()
    assert source.sha256 == text_sha256("Amazon today announced a one-year moratorium.")
    assert event.version == 1
    event.title = "Amazon announces a moratorium"
    session.commit()
    assert event.version == 2


@pytest.mark.parametrize(
    "field,value",
    [
        ("kind", "spaceship"),
        ("slug", "Amazon"),
        ("slug", "amazon.com"),
        ("slug", "new"),
        ("country", "USA"),
    ],
)
def test_actor_constraints(session, field, value):
    values = {"slug": "acme", "name": "Acme", "kind": "company"}
    values[field] = value
    rejects(session, Actor(**values))


def test_coordinates_must_come_in_pairs_and_in_range(session):
    rejects(session, Actor(slug="x", name="X", kind="city", latitude=10.0))
    rejects(session, Actor(slug="y", name="Y", kind="city", latitude=91.0, longitude=0.0))


def test_unique_slugs(session, amazon):
    rejects(session, Actor(slug="amazon", name="Amazon again", kind="company"))


def test_measure_and_event_vocabularies_and_references(session, amazon):
    rejects(session, Measure(slug="m", title="M", measure_type="prohibition", adopted_by=amazon))
    rejects(
        session,
        Event(
            slug="e",
            date=dt.date(2020, 1, 1),
            date_precision="week",
            certainty="verified",
            kind="adopted",
            actor_id=amazon.id,
            title="E",
        ),
    )
    rejects(
        session,
        Event(
            slug="e",
            date=dt.date(2020, 1, 1),
            date_precision="day",
            certainty="verified",
            kind="adopted",
            actor_id=99999,
            title="E",
        ),
    )
    rejects(
        session,
        Event(
            slug="e",
            date=dt.date(2020, 1, 1),
            date_precision="day",
            certainty="verified",
            kind="adopted",
            actor_id=amazon.id,
            title="E",
            new_sunset=dt.date(2021, 1, 1),
        ),
    )


def test_source_urls_must_be_http(session):
    rejects(session, Source(slug="s", kind="statement", url="javascript:alert(1)"))
    rejects(session, Source(slug="s", kind="statement", url="ftp://example.org/x"))
    rejects(session, Source(slug="s", kind="statement", published=dt.date(2020, 1, 1)))


def test_one_citation_per_event_and_source(session, amazon):
    event = add(
        session,
        Event(
            slug="e",
            date=dt.date(2020, 1, 1),
            date_precision="day",
            certainty="verified",
            kind="report",
            actor=amazon,
            title="E",
        ),
    )
    source = add(session, Source(slug="s", kind="statement", url="https://x.org"))
    add(session, Citation(event=event, source=source, role="mention"))
    rejects(session, Citation(event_id=event.id, source_id=source.id, role="mention"))
    rejects(session, Citation(event_id=event.id, source_id=source.id, role="hearsay"))


def test_technology_slug(session):
    rejects(session, Technology(slug="face recognition", name="Face recognition"))


def _migrate_empty_database(app, engine_name: str) -> None:
    """Empty the test database (no tables, no Alembic version) and migrate it to the head."""
    if engine_name == "postgresql":
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()
    else:
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    upgrade(directory=app.extensions["migrate"].directory)


def test_migrations_build_the_models_schema(app, engine_name):
    with app.app_context():
        _migrate_empty_database(app, engine_name)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": _include_object}
            )
            diff = compare_metadata(context, Base.metadata)
        assert diff == []


@pytest.mark.parametrize(
    "field,value",
    [
        ("scope", "everyone"),
        ("scope", "police_use; spaceships"),
        ("scope", ""),
        ("requirements", "approval; vibes"),
        ("measure_type", "abolition"),
    ],
)
def test_measure_lists_of_codes_are_checked(session, amazon, field, value):
    values = {"slug": "m", "title": "M", "measure_type": "ban", "adopted_by": amazon}
    values[field] = value
    rejects(session, Measure(**values))


def test_valid_lists_of_codes_and_sessions(session, amazon):
    add(
        session,
        Measure(
            slug="m",
            title="M",
            measure_type="discontinuation",
            adopted_by=amazon,
            scope="government_use; private_use",
            requirements="approval; use_policy",
            legislative_session="116th Congress",
            session_end=dt.date(2021, 1, 3),
        ),
    )
    rejects(
        session,
        Measure(slug="n", title="N", measure_type="ban", adopted_by=amazon, session_end=dt.date(2021, 1, 3)),
    )


def test_coverage_changes_need_a_measure_and_sources_a_dated_certainty(session, amazon):
    rejects(
        session,
        Event(
            slug="e",
            date=dt.date(2020, 1, 1),
            date_precision="day",
            certainty="verified",
            kind="amended",
            actor_id=amazon.id,
            title="E",
            new_scope="police_use",
        ),
    )
    rejects(session, Source(slug="s", kind="mirror", url="https://x.org", published_certainty="derived"))
    rejects(
        session,
        Source(
            slug="s",
            kind="mirror",
            url="https://x.org",
            published=dt.date(2020, 1, 1),
            published_precision="day",
            published_certainty="guessed",
        ),
    )


def test_migrated_schema_checks_the_new_vocabularies(app, engine_name):
    """The CHECK constraints come from migration 0004, not only from create_all."""
    with app.app_context():
        _migrate_empty_database(app, engine_name)
        actor = add(db.session, Actor(slug="acme", name="Acme", kind="company"))
        add(
            db.session,
            Measure(
                slug="ok",
                title="OK",
                measure_type="discontinuation",
                adopted_by=actor,
                scope="government_use; private_use",
            ),
        )
        db.session.commit()
        for values in ({"scope": "everyone"}, {"requirements": "vibes"}, {"measure_type": "abolition"}):
            rejects(
                db.session,
                Measure(slug="bad", title="Bad", adopted_by_id=actor.id, **{"measure_type": "ban", **values}),
            )
        rejects(
            db.session,
            Event(
                slug="e",
                date=dt.date(2020, 1, 1),
                date_precision="day",
                certainty="verified",
                kind="first_draft",
                actor_id=actor.id,
                title="E",
            ),
        )
        add(
            db.session,
            Event(
                slug="e",
                date=dt.date(2020, 1, 1),
                date_precision="day",
                certainty="verified",
                kind="first_reading",
                actor_id=actor.id,
                title="E",
            ),
        )
        rejects(db.session, Source(slug="s", kind="rumour", url="https://x.org"))
        add(db.session, Source(slug="s", kind="mirror", url="https://x.org"))
        # Migration 0009's scope code, on measures and on events that change a scope.
        one = add(
            db.session,
            Measure(
                slug="one-vendor",
                title="One vendor",
                measure_type="moratorium",
                adopted_by=actor,
                scope="police_use; one_product",
            ),
        )
        add(
            db.session,
            Event(
                slug="narrowed",
                date=dt.date(2020, 2, 1),
                date_precision="day",
                certainty="verified",
                kind="amended",
                actor_id=actor.id,
                measure_id=one.id,
                title="Narrowed",
                new_scope="one_product",
            ),
        )
        rejects(
            db.session,
            Measure(slug="bad2", title="Bad", adopted_by_id=actor.id, measure_type="ban", scope="one_vendor"),
        )


def test_search_finds_every_collection_after_migrating_and_loading(app, engine_name):
    """A batch migration on SQLite rebuilds a table without its full-text triggers; a record
    loaded after migrating must still be found (the tests' create_all would hide this)."""
    from tests.conftest import DATA_DIR
    from tracker.datafiles.load import load
    from tracker.db import search

    with app.app_context():
        _migrate_empty_database(app, engine_name)
        load(DATA_DIR, db.session)
    client = app.test_client()
    for collection in search.INDEXED:
        total = client.get(f"/{collection}.json?q=Amazon&per_page=1").get_json()["total"]
        assert total > 0, collection
