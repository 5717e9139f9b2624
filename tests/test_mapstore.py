"""The stored map (tracker.db.mapstore) always equals a recount from the periods, and the
unfiltered map read from it equals the map the period query works out (the path a filter
takes), place by place, list by list and on the slider's days: after a load, after each
kind of edit, after a reload and a rebuild, and on random histories."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from werkzeug.datastructures import MultiDict

from tests.editor_helpers import data_with_changed_events, hypothetical_event, move_adoption
from tracker.datafiles.load import load
from tracker.db import mapstore, tallies
from tracker.db.models import Actor, Event, MapChangeDay, MapSegment, Measure
from tracker.extensions import db
from tracker.read import maps
from tracker.read.collections import MEASURES
from tracker.read.filters import parse_filters

SF = "san-francisco-face-recognition-ban-2019"
OAKLAND = "oakland-face-recognition-ban-2019"
D = dt.date
FIXED_DAYS = (D(2010, 1, 1), D(2019, 6, 1), D(2021, 1, 1), D(2026, 12, 1), D(2031, 1, 1))


def _every(session):
    return parse_filters(MultiDict(), MEASURES, session)


def days_to_check(session) -> list[dt.date]:
    """Fixed days, and around a spread of the change days: the day itself and the day
    before (where a stretch ends and the next begins)."""
    changes = maps.change_dates(session, _every(session))
    picked = changes[:: max(1, len(changes) // 6)] + changes[-2:]
    return sorted({*FIXED_DAYS, *picked, *(d - dt.timedelta(days=1) for d in picked)})


def assert_map_holds(session, places: tuple[str, ...] = ()) -> None:
    """The stored tables equal a recount, and on each day to check the stored map equals
    the computed one (with the panel of each place in ``places``)."""
    assert mapstore.differences(session, tallies.stored_lifecycles(session)) == {}
    f = _every(session)
    for day in days_to_check(session):
        # The panels on the fixed days: each is the place's candidates, read the same way.
        for place in (None, *(places if day in FIXED_DAYS else ())):
            stored = maps.map_day(session, f, day, "all", place)
            assert stored == maps._computed_map_day(session, f, day, "all", place), (day, place)
    computed = set(maps._computed_change_dates(session, f, "all"))
    assert set(maps.change_dates(session, f)) <= computed


def measure(session, slug: str) -> Measure:
    return session.scalars(select(Measure).where(Measure.slug == slug)).one()


def place_slug(m: Measure) -> str:
    assert m.jurisdiction is not None
    return m.jurisdiction.slug


def test_the_loaded_record_is_mapped_as_its_periods_are(loaded_app):
    with loaded_app.app_context():
        session = db.session
        sf = measure(session, SF)
        assert_map_holds(session, (place_slug(sf),))
        segments = session.scalar(select(db.func.count()).select_from(MapSegment))
        assert segments and segments > 20
        day = maps.map_day(session, _every(session), D(2020, 1, 1))
        assert SF in {p.measure.slug for p in day.places}
        assert day.corporate_total >= 1  # Amazon's moratorium, IBM's exit...


def test_each_kind_of_edit_keeps_the_map(loaded_app):
    with loaded_app.app_context():
        session = db.session
        sf, oakland = measure(session, SF), measure(session, OAKLAND)
        here = (place_slug(sf), place_slug(oakland))
        # A new event that ends a measure, then moved to another measure and another date.
        added = hypothetical_event(sf, "repealed", D(2023, 3, 1), "sf-map-repeal")
        session.add(added)
        session.commit()
        assert maps.map_day(session, _every(session), D(2023, 3, 1)) != maps.map_day(
            session, _every(session), D(2023, 2, 28)
        )
        assert_map_holds(session, here)
        added.measure = oakland
        added.date = D(2022, 5, 6)
        session.commit()
        assert_map_holds(session, here)
        # A scope change while drawn: the shading, and a stretch cut in two.
        session.add(
            Event(
                slug="sf-map-narrowed",
                date=D(2020, 2, 3),
                date_precision="day",
                certainty="unverified",
                kind="amended",
                measure=sf,
                actor=sf.events[0].actor,
                title="Narrowed",
                new_scope="body_cameras",
            )
        )
        session.commit()
        assert_map_holds(session, here)
        # The measure's own fields: its slug (the tie-break), its type, its place.
        sf.slug = "a-renamed-sf-ban"
        session.commit()
        assert_map_holds(session, here)
        sf.measure_type = "corporate_moratorium"
        session.commit()
        assert_map_holds(session, here)
        sf.measure_type = "resolution"  # drawn nowhere: unplaced
        session.commit()
        assert_map_holds(session, here)
        sf.measure_type = "ban"
        # A jurisdiction that is not a place (an EU institution): unplaced.
        body = session.scalars(select(Actor).where(Actor.kind == "international_body")).first()
        assert body is not None
        sf.jurisdiction = body
        session.commit()
        day = maps.map_day(session, _every(session), D(2021, 1, 1))
        assert sf.slug not in {p.measure.slug for p in day.places}
        assert sf.slug in {m.slug for m in day.unplaced}
        assert_map_holds(session, here)
        sf.jurisdiction = oakland.jurisdiction
        session.commit()
        assert_map_holds(session, here)
        # A city loses its coordinates (its measures become unplaced) and gets them back.
        city = oakland.jurisdiction
        assert city is not None and city.latitude is not None
        lat, lon = city.latitude, city.longitude
        city.latitude = city.longitude = None
        session.commit()
        before = maps.map_day(session, _every(session), D(2021, 1, 1))
        assert city.slug not in {p.slug for p in before.places}
        assert_map_holds(session, here)
        city.latitude, city.longitude = lat, lon
        session.commit()
        assert_map_holds(session, here)
        # Deletions: an event, then a measure with all its events.
        session.delete(added)
        session.commit()
        assert_map_holds(session, here)
        for e in list(oakland.events):
            session.delete(e)
        session.delete(oakland)
        session.commit()
        assert_map_holds(session, (place_slug(sf),))


def test_an_actor_whose_kind_changes_is_redrawn(loaded_app):
    with loaded_app.app_context():
        session = db.session
        adopter = measure(session, SF).adopted_by
        adopter.kind = "city"
        session.commit()
        assert_map_holds(session)


def test_a_reload_that_changes_events_keeps_the_map(loaded_app, tmp_path):
    """The loader writes with Core statements and names the measures it wrote; their map
    rows are redone in its transaction."""
    data = data_with_changed_events(tmp_path, move_adoption(SF, "2018-01-02"))
    with loaded_app.app_context():
        before = maps.change_dates(db.session, _every(db.session))
        load(data, db.session, prune=True)
        db.session.commit()
        assert D(2018, 1, 2) in maps.change_dates(db.session, _every(db.session))
        assert maps.change_dates(db.session, _every(db.session)) != before
        assert_map_holds(db.session)


def test_rebuild_periods_restores_a_map_changed_behind_the_trackers_back(loaded_app):
    with loaded_app.app_context():
        db.session.execute(update(MapSegment).values(n=MapSegment.n + 1))
        db.session.execute(delete(MapChangeDay).where(MapChangeDay.day < D(2020, 1, 1)))
        db.session.commit()
        assert set(mapstore.differences(db.session, tallies.stored_lifecycles(db.session))) == {
            "map_segments",
            "map_change_days",
        }
    result = loaded_app.test_cli_runner().invoke(args=["rebuild-periods"])
    assert result.exit_code == 0, result.output
    with loaded_app.app_context():
        assert_map_holds(db.session)


KINDS = ["introduced", "passed", "adopted", "effective", "repealed", "expired", "hearing"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(
        st.tuples(
            st.dates(D(2015, 1, 1), D(2030, 12, 31)),
            st.sampled_from(KINDS),
            st.sampled_from([0, 1, 2]),  # which measure
            st.sampled_from([None, None, "police_use", "body_cameras"]),  # a new scope
        ),
        max_size=8,
    )
)
def test_any_histories_are_mapped_as_the_periods_say(session, events):
    """Three measures at one city (so they compete for it) and a corporate one, with random
    events and scope changes."""
    city = session.scalar(select(Actor).where(Actor.slug == "map-test-city"))
    if city is None:
        city = Actor(
            slug="map-test-city",
            name="Map Test City",
            kind="city",
            country="US",
            latitude=40.1,
            longitude=-75.2,
        )
        company = Actor(slug="map-test-company", name="Map Test Company", kind="company", country="US")
        session.add_all([city, company])
    company = session.scalar(select(Actor).where(Actor.slug == "map-test-company")) or company
    targets = []
    for i, (kind, adopter) in enumerate(
        (("ban", city), ("moratorium", city), ("corporate_moratorium", company))
    ):
        target = session.scalar(select(Measure).where(Measure.slug == f"map-measure-{i}"))
        if target is None:
            target = Measure(
                slug=f"map-measure-{i}",
                title="A measure",
                measure_type=kind,
                adopted_by=adopter,
                scope="police_use",
            )
            session.add(target)
        targets.append(target)
    for old in session.scalars(select(Event).where(Event.slug.like("map-event-%"))):
        session.delete(old)
    session.flush()
    for i, (day, kind, which, scope) in enumerate(events):
        session.add(
            Event(
                slug=f"map-event-{i}",
                date=day,
                date_precision="day",
                certainty="unverified",
                kind="amended" if scope else kind,
                measure=targets[which],
                actor=targets[which].adopted_by,
                title=f"Event {i}",
                new_scope=scope,
            )
        )
    session.commit()
    assert mapstore.differences(session, tallies.stored_lifecycles(session)) == {}
    f = _every(session)
    for day, *_ in events:
        for d in (day, day - dt.timedelta(days=1)):
            assert maps.map_day(session, f, d, "all", "map-test-city") == maps._computed_map_day(
                session, f, d, "all", "map-test-city"
            )


def test_lists_cut_to_their_limit_are_the_computed_maps_lists(loaded_app, monkeypatch):
    """With the lists cut to 2 (the real data has a few dozen companies' measures), the
    stored map keeps the same first rows as the computed one, ties on a day included."""
    monkeypatch.setattr(maps, "LIST_LIMIT", 2)
    with loaded_app.app_context():
        session = db.session
        company = session.scalars(select(Actor).where(Actor.kind == "company")).first()
        assert company is not None
        for slug in ("zz-same-day-b", "zz-same-day-a", "zz-same-day-c"):
            m = Measure(slug=slug, title=slug, measure_type="corporate_moratorium", adopted_by=company)
            session.add(m)
            session.add(
                Event(
                    slug=f"{slug}-effective",
                    date=D(2026, 6, 1),
                    date_precision="day",
                    certainty="unverified",
                    kind="effective",
                    measure=m,
                    actor=company,
                    title="In effect",
                )
            )
        session.commit()
        f = _every(session)
        day = maps.map_day(session, f, D(2026, 7, 1))
        assert [m.slug for m in day.corporate] == ["zz-same-day-c", "zz-same-day-b"]
        for d in days_to_check(session):
            assert maps.map_day(session, f, d) == maps._computed_map_day(session, f, d, "all", None), d
