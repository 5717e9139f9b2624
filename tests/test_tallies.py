"""The events' stored facet counts (tracker.db.tallies) always equal a recount from the
events, and the unfiltered events list's facets read from them equal those the facet
statement counts row by row: after a load, after each kind of edit, within a transaction
and after a rollback, a reload, a restore and a rebuild."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from werkzeug.datastructures import MultiDict

from tests.conftest import DATA_DIR
from tests.editor_helpers import hypothetical_event, make_world, two_writers_at_once
from tracker.datafiles.load import load
from tracker.db import tallies
from tracker.db.models import Actor, Event, EventTally, Measure, Technology
from tracker.extensions import db
from tracker.read import chartdata, queries
from tracker.read.collections import EVENTS
from tracker.read.filters import parse_filters

SF = "san-francisco-face-recognition-ban-2019"
OAKLAND = "oakland-face-recognition-ban-2019"
DAYS = ("", "2010-01-01", "2019-06-01", "2021-01-01", "2030-06-01")


def facets(session, query: dict[str, str]):
    f = parse_filters(MultiDict(query), EVENTS, session)
    return queries.facets_and_total(session, f)


def assert_counts_hold(session) -> None:
    """No stored total differs from a recount, and on every date the facets read from the
    totals (no filter) equal the facet statement's over the same rows (a filter that every
    event passes, so the statement runs)."""
    assert tallies.differences(session) == {}
    everything = session.scalar(select(db.func.count()).select_from(Event))
    for day in DAYS:
        as_of = {"as_of": day} if day else {}
        tallied, total = facets(session, as_of)
        counted, counted_total = facets(session, {**as_of, "date_from": "1900"})
        assert total == counted_total == everything
        assert tallied == counted, day
    # The timeline of every event (from the counts) and of the same events by a filter.
    whole = parse_filters(MultiDict(), EVENTS, session)
    same = parse_filters(MultiDict({"date_from": "1900"}), EVENTS, session)
    for interval in ("month", "quarter"):
        pd.testing.assert_frame_equal(
            chartdata.event_counts(session, whole, interval), chartdata.event_counts(session, same, interval)
        )
    for until in (dt.date(2012, 1, 1), dt.date(2021, 1, 1), dt.date(2026, 12, 1), dt.date(2031, 1, 1)):
        pd.testing.assert_frame_equal(
            chartdata.in_effect_counts(session, whole, until),
            chartdata.in_effect_counts(session, same, until),
        )
    assert chartdata.lifespans(session, whole).total == chartdata.lifespans(session, same).total


def measure(session, slug: str) -> Measure:
    return session.scalars(select(Measure).where(Measure.slug == slug)).one()


def unattached_event(actor: Actor, slug: str, kind: str = "report") -> Event:
    return Event(
        slug=slug,
        date=dt.date(2022, 3, 4),
        date_precision="day",
        certainty="unverified",
        kind=kind,
        actor=actor,
        title="A statement with no measure",
    )


def test_the_loaded_record_is_counted_as_its_events_are(loaded_app):
    with loaded_app.app_context():
        assert_counts_hold(db.session)
        stored = db.session.scalar(select(db.func.count()).select_from(EventTally))
        assert stored > 50  # every facet value, and the status steps per day


def test_each_kind_of_edit_keeps_the_counts(loaded_app):
    with loaded_app.app_context():
        session = db.session
        sf, oakland = measure(session, SF), measure(session, OAKLAND)
        face = session.scalars(select(Technology).where(Technology.slug == "face-recognition")).one()
        other = session.scalars(select(Technology).where(Technology.slug != "face-recognition")).first()
        assert other is not None
        # A new event with a technology of its own, on a measure: counts, and the status.
        added = hypothetical_event(sf, "repealed", dt.date(2029, 1, 1), "sf-tally-repeal")
        added.technologies = [other]
        session.add(added)
        session.commit()
        assert_counts_hold(session)
        # Moved to another measure, then given a new kind and date.
        added.measure = oakland
        session.commit()
        assert_counts_hold(session)
        added.kind, added.date = "hearing", dt.date(2018, 2, 3)
        session.commit()
        assert_counts_hold(session)
        # Taken off its measure (counted under its actor), its actor changed, back on one.
        added.measure = None
        session.commit()
        assert_counts_hold(session)
        added.actor = session.scalars(select(Actor).where(Actor.id != added.actor_id)).first()
        session.commit()
        assert_counts_hold(session)
        added.measure = sf
        session.commit()
        assert_counts_hold(session)
        # A measure-less event added and deleted.
        loose = unattached_event(sf.adopted_by, "tally-loose-statement")
        loose.technologies = [face]
        session.add(loose)
        session.commit()
        assert_counts_hold(session)
        session.delete(loose)
        session.commit()
        assert_counts_hold(session)
        # A measure's own fields: type, technologies, place, sunset.
        sf.measure_type = "moratorium"
        sf.technologies = [*sf.technologies, other]
        session.commit()
        assert_counts_hold(session)
        sf.jurisdiction = oakland.jurisdiction
        sf.sunset = dt.date(2027, 1, 1)
        session.commit()
        assert_counts_hold(session)
        # An actor becomes a company: its acts count as corporate on the timeline.
        actor = session.get(Actor, added.actor_id)
        assert actor is not None and actor.kind != "company"
        actor.kind = "company"
        session.commit()
        assert_counts_hold(session)
        # Deletions: an event, then a measure with all its events.
        session.delete(added)
        session.commit()
        assert_counts_hold(session)
        for e in list(oakland.events):
            session.delete(e)
        session.delete(oakland)
        session.commit()
        assert_counts_hold(session)


def test_a_transaction_counts_its_own_edit_and_a_rollback_leaves_the_counts(loaded_app):
    with loaded_app.app_context():
        session = db.session
        before = facets(session, {})
        session.add(
            hypothetical_event(measure(session, SF), "hearing", dt.date(2024, 5, 6), "sf-tally-hearing")
        )
        during = facets(session, {})
        assert during[1] == before[1] + 1
        kinds = {v.value: v.count for v in during[0]["kind"]}
        assert kinds["hearing"] == {v.value: v.count for v in before[0]["kind"]}.get("hearing", 0) + 1
        session.rollback()
        assert facets(session, {}) == before
        assert_counts_hold(session)


def test_a_reload_that_changes_events_keeps_the_counts(loaded_app, tmp_path):
    """The loader writes with Core statements: it names the measures and the actors of
    measure-less events it wrote, and their counts are redone in its transaction."""
    shutil.copytree(DATA_DIR, tmp_path / "data")
    events = tmp_path / "data" / "events.csv"
    with events.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with_measure = next(r for r in rows if r["measure"] == SF and r["kind"] == "adopted")
    with_measure["kind"] = "introduced"
    loose = next(r for r in rows if not r["measure"])
    actors = sorted({r["actor"] for r in rows} - {loose["actor"]})
    loose["actor"] = actors[0]
    removed = next(r for r in rows if not r["measure"] and r is not loose)
    rows.remove(removed)
    with events.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    citations = tmp_path / "data" / "citations.csv"
    with citations.open(newline="", encoding="utf-8") as handle:
        cited = [r for r in csv.DictReader(handle) if r["event"] != removed["slug"]]
    with citations.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(cited[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(cited)
    with loaded_app.app_context():
        report = load(tmp_path / "data", db.session, prune=True)
        assert report.counts["events"]["updated"] == 2
        db.session.commit()
        assert_counts_hold(db.session)


def test_rebuild_periods_restores_counts_changed_behind_the_trackers_back(loaded_app):
    with loaded_app.app_context():
        db.session.execute(update(EventTally).values(n=EventTally.n + 7))
        db.session.execute(delete(EventTally).where(EventTally.facet == "status"))
        db.session.commit()
        assert tallies.differences(db.session)
    result = loaded_app.test_cli_runner().invoke(args=["rebuild-periods"])
    assert result.exit_code == 0, result.output
    with loaded_app.app_context():
        assert_counts_hold(db.session)


KINDS = ["introduced", "passed", "adopted", "effective", "repealed", "hearing", "report"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.lists(
        st.tuples(
            st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)),
            st.sampled_from(KINDS),
            st.sampled_from([0, 1, None]),  # which measure, or none
            st.sampled_from([0, 1]),  # which actor
        ),
        max_size=6,
    )
)
def test_any_events_written_through_the_orm_are_counted(session, events):
    actors = []
    for slug in ("tally-council", "tally-company"):
        actor = session.scalar(select(Actor).where(Actor.slug == slug))
        if actor is None:
            actor = Actor(slug=slug, name=slug.title(), kind="legislature", country="US")
            session.add(actor)
        actors.append(actor)
    targets = []
    for i, kind in enumerate(("ban", "moratorium")):
        target = session.scalar(select(Measure).where(Measure.slug == f"tally-measure-{i}"))
        if target is None:
            target = Measure(
                slug=f"tally-measure-{i}", title="A measure", measure_type=kind, adopted_by=actors[0]
            )
            session.add(target)
        targets.append(target)
    for old in session.scalars(select(Event).where(Event.slug.like("tally-event-%"))):
        session.delete(old)
    session.flush()
    for i, (day, kind, which, who) in enumerate(events):
        session.add(
            Event(
                slug=f"tally-event-{i}",
                date=day,
                date_precision="day",
                certainty="unverified",
                kind=kind,
                measure=None if which is None else targets[which],
                actor=actors[who],
                title=f"Event {i}",
            )
        )
    session.commit()
    assert tallies.differences(session) == {}


def test_the_in_effect_lines_sampled_monthly_are_the_same_from_the_counts(loaded_app, monkeypatch):
    """Past the point limit the in-effect chart is sampled on the first of each month: the
    stored days give the same grid as the periods."""
    monkeypatch.setattr(chartdata, "IN_EFFECT_MAX_POINTS", 3)
    with loaded_app.app_context():
        session = db.session
        whole = parse_filters(MultiDict(), EVENTS, session)
        same = parse_filters(MultiDict({"date_from": "1900"}), EVENTS, session)
        for until in (dt.date(2020, 7, 15), dt.date(2026, 12, 1)):
            stored = chartdata.in_effect_counts(session, whole, until)
            counted = chartdata.in_effect_counts(session, same, until)
            assert len(stored) > 3 and (pd.to_datetime(stored["date"]).dt.day == 1).sum() > 3
            pd.testing.assert_frame_equal(stored, counted)


def test_two_writers_counting_the_same_group_at_once_both_count(app):
    """Two transactions add measure-less events of one actor at the same time. Every write
    bumps the one data_version row before its counts are redone, and that row's lock (the
    write lock on SQLite) holds the second writer until the first commits, so the second
    reads the parts the first committed: both events are counted once."""
    with app.app_context():
        world = make_world(db.session)
        db.session.commit()
        actor_id = db.session.scalars(select(Actor.id).where(Actor.slug == world["council"])).one()
        engine = db.engine

    def second_write(second) -> None:
        # No read before the write: its first statement waits for the lock.
        second.add(
            Event(
                slug="tally-second-writer",
                date=dt.date(2023, 2, 1),
                date_precision="day",
                certainty="unverified",
                kind="report",
                actor_id=actor_id,
                title="The second writer's event",
            )
        )

    two_writers_at_once(
        engine,
        lambda first: first.add(unattached_event(first.get(Actor, actor_id), "tally-first-writer")),
        second_write,
    )
    with app.app_context():
        assert tallies.differences(db.session) == {}
        kinds = {v.value: v.count for v in facets(db.session, {})[0]["kind"]}
        assert kinds["report"] == 2


def test_a_new_actor_or_an_edit_does_not_count_everything_again(loaded_app, monkeypatch):
    """Only the groups a write touches are counted again; a whole recount is for bulk
    writes and the rare changes that reach every group (an actor's kind)."""
    rebuilds: list[int] = []
    whole = tallies.rebuild
    monkeypatch.setattr(tallies, "rebuild", lambda *a: rebuilds.append(1) or whole(*a))
    with loaded_app.app_context():
        session = db.session
        session.add(Actor(slug="tally-new-council", name="A new council", kind="legislature", country="US"))
        session.commit()
        sf = measure(session, SF)
        sf.events[0].title += " (corrected)"
        session.commit()
        assert rebuilds == []
        sf.adopted_by.kind = "company"
        session.commit()
        assert rebuilds == [1]
        assert_counts_hold(session)
