"""The derived status tables (measure_periods, measure_coverage, and each measure's first
day in measure_starts) always hold what tracker.core.status derives from the events:
after a load, after each kind of edit, within an uncommitted transaction, after a
rollback, a prune, a restore and a rebuild."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from tests.conftest import DATA_DIR
from tests.editor_helpers import hypothetical_event
from tracker.core import status
from tracker.datafiles.load import load
from tracker.db.models import Actor, Event, Measure, MeasureCoverage, MeasurePeriod, MeasureStart, Technology
from tracker.extensions import db
from tracker.read import lifecycles

SF = "san-francisco-face-recognition-ban-2019"
OAKLAND = "oakland-face-recognition-ban-2019"
NEW_ORLEANS = "new-orleans-surveillance-technology-ban-2020"


def stored(session) -> tuple[dict, dict, dict]:
    """What the tables hold: ``{measure id: periods}``, ``{measure id: {slug: intervals}}``
    and ``{measure id: first day}``."""
    periods: dict[int, list] = defaultdict(list)
    for row in session.scalars(select(MeasurePeriod).order_by(MeasurePeriod.measure_id, MeasurePeriod.seq)):
        periods[row.measure_id].append(status.Period(row.status, row.start, row.end))
    covered: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    rows = session.execute(
        select(MeasureCoverage, Technology.slug)
        .join(Technology, Technology.id == MeasureCoverage.technology_id)
        .order_by(MeasureCoverage.measure_id, Technology.slug, MeasureCoverage.seq)
    )
    for row, slug in rows:
        covered[row.measure_id][slug].append((row.start, row.until))
    starts = dict(session.execute(select(MeasureStart.measure_id, MeasureStart.start)).all())
    return dict(periods), {mid: dict(by) for mid, by in covered.items()}, starts


def expected(session) -> tuple[dict, dict, dict]:
    """The same, derived here from the ORM objects with tracker.core.status alone (not with
    the SQL that fills the tables), so the two can disagree."""
    measures = session.scalars(select(Measure)).all()
    raw = {
        m.id: status.lifecycle(
            [status.Step(e.date, e.kind, e.new_sunset, e.date_precision) for e in m.events],
            m.sunset,
            m.session_end,
        )
        for m in measures
    }
    replaced = status.apply_replacements(raw, {m.id: m.replaces_id for m in measures if m.replaces_id})
    covered = {}
    for m in measures:
        changes = [
            status.Change(
                e.date,
                frozenset(t.slug for t in e.technologies_added),
                frozenset(t.slug for t in e.technologies_removed),
                e.new_scope,
            )
            for e in m.events
            if e.technologies_added or e.technologies_removed or e.new_scope
        ]
        if changes:
            covered[m.id] = status.coverage([t.slug for t in m.technologies], changes)
    starts = {m.id: min(e.date for e in m.events) for m in measures if m.events}
    return {mid: ps for mid, ps in replaced.items() if ps}, covered, starts


def measure(session, slug: str) -> Measure:
    return session.scalars(select(Measure).where(Measure.slug == slug)).one()


def test_the_loaded_record_stores_the_lifecycles_status_derives(loaded_app):
    with loaded_app.app_context():
        found = stored(db.session)
        assert found == expected(db.session)
        assert len(found[0]) > 100
        # New Orleans' 2020 ban changes what it covers in 2022: it has coverage rows.
        assert measure(db.session, NEW_ORLEANS).id in found[1]


def test_a_reload_that_changes_events_rewrites_their_measures_periods(loaded_app, tmp_path):
    """The loader writes with Core statements (no ORM flush): it names the measures it
    touched, and their periods are rewritten in its transaction."""
    shutil.copytree(DATA_DIR, tmp_path / "data")
    events = tmp_path / "data" / "events.csv"
    with events.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    changed = next(r for r in rows if r["measure"] == SF and r["kind"] == "adopted")
    changed["kind"] = "introduced"  # no longer adopted: the ban stays pending
    with events.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with loaded_app.app_context():
        before = stored(db.session)[0][measure(db.session, SF).id]
        report = load(tmp_path / "data", db.session)
        assert report.counts["events"]["updated"] == 1
        after = stored(db.session)[0][measure(db.session, SF).id]
        assert after != before
        assert "in_effect" not in {p.status for p in after}
        assert stored(db.session) == expected(db.session)


def test_each_kind_of_edit_rewrites_the_periods_it_changes(loaded_app):
    with loaded_app.app_context():
        session = db.session
        sf, oakland = measure(session, SF), measure(session, OAKLAND)
        # A new event on one measure.
        session.add(hypothetical_event(sf, "repealed", dt.date(2029, 1, 1), "sf-hypothetical-repeal"))
        session.commit()
        assert stored(session)[0][sf.id][-1] == status.Period("repealed", dt.date(2029, 1, 1), None)
        # An event moved from one measure to another rewrites both.
        moved = session.scalars(select(Event).where(Event.slug == "sf-hypothetical-repeal")).one()
        moved.measure = oakland
        session.commit()
        assert stored(session)[0][sf.id][-1].status == "in_effect"
        assert stored(session)[0][oakland.id][-1].status == "repealed"
        # A changed date and a deletion.
        moved.date = dt.date(2031, 5, 1)
        session.commit()
        assert stored(session)[0][oakland.id][-1].start == dt.date(2031, 5, 1)
        # The first day follows an event moved before all the others.
        moved.date = dt.date(2001, 2, 3)
        session.commit()
        assert stored(session)[2][oakland.id] == dt.date(2001, 2, 3)
        moved.date = dt.date(2031, 5, 1)
        session.commit()
        assert stored(session)[2][oakland.id] > dt.date(2001, 2, 3)
        session.delete(moved)
        session.commit()
        assert stored(session)[0][oakland.id][-1].status == "in_effect"
        # A measure's own fields: a sunset ends it.
        sf.sunset = dt.date(2032, 1, 1)
        session.commit()
        assert stored(session)[0][sf.id][-1] == status.Period("expired", dt.date(2032, 1, 1), None)
        assert stored(session) == expected(session)


def test_a_new_replacement_ends_the_replaced_measure_and_undoing_it_restores_it(loaded_app):
    with loaded_app.app_context():
        session = db.session
        sf, oakland = measure(session, SF), measure(session, OAKLAND)
        before = stored(session)[0][sf.id]
        oakland.replaces = sf
        session.commit()
        assert stored(session)[0][sf.id][-1].status == "replaced"
        oakland.replaces = None
        session.commit()
        assert stored(session)[0][sf.id] == before
        assert stored(session) == expected(session)


def test_a_transaction_reads_its_own_edit_and_a_rollback_leaves_the_tables_alone(loaded_app):
    with loaded_app.app_context():
        session = db.session
        sf = measure(session, SF)
        day = dt.date(2030, 1, 1)
        before = stored(session)
        session.add(hypothetical_event(sf, "repealed", dt.date(2029, 1, 1), "sf-uncommitted-repeal"))
        assert lifecycles.measure_statuses(session, day, [sf.id])[sf.id] == "repealed"
        session.rollback()
        assert stored(session) == before
        assert lifecycles.measure_statuses(session, day, [sf.id])[sf.id] == "in_effect"


def test_rebuild_periods_restores_tables_changed_behind_the_trackers_back(loaded_app):
    with loaded_app.app_context():
        want = expected(db.session)
        db.session.execute(delete(MeasurePeriod))
        db.session.execute(delete(MeasureCoverage))
        db.session.execute(delete(MeasureStart))
        db.session.commit()
        assert stored(db.session) == ({}, {}, {})
    result = loaded_app.test_cli_runner().invoke(args=["rebuild-periods"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the status periods of" in result.output
    with loaded_app.app_context():
        assert stored(db.session) == want


def test_status_sql_agrees_with_the_lifecycles_on_every_date(loaded_app):
    """periods_on (SQL) and status_in over the stored lists give the same status for every
    measure, with and without a technology whose coverage changes."""
    with loaded_app.app_context():
        session = db.session
        for day in (dt.date(2019, 6, 1), dt.date(2021, 1, 1), dt.date(2023, 7, 1)):
            for techs in (None, ("face-recognition",), ("predictive-policing",)):
                by_sql = lifecycles.measure_statuses(session, day, technologies=techs)
                by_list = {
                    mid: status.status_in(ps, day)
                    for mid, ps in lifecycles.measure_lifecycles(session, None, techs).items()
                }
                assert {m: s for m, s in by_sql.items() if s} == {m: s for m, s in by_list.items() if s}


STEP = st.tuples(
    st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)),
    st.sampled_from(["introduced", "passed", "adopted", "effective", "repealed", "expired", "failed"]),
    st.sampled_from(["day", "month", "year"]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=0, max_size=6), sunset=st.none() | st.dates(dt.date(2018, 1, 1)))
def test_any_history_written_through_the_orm_is_stored_as_status_derives_it(session, steps, sunset):
    actor = session.scalar(select(Actor).where(Actor.slug == "council"))
    if actor is None:
        actor = Actor(slug="council", name="Council", kind="legislature", country="US")
        session.add(actor)
    target = session.scalar(select(Measure).where(Measure.slug == "prop-measure"))
    if target is None:
        target = Measure(slug="prop-measure", title="A measure", measure_type="ban", adopted_by=actor)
        session.add(target)
    target.sunset = sunset
    for old in list(target.events):
        session.delete(old)
    session.flush()
    for i, (day, kind, precision) in enumerate(steps):
        session.add(
            Event(
                slug=f"prop-event-{i}",
                date=day,
                date_precision=precision,
                certainty="unverified",
                kind=kind,
                measure=target,
                actor=actor,
                title=f"Step {i}",
            )
        )
    session.commit()
    want = status.lifecycle([status.Step(d, k, None, p) for d, k, p in steps], sunset)
    assert stored(session)[0].get(target.id, []) == want
    assert stored(session)[2].get(target.id) == (min(d for d, _, _ in steps) if steps else None)
