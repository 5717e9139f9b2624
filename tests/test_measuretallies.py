"""The measures' stored facet counts (tracker.db.measuretallies) always equal a recount
from the measures and their periods, and a measures list "on a date" read from them (the
facets, the total, the first page) equals the list the facet statement works out (the
path any other filter takes): after a load, after each kind of edit, after a reload and a
rebuild, with two writers at once, and on random histories."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from werkzeug.datastructures import MultiDict

from tests.editor_helpers import (
    data_with_changed_events,
    hypothetical_event,
    move_adoption,
    two_writers_at_once,
)
from tracker.core.status import status_in
from tracker.datafiles.load import load
from tracker.db import measuretallies, tallies
from tracker.db.bulk import add_counts
from tracker.db.models import Actor, Event, Measure, MeasureStart, MeasureTally, MeasureTallyValue, Technology
from tracker.extensions import db
from tracker.read import queries
from tracker.read.collections import MEASURES
from tracker.read.filters import parse_filters

SF = "san-francisco-face-recognition-ban-2019"
OAKLAND = "oakland-face-recognition-ban-2019"
D = dt.date
# The first and last days of months and years, where the stored years and months meet the
# periods read for the month; and days the real record changes on.
FIXED_DAYS = (
    D(2010, 1, 1),
    D(2019, 5, 31),
    D(2019, 6, 1),
    D(2020, 12, 31),
    D(2021, 1, 1),
    D(2021, 1, 2),
    D(2023, 7, 15),
    D(2026, 12, 1),
    D(2031, 1, 1),
)
STATUS_SETS: tuple[tuple[str, ...], ...] = (
    ("in_effect",),
    ("pending", "passed"),
    ("expired", "repealed"),
    (),
)


def measures_on(session, day: dt.date, statuses: tuple[str, ...]):
    """The measures list's filter for "these statuses on ``day``" (none: recorded by then)."""
    args = MultiDict([("as_of", day.isoformat()), *(("status", s) for s in statuses)])
    return parse_filters(args, MEASURES, session)


def computed_facets(session, f, monkeypatch):
    """The facet statement's answer (the stored counts turned off)."""
    with monkeypatch.context() as m:
        m.setattr(queries, "_measures_on_a_date", lambda f: False)
        return queries.facets_and_total(session, f)


def expected_page(session, f) -> list[str]:
    """The first page worked out from the lifecycles: measures with a status asked for on
    the day (without one: recorded by then), newest first day first, then by slug."""
    lifecycles = tallies.stored_lifecycles(session)
    starts = dict(session.execute(select(MeasureStart.measure_id, MeasureStart.start)).all())
    slugs = dict(session.execute(select(Measure.id, Measure.slug)).all())
    rows = [
        (starts[mid], slugs[mid])
        for mid in starts
        if starts[mid] <= f.as_of
        and (not f.status or status_in(lifecycles.get(mid, []), f.as_of) in f.status)
    ]
    rows.sort(key=lambda r: r[1])
    rows.sort(key=lambda r: r[0], reverse=True)
    return [slug for _, slug in rows[: f.per_page]]


def assert_counts_hold(session, monkeypatch, days=FIXED_DAYS) -> None:
    """The stored rows equal a recount, and on each day and status set the list read from
    them equals the computed one."""
    assert measuretallies.differences(session) == {}
    for day in days:
        for statuses in STATUS_SETS:
            f = measures_on(session, day, statuses)
            assert queries._measures_on_a_date(f)
            stored = queries.facets_and_total(session, f)
            assert stored == computed_facets(session, f, monkeypatch), (day, statuses)
            assert [m.slug for m in queries.page(session, f, stored[1]).items] == expected_page(session, f)


def measure(session, slug: str) -> Measure:
    return session.scalars(select(Measure).where(Measure.slug == slug)).one()


def test_the_loaded_record_is_counted_as_its_measures_are(loaded_app, monkeypatch):
    with loaded_app.app_context():
        session = db.session
        assert_counts_hold(session, monkeypatch)
        f = measures_on(session, D(2021, 1, 1), ("in_effect",))
        facets, total = queries.facets_and_total(session, f)
        assert total > 20  # the bans of 2019-2020 among them
        assert {v.value for v in facets["status"]} == {"in_effect"}
        assert sum(v.count for v in facets["country"]) == total  # every one has a country
        # Without a status: every measure recorded by then, counted by status.
        f = measures_on(session, D(2021, 1, 1), ())
        facets, recorded = queries.facets_and_total(session, f)
        assert recorded > total
        assert sum(v.count for v in facets["status"]) == recorded


def test_each_kind_of_edit_keeps_the_counts(loaded_app, monkeypatch):
    with loaded_app.app_context():
        session = db.session
        sf, oakland = measure(session, SF), measure(session, OAKLAND)
        other = session.scalars(select(Technology).where(Technology.slug != "face-recognition")).first()
        assert other is not None
        # A new event that ends a measure on the first of a month, then moved to another
        # measure and to another day, mid-month.
        added = hypothetical_event(sf, "repealed", D(2021, 1, 1), "sf-count-repeal")
        session.add(added)
        session.commit()
        f = measures_on(session, D(2021, 1, 1), ("repealed",))
        assert SF in {m.slug for m in queries.page(session, f).items}
        assert_counts_hold(session, monkeypatch)
        added.measure = oakland
        added.date = D(2023, 7, 14)
        session.commit()
        assert_counts_hold(session, monkeypatch)
        # An earlier first event: the day the measure is recorded from.
        first = hypothetical_event(sf, "introduced", D(2010, 1, 1), "sf-count-first")
        session.add(first)
        session.commit()
        assert_counts_hold(session, monkeypatch)
        # The measure's own fields: type, technologies, place.
        sf.measure_type = "moratorium"
        sf.technologies = [*sf.technologies, other]
        session.commit()
        assert_counts_hold(session, monkeypatch)
        sf.jurisdiction = None
        session.commit()
        assert_counts_hold(session, monkeypatch)
        sf.jurisdiction = oakland.jurisdiction
        session.commit()
        assert_counts_hold(session, monkeypatch)
        # Its place moves to another country and region (the adopter's, where it has none).
        city = oakland.jurisdiction
        assert city is not None
        city.country, city.region = "CA", "CA-ON"
        session.commit()
        assert_counts_hold(session, monkeypatch)
        city.region = None
        session.commit()
        assert_counts_hold(session, monkeypatch)
        # A technology taken off it.
        sf.technologies = [t for t in sf.technologies if t.id != other.id]
        session.commit()
        assert_counts_hold(session, monkeypatch)
        # Deletions: an event, then a measure with all its events.
        session.delete(added)
        session.delete(first)
        session.commit()
        assert_counts_hold(session, monkeypatch)
        for e in list(oakland.events):
            session.delete(e)
        session.delete(oakland)
        session.commit()
        assert_counts_hold(session, monkeypatch)


def test_a_transaction_counts_its_own_edit_and_a_rollback_leaves_the_counts(loaded_app, monkeypatch):
    with loaded_app.app_context():
        session = db.session
        f = measures_on(session, D(2030, 1, 1), ("repealed",))
        before = queries.facets_and_total(session, f)
        session.add(hypothetical_event(measure(session, SF), "repealed", D(2029, 5, 6), "sf-count-repeal"))
        assert queries.facets_and_total(session, f)[1] == before[1] + 1
        session.rollback()
        assert queries.facets_and_total(session, f) == before
        assert measuretallies.differences(session) == {}


def test_a_reload_that_changes_events_keeps_the_counts(loaded_app, tmp_path, monkeypatch):
    """The loader writes with Core statements and names the measures it wrote; their counts
    are redone in its transaction."""
    data = data_with_changed_events(tmp_path, move_adoption(SF, "2018-01-02"))
    with loaded_app.app_context():
        f = measures_on(db.session, D(2018, 6, 1), ("in_effect",))
        assert SF not in {m.slug for m in queries.page(db.session, f).items}
        load(data, db.session, prune=True)
        db.session.commit()
        assert SF in {m.slug for m in queries.page(db.session, f).items}
        assert_counts_hold(db.session, monkeypatch, (D(2018, 1, 2), D(2018, 6, 1), *FIXED_DAYS[:3]))


def test_rebuild_periods_restores_counts_changed_behind_the_trackers_back(loaded_app, monkeypatch):
    with loaded_app.app_context():
        db.session.execute(update(MeasureTally).values(n=MeasureTally.n + 1))
        db.session.execute(delete(MeasureTallyValue).where(MeasureTallyValue.facet == "region"))
        db.session.commit()
        assert set(measuretallies.differences(db.session)) == {"values", "counts"}
    result = loaded_app.test_cli_runner().invoke(args=["rebuild-periods"])
    assert result.exit_code == 0, result.output
    with loaded_app.app_context():
        assert_counts_hold(db.session, monkeypatch, FIXED_DAYS[:4])


def test_two_writers_changing_one_measure_at_once_both_count(loaded_app):
    """Two transactions add events to one measure at the same time. The data_version row's
    lock holds the second until the first commits, so the second reads the periods and
    values the first committed as its "before": the counts are right after both."""
    with loaded_app.app_context():
        sf_id = measure(db.session, SF).id
        engine = db.engine
    two_writers_at_once(
        engine,
        lambda first: first.add(
            hypothetical_event(first.get(Measure, sf_id), "expired", D(2023, 2, 1), "sf-count-first")
        ),
        lambda second: second.add(
            hypothetical_event(second.get(Measure, sf_id), "repealed", D(2024, 2, 1), "sf-count-second")
        ),
    )
    with loaded_app.app_context():
        assert measuretallies.differences(db.session) == {}
        f = measures_on(db.session, D(2023, 6, 1), ("expired",))
        assert SF in {m.slug for m in queries.page(db.session, f).items}


def test_other_filters_are_counted_by_the_facet_statement(shared_loaded_app):
    """Only "statuses on a date" is answered from the stored counts: a search, a type, a
    place... narrow the rows and go through the facet statement."""
    with shared_loaded_app.app_context():
        plain = measures_on(db.session, D(2021, 1, 1), ("in_effect",))
        assert queries._measures_on_a_date(plain)
        for extra in (
            ("q", "face"),
            ("measure_type", "ban"),
            ("country", "US"),
            ("technology", "face-recognition"),
        ):
            args = MultiDict([("as_of", "2021-01-01"), ("status", "in_effect"), extra])
            assert not queries._measures_on_a_date(parse_filters(args, MEASURES, db.session))
        assert not queries._measures_on_a_date(parse_filters(MultiDict(), MEASURES, db.session))


KINDS = ["introduced", "passed", "adopted", "effective", "repealed", "expired", "hearing", "failed"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(
        st.tuples(
            st.dates(D(2018, 11, 1), D(2021, 3, 31)),
            st.sampled_from(KINDS),
            st.sampled_from([0, 1, 2]),  # which measure
        ),
        max_size=8,
    ),
    moved=st.booleans(),
)
def test_any_histories_are_counted_as_the_periods_say(session, events, moved, monkeypatch):
    """Three measures in two places with random events (close together: several months
    and years meet), and perhaps the second place moved to another country."""
    made = {}
    for slug, country, region in (("count-city", "US", "US-CA"), ("count-town", "DE", None)):
        made[slug] = session.scalar(select(Actor).where(Actor.slug == slug)) or Actor(
            slug=slug, name=slug, kind="city", country=country, region=region
        )
        session.add(made[slug])
    made["count-town"].country = "FR" if moved else "DE"
    targets = []
    for i, (kind, place) in enumerate(
        (("ban", "count-city"), ("moratorium", "count-city"), ("ban", "count-town"))
    ):
        target = session.scalar(select(Measure).where(Measure.slug == f"count-measure-{i}"))
        if target is None:
            target = Measure(
                slug=f"count-measure-{i}", title="A measure", measure_type=kind, adopted_by=made[place]
            )
            session.add(target)
        targets.append(target)
    for old in session.scalars(select(Event).where(Event.slug.like("count-event-%"))):
        session.delete(old)
    session.flush()
    for i, (day, kind, which) in enumerate(events):
        session.add(
            Event(
                slug=f"count-event-{i}",
                date=day,
                date_precision="day",
                certainty="unverified",
                kind=kind,
                measure=targets[which],
                actor=targets[which].adopted_by,
                title=f"Event {i}",
            )
        )
    session.commit()
    days = {D(2019, 1, 1), D(2020, 12, 31), D(2021, 1, 1)}
    for day, *_ in events:
        days.update((day, day - dt.timedelta(days=1), day.replace(day=1)))
    assert_counts_hold(session, monkeypatch, sorted(days))


@pytest.mark.parametrize("statuses", [("in_effect",), ("recorded",), ("pending", "failed")])
def test_the_counts_of_a_day_equal_a_recount_from_the_periods(loaded_app, statuses):
    """:func:`counts_on` (stored years and months, and the periods of the day's month)
    against every measure's stored periods, mid-month and on a month's first day."""
    with loaded_app.app_context():
        session = db.session
        for day in (D(2021, 1, 15), D(2020, 3, 1), D(2019, 12, 31)):
            on = measuretallies.counts_on(session, day, statuses)
            assert on == measuretallies.recount(session, day, statuses), day
            assert on  # the record has measures then


def test_adding_many_counts_at_once_stays_within_the_engines_parameter_limits(session):
    """bulk.add_counts splits its upserts and deletes so no statement binds more than
    SQLite's 32,766 values: 6,000 keys of 6 columns and a count are 42,000."""
    key = ("status", "grain", "period", "facet", "code", "key")
    change = {("in_effect", "m", 100001 + i, "technology", "", i): 1 for i in range(6000)}
    add_counts(session, MeasureTally, key, change)
    assert session.scalar(select(db.func.sum(MeasureTally.n))) == 6000
    add_counts(session, MeasureTally, key, {k: -1 for k in change})
    assert session.scalar(select(db.func.count()).select_from(MeasureTally)) == 0
    session.rollback()
