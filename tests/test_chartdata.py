"""Chart data from the query layer, on the real dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select
from werkzeug.datastructures import MultiDict

from tracker.extensions import db
from tracker.read import chartdata, maps
from tracker.read.collections import LISTED
from tracker.read.filters import parse_filters
from tracker.read.selects import events_select

D = dt.date


@pytest.fixture
def session(loaded_app):
    with loaded_app.app_context():
        yield db.session


def _filters(session, collection="events", **args):
    return parse_filters(MultiDict(args), LISTED[collection], session)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def test_event_counts_add_up_to_the_filtered_list(session):
    f = _filters(session, kind=["adopted", "repealed"])
    counts = chartdata.event_counts(session, f, "quarter")
    total = session.scalar(
        select(func.count()).select_from(events_select(session, f).order_by(None).subquery())
    )
    assert counts["count"].sum() == total > 0
    assert set(counts["kind"]) <= {"adopted", "repealed"}
    assert all(p.day == 1 and p.month in (1, 4, 7, 10) for p in counts["period"])
    assert set(counts["sector"]) == {"government", "corporate"}


def test_event_counts_by_month(session):
    f = _filters(session, date_from="2019-05", date_to="2019-05")
    counts = chartdata.event_counts(session, f, "month")
    assert set(counts["period"]) == {D(2019, 5, 1)}


def test_in_effect_counts_follow_the_status_function(session):
    counts = chartdata.in_effect_counts(session, _filters(session), until=D(2024, 6, 1))

    def on(day, measure_type):
        rows = counts[(counts["measure_type"] == measure_type) & (counts["date"] <= day)]
        return int(rows.iloc[-1]["count"]) if not rows.empty else 0

    # San Francisco: in force from its final vote (21 May 2019), not its first reading.
    assert on(D(2019, 5, 14), "ban") == on(D(2019, 5, 20), "ban")
    assert on(D(2019, 5, 20), "ban") + 1 == on(D(2019, 5, 21), "ban")
    # California's body-camera moratorium expires on its sunset, 2023-01-01.
    assert on(D(2023, 1, 1), "moratorium") < on(D(2022, 12, 31), "moratorium")
    assert counts["date"].max() == D(2024, 6, 1)


def test_lifespans_are_capped_and_counted(session):
    spans = chartdata.lifespans(session, _filters(session), limit=5)
    assert spans.shown == 5 and spans.total > 5
    assert spans.periods["slug"].nunique() == 5
    assert set(spans.events["slug"]) <= set(spans.periods["slug"])
    full = chartdata.lifespans(session, _filters(session), until=D(2024, 6, 1))
    ca = full.periods[full.periods["slug"] == "california-body-camera-biometric-moratorium-2019"]
    assert list(ca["status"]) == ["passed", "adopted", "in_effect", "expired"]
    assert ca.iloc[2]["end"] == D(2023, 1, 1)


def test_a_few_queries_whatever_the_size(session, loaded_app):
    counter = QueryCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        f = _filters(session)
        chartdata.event_counts(session, f)
        chartdata.in_effect_counts(session, f)
        chartdata.lifespans(session, f)
        measures = _filters(session, "measures")
        maps.map_day(session, measures, D(2021, 1, 1))
        maps.change_dates(session, measures)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    # A fixed number, never one per row: each of the three lifecycle derivations reads the
    # measures, their events, the coverage changes and those measures' technologies (4).
    assert counter.count <= 24
