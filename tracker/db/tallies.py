"""The events' facet counts, kept as tables (``event_tally_parts``, ``event_tallies``) in
step with every write, like the status periods (:mod:`tracker.db.periods`, which calls
this module in the same transaction).

Why: the facet counts of the unfiltered events list (by kind, measure type, technology,
place, and status on a date) were a pass over every event on the first ``/events`` after
each edit, and grew with the events (250 ms at 300,000). Kept as totals per facet value,
a request reads a few hundred rows however many events there are.

How they are kept: the events are split into groups, the events of one measure, or the
events without a measure of one acting actor, and each group's counts are stored as its
*part*. A write recomputes the parts of the groups it touched (the measures the periods
module rewrites, the actors of the measure-less events written) and adds the difference
between their new and old parts to the totals: the old parts are read from the table, not
from the events, which the write has already changed. A bulk write (every measure) sums
all the parts again.

What a part holds (the same counts as :func:`tracker.read.queries.facets_and_total` makes
from the events, row by row):

- ``total``: the events; ``kind``: per kind; ``measure_type``: per type of the measure;
- ``technology``: per technology the measure covers, plus the technologies an event names
  that its measure does not (an event counts once per technology);
- ``place``: per (place, acting actor): the place is the measure's jurisdiction, else the
  event's own (0: none); a country and region are read from the actors when counted;
- ``status``: per status, +n on the day each of the measure's periods begins and -n on the
  day it ends (n: the measure's events), so the events whose measure has a status on a
  date are the running sum up to that day. The days are ordinals in ``key``;
- for the timeline: ``month``, events per (kind, month ``YYYYMM``, corporate or not: a
  corporate measure's event or a company's act); ``in_effect``, per measure type, 1 on
  the day each ``in_effect`` period begins (``key2`` 0) and 1 on the day it ends
  (``key2`` 1), kept apart so the chart sees the same change days as from the periods;
  ``in_effect_month``, the same per month of the first first-of-a-month on or after the
  day (``YYYYMM``: where the chart sampled monthly shows the change); ``measures``, 1 per
  measure with events.

Two writers at once: every write bumps the one ``data_version`` row before its counts are
redone (at its first flush), and that row's lock (SQLite: the write lock) holds the next
writer until the first commits; at READ COMMITTED the next one then reads the parts the
first committed, so a group is never counted from a stale part (tested).

``tracker rebuild-periods`` rebuilds these with the periods; :func:`differences` compares
the totals with a recount (the tests call it after every kind of write).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import cast as cast_type

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)

from tracker.core.status import Period
from tracker.core.vocab import CORPORATE_MEASURE_TYPES
from tracker.db.bulk import add_counts, insert_rows
from tracker.db.models import (
    Actor,
    DbSession,
    Event,
    EventTally,
    EventTallyPart,
    Measure,
    MeasurePeriod,
    batches,
    event_technologies,
    for_ids,
    ids_in,
    measure_technologies,
)

BATCH = 5000
Key = tuple[str, str, int, int]  # (facet, code, key, key2)
PART_COLUMNS = ("measure_id", "actor_id", "facet", "code", "key", "key2", "n")
PARTS = cast_type(Table, EventTallyPart.__table__)


def part_selects(measure_ids: list[int] | None, actor_ids: list[int] | None) -> list[Select]:
    """The parts of the given groups (all groups: None, None) that SQL counts from the events,
    every facet but those read from the periods (:func:`period_parts`):
    ``(measure_id, actor_id, facet, code, key, key2, n)`` rows."""
    group_actor = case((Event.measure_id.is_(None), Event.actor_id), else_=None).label("actor_id")
    where = []
    if measure_ids is not None or actor_ids is not None:
        of_measures = Event.measure_id.in_(measure_ids) if measure_ids else None
        of_actors = and_(Event.measure_id.is_(None), Event.actor_id.in_(actor_ids)) if actor_ids else None
        given = [c for c in (of_measures, of_actors) if c is not None]
        where = [or_(*given) if len(given) > 1 else given[0] if given else false()]

    def row(facet: str, code=None, key=None, key2=None, grouped_actor=True):
        return select(
            Event.measure_id,
            group_actor if grouped_actor else literal(None, Integer).label("actor_id"),
            literal(facet, String).label("facet"),
            (literal("", String) if code is None else code).label("code"),
            (literal(0, Integer) if key is None else key).label("key"),
            (literal(0, Integer) if key2 is None else key2).label("key2"),
            func.count().label("n"),
        ).where(*where)

    groups = (Event.measure_id, group_actor)
    given_by_measure = (
        select(measure_technologies.c.measure_id)
        .where(
            measure_technologies.c.measure_id == Event.measure_id,
            measure_technologies.c.technology_id == event_technologies.c.technology_id,
        )
        .exists()
    )
    place = func.coalesce(Measure.jurisdiction_id, Event.jurisdiction_id, 0)
    day = cast(Event.date, String)  # ISO text on both engines
    month = cast(func.substr(day, 1, 4).concat(func.substr(day, 6, 2)), Integer)
    actor = Actor.__table__.alias("acting")
    corporate = case(
        (or_(Measure.measure_type.in_(CORPORATE_MEASURE_TYPES), actor.c.kind == "company"), 1), else_=0
    )
    return [
        row("total").group_by(*groups),
        row("kind", code=Event.kind).group_by(*groups, Event.kind),
        row("measure_type", code=Measure.measure_type, grouped_actor=False)
        .join(Measure, Measure.id == Event.measure_id)
        .group_by(Event.measure_id, Measure.measure_type),
        row("technology", key=measure_technologies.c.technology_id, grouped_actor=False)
        .join(measure_technologies, measure_technologies.c.measure_id == Event.measure_id)
        .group_by(Event.measure_id, measure_technologies.c.technology_id),
        row("technology", key=event_technologies.c.technology_id)
        .join(event_technologies, event_technologies.c.event_id == Event.id)
        .where(~given_by_measure)
        .group_by(*groups, event_technologies.c.technology_id),
        row("place", key=place, key2=Event.actor_id)
        .outerjoin(Measure, Measure.id == Event.measure_id)
        .group_by(*groups, place, Event.actor_id),
        row("month", code=Event.kind, key=month, key2=corporate)
        .outerjoin(Measure, Measure.id == Event.measure_id)
        .join(actor, actor.c.id == Event.actor_id)
        .group_by(*groups, Event.kind, month, corporate),
        select(
            Event.measure_id,
            literal(None, Integer).label("actor_id"),
            literal("measures", String).label("facet"),
            literal("", String).label("code"),
            literal(0, Integer).label("key"),
            literal(0, Integer).label("key2"),
            literal(1, Integer).label("n"),
        )
        .where(*where, Event.measure_id.is_not(None))
        .group_by(Event.measure_id),
    ]


def period_parts(
    lifecycles: Mapping[int, list[Period]], weights: Mapping[int, int], types: Mapping[int, str]
) -> list[dict]:
    """Each measure's ``status`` and ``in_effect`` parts from its periods: for ``status``,
    +n on the day a period begins and -n on the day it ends (n: the measure's events,
    ``weights``), summed per day (a measure may end one period and begin another of the same
    status on one day); for ``in_effect``, its ``in_effect`` periods' first days and ends
    (``types``: each measure's type)."""
    out: list[dict] = []
    for mid, periods in lifecycles.items():
        n = weights.get(mid, 0)
        steps: Counter[tuple[str, str, int, int]] = Counter()
        for p in periods:
            if n:
                steps[("status", p.status, p.start.toordinal(), 0)] += n
                if p.end is not None:
                    steps[("status", p.status, p.end.toordinal(), 0)] -= n
            if p.status == "in_effect" and mid in types:
                for day, end in ((p.start, 0), (p.end, 1)):
                    if day is not None:
                        steps[("in_effect", types[mid], day.toordinal(), end)] += 1
                        steps[("in_effect_month", types[mid], grid_month(day), end)] += 1
        out.extend(
            {"measure_id": mid, "actor_id": None, "facet": f, "code": c, "key": k, "key2": k2, "n": d}
            for (f, c, k, k2), d in steps.items()
            if d
        )
    return out


def grid_month(day: dt.date) -> int:
    """``YYYYMM`` of the first first-of-a-month on or after ``day``."""
    if day.day == 1:
        return day.year * 100 + day.month
    return day.year * 100 + day.month + 1 if day.month < 12 else (day.year + 1) * 100 + 1


def _types(session: DbSession, measure_ids: list[int] | None) -> dict[int, str]:
    stmt = select(Measure.id, Measure.measure_type)
    chunks = for_ids(stmt, Measure.id, measure_ids, BATCH)
    return {mid: t for one in chunks for mid, t in session.execute(one)}


def _parts_where(measure_ids: list[int], actor_ids: list[int]):
    return or_(ids_in(EventTallyPart.measure_id, measure_ids), ids_in(EventTallyPart.actor_id, actor_ids))


def _read_parts(session: DbSession, measure_ids: list[int], actor_ids: list[int]) -> Counter[Key]:
    sums: Counter[Key] = Counter()
    for m_chunk, a_chunk in _chunks(measure_ids, actor_ids):
        for facet, code, key, key2, n in session.execute(
            select(
                EventTallyPart.facet,
                EventTallyPart.code,
                EventTallyPart.key,
                EventTallyPart.key2,
                EventTallyPart.n,
            ).where(_parts_where(m_chunk, a_chunk))
        ):
            sums[(facet, code, key, key2)] += n
    return sums


def _chunks(measure_ids: list[int], actor_ids: list[int]) -> Iterable[tuple[list[int], list[int]]]:
    for chunk in batches(measure_ids, BATCH):
        yield chunk, []
    for chunk in batches(actor_ids, BATCH):
        yield [], chunk


def _weights(session: DbSession, measure_ids: list[int] | None) -> dict[int, int]:
    """Events per measure, from the ``total`` parts just written."""
    stmt = select(EventTallyPart.measure_id, EventTallyPart.n).where(
        EventTallyPart.facet == "total", EventTallyPart.measure_id.is_not(None)
    )
    chunks = for_ids(stmt, EventTallyPart.measure_id, measure_ids, BATCH)
    return {mid: int(n) for one in chunks for mid, n in session.execute(one) if mid is not None}


def _insert_parts(
    session: DbSession, measure_ids: list[int] | None, actor_ids: list[int] | None, lifecycles
) -> None:
    columns = [getattr(EventTallyPart, c) for c in PART_COLUMNS]
    if measure_ids is None:
        session.execute(insert(EventTallyPart).from_select(columns, union_all(*part_selects(None, None))))
    else:
        for m_chunk, a_chunk in _chunks(measure_ids, list(actor_ids or ())):
            session.execute(
                insert(EventTallyPart).from_select(columns, union_all(*part_selects(m_chunk, a_chunk)))
            )
    rows = period_parts(lifecycles, _weights(session, measure_ids), _types(session, measure_ids))
    for batch in batches(rows, BATCH):
        insert_rows(session, PARTS, batch)


def rebuild(session: DbSession, lifecycles: Mapping[int, list[Period]]) -> None:
    """Every part and total from scratch (``lifecycles``: every measure's periods, as the
    periods module has just derived them)."""
    session.execute(delete(EventTally))
    session.execute(delete(EventTallyPart))
    _insert_parts(session, None, None, lifecycles)
    key = (EventTallyPart.facet, EventTallyPart.code, EventTallyPart.key, EventTallyPart.key2)
    total = func.sum(EventTallyPart.n)
    session.execute(
        insert(EventTally).from_select(
            ["facet", "code", "key", "key2", "n"],
            select(*key, total).group_by(*key).having(total != 0),
        )
    )


def update(
    session: DbSession,
    measure_ids: list[int],
    actor_ids: Iterable[int],
    lifecycles: Mapping[int, list[Period]],
) -> None:
    """Recompute the parts of the given measures (``lifecycles``: their new periods) and of
    the measure-less events of the given actors, and add the difference to the totals."""
    actors = sorted(set(actor_ids))
    if not measure_ids and not actors:
        return
    before = _read_parts(session, measure_ids, actors)
    for m_chunk, a_chunk in _chunks(measure_ids, actors):
        session.execute(delete(EventTallyPart).where(_parts_where(m_chunk, a_chunk)))
    _insert_parts(session, measure_ids, actors, lifecycles)
    after = _read_parts(session, measure_ids, actors)
    change = Counter(after)
    change.subtract(before)
    _add(session, {k: d for k, d in change.items() if d})


def _add(session: DbSession, change: dict[Key, int]) -> None:
    """Add ``change`` to the totals, dropping the keys that reach 0."""
    add_counts(session, EventTally, ("facet", "code", "key", "key2"), change)


def change_days(session: DbSession, facet: str, until: int) -> int:
    """How many days up to ``until`` begin a period (``in_effect``: ``key2`` 0)."""
    return int(
        session.scalar(
            select(func.count(func.distinct(EventTally.key))).where(
                EventTally.facet == facet, EventTally.key2 == 0, EventTally.key <= until
            )
        )
        or 0
    )


def status_counts(session: DbSession, day: dt.date) -> dict[str, int]:
    """Events per status of their measure on ``day``: each status's running sum to then."""
    total = func.sum(EventTally.n)
    return {
        code: int(n)
        for code, n in session.execute(
            select(EventTally.code, total)
            .where(EventTally.facet == "status", EventTally.key <= day.toordinal())
            .group_by(EventTally.code)
        )
        if n
    }


def event_total(session: DbSession) -> int:
    """How many events there are, from the stored total."""
    n = session.scalar(select(EventTally.n).where(EventTally.facet == "total"))
    return int(n or 0)


LIST_FACETS = ("total", "kind", "measure_type", "technology", "place")


def totals(
    session: DbSession,
    facets: Iterable[str] = LIST_FACETS,
    until: int | None = None,
    after: int | None = None,
) -> dict[Key, int]:
    """The stored totals of ``facets`` (the events list's by default; ``status``:
    :func:`status_counts`); with ``until`` and ``after``, only the keys (days or months) in
    ``(after, until]``."""
    stmt = select(EventTally.facet, EventTally.code, EventTally.key, EventTally.key2, EventTally.n).where(
        EventTally.facet.in_(list(facets))
    )
    if until is not None:
        stmt = stmt.where(EventTally.key <= until)
    if after is not None:
        stmt = stmt.where(EventTally.key > after)
    return {(f, c, k, k2): int(n) for f, c, k, k2, n in session.execute(stmt)}


def stored_lifecycles(session: DbSession) -> dict[int, list[Period]]:
    """Every measure's periods as ``measure_periods`` holds them (for a rebuild of the counts
    alone, and for :func:`differences`)."""
    out: dict[int, list[Period]] = {}
    for mid, status, start, end in session.execute(
        select(
            MeasurePeriod.measure_id, MeasurePeriod.status, MeasurePeriod.start, MeasurePeriod.end
        ).order_by(MeasurePeriod.measure_id, MeasurePeriod.seq)
    ):
        out.setdefault(mid, []).append(Period(status, start, end))
    return out


def differences(session: DbSession) -> dict[Key, tuple[int, int]]:
    """``{key: (stored, recounted)}`` where the totals disagree with a recount from the
    events and the stored periods (empty when they agree): the check the tests run."""
    recount: Counter[Key] = Counter()
    weights: dict[int, int] = {}
    for mid, _actor, facet, code, key, key2, n in session.execute(union_all(*part_selects(None, None))):
        recount[(facet, code, key, key2)] += n
        if facet == "total" and mid is not None:
            weights[mid] = n
    lifecycles = stored_lifecycles(session)
    for row in period_parts(lifecycles, weights, _types(session, None)):
        recount[(row["facet"], row["code"], row["key"], row["key2"])] += row["n"]
    stored = {
        (f, c, k, k2): int(n)
        for f, c, k, k2, n in session.execute(
            select(EventTally.facet, EventTally.code, EventTally.key, EventTally.key2, EventTally.n)
        )
    }
    keys = {k for k, n in recount.items() if n} | set(stored)
    return {k: (stored.get(k, 0), recount.get(k, 0)) for k in keys if stored.get(k, 0) != recount.get(k, 0)}
