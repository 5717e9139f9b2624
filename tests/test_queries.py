"""The query layer: cached lifecycles follow edits, light event rows match the ORM."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tracker.db.models import Event, Measure
from tracker.extensions import db
from tracker.read import lifecycles, queries, selects

SF = "san-francisco-face-recognition-ban-2019"


def test_cached_statuses_follow_an_edit(loaded_app):
    with loaded_app.app_context():
        measure = db.session.scalars(select(Measure).where(Measure.slug == SF)).one()
        day = dt.date(2030, 1, 1)
        assert lifecycles.measure_statuses(db.session, day)[measure.id] == "in_effect"
        first = measure.events[0]
        db.session.add(
            Event(
                slug="sf-hypothetical-repeal",
                date=dt.date(2029, 1, 1),
                date_precision="day",
                certainty="unverified",
                kind="repealed",
                measure=measure,
                actor=first.actor,
                title="Hypothetical repeal",
            )
        )
        db.session.commit()
        assert lifecycles.measure_statuses(db.session, day)[measure.id] == "repealed"
        assert lifecycles.measure_statuses(db.session, dt.date(2028, 1, 1))[measure.id] == "in_effect"
        # The cached path (many ids) and the direct path (few ids) agree.
        all_ids = list(db.session.scalars(select(Measure.id)))
        assert len(all_ids) > lifecycles.SMALL / 4
        many = lifecycles.measure_statuses(db.session, day, all_ids * 5)
        assert many[measure.id] == lifecycles.measure_statuses(db.session, day, [measure.id])[measure.id]


def test_light_event_rows_match_the_orm_objects(loaded_app):
    with loaded_app.app_context():
        events = db.session.scalars(select(Event).options(*selects.EVENT_LOAD)).all()
        rows = queries.event_rows(db.session, [e.id for e in events])
        assert len(rows) == len(events)
        for event in events:
            row = rows[event.id]
            assert (row.slug, row.date, row.kind, row.title, row.measure_id) == (
                event.slug,
                event.date,
                event.kind,
                event.title,
                event.measure_id,
            )
            assert [t.slug for t in row.all_technologies] == [t.slug for t in event.all_technologies]
            assert [(c.source.slug, c.role, c.quote) for c in row.citations] == [
                (c.source.slug, c.role, c.quote) for c in event.citations
            ]
            place = event.place
            assert (row.place.slug if row.place else None) == (place.slug if place else None)
