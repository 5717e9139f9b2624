"""The derived lifecycle tables, ``measure_periods`` and ``measure_coverage`` (and each
measure's first day, ``measure_starts``), kept in step with the events in the same
transaction as every write.

Why stored: a status "as of" a date is a question about a measure's whole history, and at
100,000 events deriving every lifecycle on a request (or on the first request after each
edit, in every worker) is what made status filters, in-effect counts and the map slow.
With the periods in a table those questions are SQL (:mod:`tracker.read.lifecycles`).

Why here, in the database layer, and by session events: the rows are derived data of the
record, like the full-text index (:mod:`tracker.db.search`), and every writer (forms,
reverts, the loader, restores, scripts) must keep them right without remembering to. The
rules stay in one place, :mod:`tracker.core.status`; this module only feeds it events and
writes what it returns:

- after each flush, the measures whose own row or whose events changed are noted in the
  session (:func:`touch`; writers that bypass the ORM, such as the bulk loader and a
  restore, call it themselves);
- before the commit, the periods and coverage of the noted measures, and of the measures
  they replace (a replacement ends the replaced measure), are rewritten (:func:`refresh`);
- readers call :func:`ensure_current` first, so a transaction reads its own writes.

``tracker rebuild-periods`` rewrites both tables from scratch; a test checks them against
:mod:`tracker.core.status` on the real data and after edits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from typing import cast as cast_type

from sqlalchemy import Table, delete, event, func, insert, inspect, literal, or_, select, union_all
from sqlalchemy.orm import Session

from tracker.core.status import Change, Interval, Period, Step, apply_replacements, coverage, lifecycle
from tracker.db import mapstore, measuretallies, tallies
from tracker.db.bulk import insert_rows
from tracker.db.models import (
    Actor,
    DbSession,
    Event,
    Measure,
    MeasureCoverage,
    MeasurePeriod,
    MeasureStart,
    Technology,
    batches,
    event_technologies_added,
    event_technologies_removed,
    ids_in,
    measure_technologies,
)

# session.info keys: the ids of measures whose derived rows are out of date (or ALL), and
# of actors whose measure-less events changed (their facet counts, tracker.db.tallies).
_TOUCHED = "tracker.periods.touched"
_TOUCHED_ACTORS = "tracker.periods.touched_actors"
_TOUCHED_PLACES = "tracker.periods.touched_places"
ALL = "all"
BATCH = 5000  # ids per IN list, rows per insert
PERIODS = cast_type(Table, MeasurePeriod.__table__)
COVERAGE = cast_type(Table, MeasureCoverage.__table__)


# --- deriving from the events ---------------------------------------------------------------


def derive(
    session: DbSession, measure_ids: list[int] | None
) -> tuple[dict[int, list[Period]], dict[int, dict[str, list[Interval]]]]:
    """Lifecycles (``{measure id: periods}``, replacements applied) and coverage (``{measure
    id: {technology slug: intervals}}``, only for measures whose technologies change) of the
    given measures, or of all, from their events.

    The events are streamed grouped by measure: only one measure's steps are held at a time.
    A measure that replaces one of the asked-for measures is derived too: the day it takes
    effect ends the one it replaces."""
    info_stmt = select(Measure.id, Measure.sunset, Measure.session_end, Measure.replaces_id)
    if measure_ids is not None:
        replacing = select(Measure.id).where(ids_in(Measure.replaces_id, measure_ids))
        info_stmt = info_stmt.where(or_(ids_in(Measure.id, measure_ids), Measure.id.in_(replacing)))
    info = {row.id: row for row in session.execute(info_stmt)}
    ids = list(info)
    event_stmt = select(
        Event.measure_id, Event.date, Event.kind, Event.new_sunset, Event.date_precision
    ).where(Event.measure_id.is_not(None))
    if measure_ids is not None:
        event_stmt = event_stmt.where(ids_in(Event.measure_id, ids))
    out: dict[int, list[Period]] = {mid: [] for mid in info}
    rows = session.execute(event_stmt.order_by(Event.measure_id).execution_options(yield_per=5000))
    current: int | None = None
    steps: list[Step] = []

    def finish(mid: int) -> None:
        out[mid] = lifecycle(steps, info[mid].sunset, info[mid].session_end)

    for measure_id, date, kind, new_sunset, precision in rows:
        if measure_id != current:
            if current is not None:
                finish(current)
            current, steps = measure_id, []
        steps.append(Step(date, kind, new_sunset, precision))
    if current is not None:
        finish(current)
    replaces = {mid: row.replaces_id for mid, row in info.items() if row.replaces_id is not None}
    lifecycles = apply_replacements(out, replaces)
    if measure_ids is not None:
        lifecycles = {mid: lifecycles[mid] for mid in measure_ids if mid in lifecycles}
    return lifecycles, _coverage_of(session, measure_ids)


def coverage_changes(session: DbSession, measure_ids: list[int] | None) -> dict[int, list[Change]]:
    """``{measure id: its events that change what it covers}``, for the measures that have any
    (one query: technologies added, removed and new scopes together)."""

    def technologies(table, change: str):
        return (
            select(
                Event.measure_id,
                Event.id,
                Event.date,
                Technology.slug.label("value"),
                literal(change).label("change"),
            )
            .join(table, table.c.event_id == Event.id)
            .join(Technology, Technology.id == table.c.technology_id)
        )

    scopes = select(
        Event.measure_id,
        Event.id,
        Event.date,
        Event.new_scope.label("value"),
        literal("scope").label("change"),
    ).where(Event.new_scope.is_not(None))
    parts = [
        technologies(event_technologies_added, "added"),
        technologies(event_technologies_removed, "removed"),
        scopes,
    ]
    if measure_ids is not None:
        parts = [part.where(ids_in(Event.measure_id, measure_ids)) for part in parts]
    changes: dict[int, dict[int, dict]] = defaultdict(dict)
    for mid, eid, date, value, change in session.execute(union_all(*parts)):
        entry = changes[mid].setdefault(eid, {"date": date, "added": set(), "removed": set(), "scope": None})
        if change == "scope":
            entry["scope"] = value
        else:
            entry[change].add(value)
    return {
        mid: [
            Change(e["date"], frozenset(e["added"]), frozenset(e["removed"]), e["scope"])
            for e in by_event.values()
        ]
        for mid, by_event in changes.items()
    }


def _coverage_of(session: DbSession, measure_ids: list[int] | None) -> dict[int, dict[str, list[Interval]]]:
    changes = coverage_changes(session, measure_ids)
    if not changes:
        return {}
    techs: dict[int, list[str]] = defaultdict(list)
    for mid, slug in session.execute(
        select(measure_technologies.c.measure_id, Technology.slug)
        .join(Technology, Technology.id == measure_technologies.c.technology_id)
        .where(measure_technologies.c.measure_id.in_(list(changes)))
    ):
        techs[mid].append(slug)
    return {mid: coverage(techs[mid], mine) for mid, mine in changes.items()}


# --- writing the derived rows -----------------------------------------------------------------


def refresh(
    session: DbSession,
    measure_ids: Iterable[int] | None = None,
    starts: bool = True,
    counts: bool = True,
    actors: Iterable[int] = (),
) -> int:
    """Rewrite the periods, coverage and first days of the given measures (and of those they
    replace), or of every measure, and with them the events' facet counts of those measures
    and of the measure-less events of ``actors`` (:mod:`tracker.db.tallies`) and the stored
    map of those measures (:mod:`tracker.db.mapstore`); returns how many measures were
    rewritten. Core statements: the ORM never tracks these rows. ``starts=False`` leaves
    ``measure_starts`` alone and ``counts=False`` the tallies and the map (for the
    migrations that came before those tables)."""
    if measure_ids is None:
        session.execute(delete(MeasureCoverage))
        session.execute(delete(MeasurePeriod))
        if starts:
            session.execute(delete(MeasureStart))
            session.execute(_insert_starts(None))
        lifecycles, covered = derive(session, None)
    else:
        ids = set(measure_ids)
        for chunk in batches(sorted(ids), BATCH):
            ids.update(
                session.scalars(
                    select(Measure.replaces_id).where(Measure.id.in_(chunk), Measure.replaces_id.is_not(None))
                )
            )
        wanted = sorted(ids)
        actor_ids = sorted(set(actors))
        if not wanted and not actor_ids:
            return 0
        if len(wanted) > BATCH or len(actor_ids) > BATCH:  # a bulk write: one pass over everything is quicker
            return refresh(session, None, starts, counts)
        for chunk in batches(wanted, BATCH):
            session.execute(delete(MeasureCoverage).where(MeasureCoverage.measure_id.in_(chunk)))
            session.execute(delete(MeasurePeriod).where(MeasurePeriod.measure_id.in_(chunk)))
            if starts:
                session.execute(delete(MeasureStart).where(MeasureStart.measure_id.in_(chunk)))
                session.execute(_insert_starts(chunk))
        lifecycles, covered = derive(session, wanted)
    # Core rows by column name through bulk.insert_rows: the ORM's executemany took 19 s
    # for the 65,000 periods of 100,000 events on PostgreSQL (one statement per row, and
    # a second kind of statement for the rows without an end).
    period_rows = [
        {"measure_id": mid, "seq": i, "status": p.status, "start_date": p.start, "end_date": p.end}
        for mid, periods in lifecycles.items()
        for i, p in enumerate(periods)
    ]
    for batch in batches(period_rows, BATCH):
        insert_rows(session, PERIODS, batch)
    if counts:
        if measure_ids is None:
            tallies.rebuild(session, lifecycles)
            mapstore.rebuild(session, lifecycles)
            measuretallies.rebuild(session)
        else:
            tallies.update(session, wanted, actor_ids, lifecycles)
            mapstore.update(session, wanted, lifecycles)
            measuretallies.update(session, wanted, lifecycles)
    if covered:
        tech_ids = dict(session.execute(select(Technology.slug, Technology.id)).all())
        coverage_rows = [
            {
                "measure_id": mid,
                "technology_id": tech_ids[slug],
                "seq": i,
                "start_date": start,
                "until": until,
            }
            for mid, by_tech in covered.items()
            for slug, intervals in by_tech.items()
            for i, (start, until) in enumerate(intervals)
        ]
        for some in batches(coverage_rows, BATCH):
            insert_rows(session, COVERAGE, some)
    return len(lifecycles)


def _insert_starts(measure_ids: list[int] | None):
    """``INSERT ... SELECT`` of the measures' first event days (of all, or of ``measure_ids``):
    one statement, no rows through Python."""
    firsts = select(Event.measure_id, func.min(Event.date)).where(Event.measure_id.is_not(None))
    if measure_ids is not None:
        firsts = firsts.where(Event.measure_id.in_(measure_ids))
    return insert(MeasureStart).from_select(
        [MeasureStart.measure_id, MeasureStart.start], firsts.group_by(Event.measure_id)
    )


def touch(session: DbSession, measure_ids: Iterable[int | None] | None) -> None:
    """Note measures whose derived rows must be rewritten before the commit (None: all).
    For writers that bypass the ORM; ORM changes are noted by the flush hook below."""
    info: dict[str, Any] = session.info
    if measure_ids is None or info.get(_TOUCHED) == ALL:
        info[_TOUCHED] = ALL
        return
    info.setdefault(_TOUCHED, set()).update(m for m in measure_ids if m is not None)


def touch_actors(session: DbSession, actor_ids: Iterable[int | None]) -> None:
    """Note actors whose measure-less events changed (their facet counts are rewritten
    before the commit). For writers that bypass the ORM, as :func:`touch`."""
    info: dict[str, Any] = session.info
    info.setdefault(_TOUCHED_ACTORS, set()).update(a for a in actor_ids if a is not None)


def ensure_current(session: DbSession) -> None:
    """Bring the derived rows up to date with this transaction's writes (readers call this
    first, so a transaction reads what it wrote before committing it)."""
    info: dict[str, Any] = session.info
    noted = info.get(_TOUCHED) or info.get(_TOUCHED_ACTORS) or info.get(_TOUCHED_PLACES)
    if noted or session.new or session.dirty or session.deleted:
        session.flush()
    pending = info.pop(_TOUCHED, None)
    actors = info.pop(_TOUCHED_ACTORS, None) or set()
    places = info.pop(_TOUCHED_PLACES, None)
    if places and pending != ALL:  # where their measures are drawn may have changed
        pending = set(pending or ()) | set(mapstore.places_of(session, places))
    if pending == ALL:
        refresh(session, None)
    elif pending or actors:
        refresh(session, pending or (), actors=actors)


def _ids(obj: object, column: str, relationship: str) -> set[int | None]:
    """A foreign key's current value and, when it changed in this flush, its previous ones,
    read from the column and from the relationship (a change made through the relationship
    shows only in the relationship's history)."""
    state = inspect(obj)
    found: set[int | None] = {getattr(obj, column), *state.attrs[column].history.deleted}
    for related in (getattr(obj, relationship), *state.attrs[relationship].history.deleted):
        if related is not None:
            found.add(related.id)
    return found


def _moved(actor: Actor) -> bool:
    """Whether a flush changed an actor's geography (what :func:`tracker.core.mapping.drawable`
    reads)."""
    attrs = inspect(actor).attrs
    return any(attrs[a].history.has_changes() for a in ("country", "region", "latitude", "longitude"))


@event.listens_for(Session, "after_flush")
def _note_changed_measures(session: Session, flush_context) -> None:
    """After a flush (ids and foreign keys are known; new/dirty/deleted still list what was
    flushed), note every measure whose lifecycle may have changed: a measure written, the
    measure of an event written (before and after a move to another measure), and the
    measures a written measure replaces or used to replace."""
    touched: set[int | None] = set()
    actors: set[int | None] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Event):
            measures = _ids(obj, "measure_id", "measure")
            touched.update(measures)
            if None in measures:  # counted in its actor's group before or after the flush
                actors.update(_ids(obj, "actor_id", "actor"))
        elif isinstance(obj, Measure):
            touched.add(obj.id)
            touched.update(_ids(obj, "replaces_id", "replaces"))
        elif isinstance(obj, (Technology, Actor)) and obj in session.deleted:
            # The database's cascades drop its links behind the ORM's back: count again.
            touch(session, None)
        elif (
            isinstance(obj, Actor) and obj in session.dirty and inspect(obj).attrs.kind.history.has_changes()
        ):
            # A company's acts are counted as corporate on the timeline (tracker.db.tallies):
            # an actor's kind changed, not a new actor (it has no events yet).
            touch(session, None)
        elif isinstance(obj, Actor) and obj in session.dirty and _moved(obj):
            # Where its measures are drawn on the map (tracker.db.mapstore) may change.
            session.info.setdefault(_TOUCHED_PLACES, set()).add(obj.id)
    if touched:
        touch(session, touched)
    if actors:
        touch_actors(session, actors)


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    ensure_current(session)
