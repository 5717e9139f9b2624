"""Chart data from the query layer, on the real dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
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


# --- the timeline's default window (pure) ----------------------------------------------------


def test_dense_range_leaves_out_a_sparse_start():
    # One 2008 law, then a wave from 2019: the window opens on the wave.
    periods = [dt.date(2008, 1, 1)] + [dt.date(y, m, 1) for y in (2019, 2020, 2021) for m in (1, 4, 7, 10)]
    counts = [1] + [10] * 12
    assert chartdata.dense_range(periods, counts, dt.date(2022, 1, 1)) == (
        dt.date(2019, 1, 1),
        dt.date(2022, 1, 1),
    )


def test_dense_range_keeps_everything_when_the_record_is_dense_throughout():
    periods = [dt.date(y, 1, 1) for y in range(2015, 2022)]
    assert chartdata.dense_range(periods, [5] * len(periods), dt.date(2022, 1, 1)) is None
    assert chartdata.dense_range([], [], dt.date(2022, 1, 1)) is None
    assert chartdata.dense_range([dt.date(2020, 1, 1)], [3], dt.date(2020, 4, 1)) is None


def test_dense_range_cuts_at_most_the_tail_share_of_events():
    periods = [dt.date(2000 + i, 1, 1) for i in range(25)]
    counts = [1] * 5 + [100] * 20
    start, _ = chartdata.dense_range(periods, counts, dt.date(2025, 1, 1), tail=0.03)
    hidden = sum(c for p, c in zip(periods, counts, strict=True) if p < start)
    assert hidden <= 0.03 * sum(counts)
    assert start == dt.date(2005, 1, 1)
    # A larger share of early events is kept in view.
    assert chartdata.dense_range(periods, [30] * 5 + [100] * 20, dt.date(2025, 1, 1), tail=0.03) is None


def test_counts_window_ends_at_the_later_of_the_last_period_and_today():
    counts = pd.DataFrame(
        [(dt.date(2008, 1, 1), "adopted", "government", 1)]
        + [(dt.date(2019, m, 1), "adopted", "government", 40) for m in (1, 4, 7, 10)],
        columns=["period", "kind", "sector", "count"],
    )
    assert chartdata.counts_window(counts, "quarter", dt.date(2019, 11, 5)) == (
        dt.date(2019, 1, 1),
        dt.date(2020, 1, 1),
    )
    assert chartdata.counts_window(counts, "quarter", dt.date(2021, 3, 1)) == (
        dt.date(2019, 1, 1),
        dt.date(2021, 3, 1),
    )
    assert chartdata.counts_window(counts.iloc[0:0], "quarter") is None


def test_family_table_has_one_column_per_family_and_a_total():
    counts = pd.DataFrame(
        [
            (dt.date(2019, 1, 1), "adopted", "government", 2),
            (dt.date(2019, 1, 1), "repealed", "corporate", 1),
            (dt.date(2019, 4, 1), "introduced", "government", 3),
        ],
        columns=["period", "kind", "sector", "count"],
    )
    table = chartdata.family_table(counts)
    assert list(table.columns) == ["proposed", "enacted", "ended", "total"]
    assert table.loc[dt.date(2019, 1, 1)].tolist() == [0, 2, 1, 3]


def _in_effect_reference(session, f, until):
    """The in-effect step series derived in Python from every lifecycle (what the SQL replaced)."""
    from tracker.db.models import Event, Measure

    ev = events_select(session, f).order_by(None).with_only_columns(Event.measure_id).subquery()
    ids = [i for i in session.scalars(select(ev.c.measure_id).distinct()) if i is not None]
    periods = chartdata.lifecycles(session, ids, f.technology)
    types = dict(session.execute(select(Measure.id, Measure.measure_type)).all())
    series: dict[tuple[dt.date, str], int] = {}
    days = sorted(
        {p.start for ps in periods.values() for p in ps}
        | {p.end for ps in periods.values() for p in ps if p.end}
    )
    days = [d for d in days if d <= until] + [until]
    for day in days:
        for mid, ps in periods.items():
            live = any(
                p.status == "in_effect" and p.start <= day and (p.end is None or p.end > day) for p in ps
            )
            key = (day, types[mid])
            series[key] = series.get(key, 0) + int(live)
    return series


@pytest.mark.parametrize(
    "args",
    [{}, {"date_from": "1900"}, {"technology": "face-recognition"}, {"country": "US", "measure_type": "ban"}],
    ids=["all", "all-by-a-filter", "technology", "place-and-type"],
)
def test_in_effect_counts_from_sql_match_the_lifecycles(session, args):
    until = D(2024, 6, 1)
    f = _filters(session, **args)
    counts = chartdata.in_effect_counts(session, f, until=until)
    expected = _in_effect_reference(session, f, until)
    got = {(r.date, r.measure_type): r.count for r in counts.itertuples()}
    assert got, args
    for (day, measure_type), n in got.items():
        assert expected.get((day, measure_type), 0) == n, (day, measure_type)


def test_the_whole_record_skips_the_id_filter_and_counts_the_same(session):
    everything = _filters(session)
    assert chartdata._event_ids(session, everything) is None
    by_filter = _filters(session, date_from="1900")
    assert chartdata._event_ids(session, by_filter) is not None
    pd.testing.assert_frame_equal(
        chartdata.event_counts(session, everything), chartdata.event_counts(session, by_filter)
    )
    a, b = (
        chartdata.lifespans(session, everything, limit=10),
        chartdata.lifespans(session, by_filter, limit=10),
    )
    assert (a.total, a.shown) == (b.total, b.shown)
    pd.testing.assert_frame_equal(a.periods, b.periods)


def test_grid_day_is_the_first_first_of_a_month_on_or_after_a_day():
    until = D(2024, 6, 15)
    assert chartdata.grid_day(D(2019, 5, 1), until) == D(2019, 5, 1)
    assert chartdata.grid_day(D(2019, 5, 2), until) == D(2019, 6, 1)
    assert chartdata.grid_day(D(2019, 12, 31), until) == D(2020, 1, 1)
    assert chartdata.grid_day(D(2024, 6, 10), until) == until  # never past the chart's end


@pytest.mark.parametrize("args", [{}, {"technology": "face-recognition"}], ids=["all", "technology"])
def test_monthly_in_effect_counts_are_exact_on_each_first_of_a_month(session, monkeypatch, args):
    """Sampled (more change days than the chart draws), the database sums the changes per
    grid month: each point must still be the exact number in force on its day."""
    monkeypatch.setattr(chartdata, "IN_EFFECT_MAX_POINTS", 5)
    until = D(2024, 6, 15)
    f = _filters(session, **args)
    counts = chartdata.in_effect_counts(session, f, until=until)
    from tracker.db.models import Event, Measure

    ev = events_select(session, f).order_by(None).with_only_columns(Event.measure_id).subquery()
    ids = [i for i in session.scalars(select(ev.c.measure_id).distinct()) if i is not None]
    periods = chartdata.lifecycles(session, ids, f.technology)
    types = dict(session.execute(select(Measure.id, Measure.measure_type)).all())

    def live(day, measure_type):
        return sum(
            1
            for mid, ps in periods.items()
            if types[mid] == measure_type
            and any(p.status == "in_effect" and p.start <= day and (p.end is None or p.end > day) for p in ps)
        )

    days = sorted(set(counts["date"]))
    assert all(d.day == 1 for d in days[:-1]) and days[-1] == until
    assert len(days) > 24  # a point per month, not per change
    for r in counts.itertuples():
        if r.date.month in (1, 7) or r.date == until:
            assert r.count == live(r.date, r.measure_type), (r.date, r.measure_type)
