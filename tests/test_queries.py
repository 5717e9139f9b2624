"""The query layer: cached lifecycles follow edits, the CSV export's plain rows match the
JSON records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.editor_helpers import hypothetical_event
from tracker.db.models import Measure
from tracker.extensions import db
from tracker.read import lifecycles, queries
from tracker.read.collections import EVENTS
from tracker.read.filters import CSV_PARAMS, parse_filters
from tracker.render.exports import event_csv_row, event_export_csv_row
from tracker.web import browse

SF = "san-francisco-face-recognition-ban-2019"


def test_cached_statuses_follow_an_edit(loaded_app):
    with loaded_app.app_context():
        measure = db.session.scalars(select(Measure).where(Measure.slug == SF)).one()
        day = dt.date(2030, 1, 1)
        assert lifecycles.measure_statuses(db.session, day)[measure.id] == "in_effect"
        db.session.add(hypothetical_event(measure, "repealed", dt.date(2029, 1, 1), "sf-hypothetical-repeal"))
        db.session.commit()
        assert lifecycles.measure_statuses(db.session, day)[measure.id] == "repealed"
        assert lifecycles.measure_statuses(db.session, dt.date(2028, 1, 1))[measure.id] == "in_effect"
        # The cached path (many ids) and the direct path (few ids) agree.
        all_ids = list(db.session.scalars(select(Measure.id)))
        assert len(all_ids) > lifecycles.SMALL / 4
        many = lifecycles.measure_statuses(db.session, day, all_ids * 5)
        assert many[measure.id] == lifecycles.measure_statuses(db.session, day, [measure.id])[measure.id]


def test_the_events_csv_rows_equal_the_csv_of_the_json_records(loaded_app):
    """The export's plain-SQL rows (queries.event_export) give, for every event and filter,
    exactly the cells of the CSV made from the JSON records of the ORM events, so the two
    formats cannot disagree. Small chunks, so rows cross chunk boundaries."""
    cases = [
        {},
        {"as_of": "2021-01-01", "technology": "face-recognition"},
        {"technology": "predictive-policing", "status": "in_effect", "as_of": "2023-06-01"},
        {"status": "repealed"},
        {"q": "ban"},
        {"sort": "title", "country": "US"},
    ]
    with loaded_app.test_request_context():
        for args in cases:
            f = parse_filters(MultiDict(args), EVENTS, db.session, per_page_max=500, extra_params=CSV_PARAMS)
            as_of = f.as_of.isoformat()
            fast = [
                event_export_csv_row(item, as_of, browse._abs)
                for chunk in queries.event_export(db.session, f, size=37)
                for item in chunk
            ]
            slow = [
                event_csv_row(record)
                for items, extra in queries.chunks(db.session, f, size=41)
                for record in browse.records(items, extra, f)
            ]
            assert fast == slow, args
            assert fast, args
