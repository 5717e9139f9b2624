"""The measures list's facet counts on any date, kept as tables (``measure_tally_values``,
``measure_tally_steps``, ``measure_tallies``) in step with every write, like the events'
(:mod:`tracker.db.tallies`) and in the same transaction (:mod:`tracker.db.periods` calls
this module).

Why: "every measure in effect on 1 January 2021" (``/measures?status=in_effect&as_of=...``)
counted its facets (type, status, technology, country, region) from every measure live
that day: 12,000 at 100,000 events, 36,000 at 300,000, on the first page after each edit,
and the page grew with them (192 ms at 100,000 events, 465 ms at 300,000 on SQLite).

What is stored:

- ``measure_tally_values``: the facet values each measure counts for, the rows
  :func:`tracker.read.queries.facets_and_total` would group it by: its type, each
  technology it covers, its country and region (its jurisdiction's, else its adopter's),
  and ``total`` (the status facet: how many measures have each status).
- ``measure_tally_steps``: each measure's changes, +1 to a status on the day a period of it
  begins and -1 on the day it ends; +1 to the pseudo-status ``recorded`` on its first
  event's day (never ended): "recorded by a date", what an ``as_of`` without a status lists.
- ``measure_tallies``: per (status, facet value), the steps of the measures with that value
  summed within each year (``grain`` ``y``) and within each month (``m``).

How a day is counted (:func:`counts_on`): the measures with status *s* on day *d* are those
that began *s* on or before *d* less those that left it on or before *d* (a period holds
from its first day until, not including, its end), so the sum of the years before *d*'s
year, the months of *d*'s year before *d*'s month, and the steps from the first of *d*'s
month to *d*, joined to their measures' values. That is at most a few thousand rows (facet
values x years and months) plus one month of steps, however many measures there are.

How they are kept: a write reads the values and steps of the measures it touched (the
periods module names them) as they were stored, rewrites both from the measures and their
new periods, and adds the difference between what they contribute now and before; a row
at 0 is deleted. The old rows are read from these tables, not from the periods: a deleted
measure's periods are gone by cascade when its counts are taken back. A bulk write (every
measure) sums everything again. Two writers at once: as the events' tallies, the
``data_version`` row's lock orders them.

``tracker rebuild-periods`` rebuilds these with the periods; :func:`differences` compares
them with a recount (the tests call it after every kind of write).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import cast as cast_type

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    and_,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased

from tracker.core import vocab
from tracker.core.status import Period
from tracker.db import tallies
from tracker.db.bulk import add_counts, insert_rows
from tracker.db.models import (
    Actor,
    DbSession,
    Measure,
    MeasurePeriod,
    MeasureStart,
    MeasureTally,
    MeasureTallyStep,
    MeasureTallyValue,
    batches,
    for_ids,
    measure_technologies,
)

BATCH = 5000
RECORDED = "recorded"
STATUSES = tuple(vocab.STATUSES.codes)
Value = tuple[str, str, int]  # (facet, code, key)
Key = tuple[str, str, int, str, str, int]  # (status, grain, period, facet, code, key)
Count = tuple[str, str, str, int]  # (status, facet, code, key)
VALUES = cast_type(Table, MeasureTallyValue.__table__)
TALLIES = cast_type(Table, MeasureTally.__table__)
STEPS = cast_type(Table, MeasureTallyStep.__table__)


def value_selects(measure_ids: list[int] | None) -> list[Select]:
    """``(measure_id, facet, code, key)`` of the values the given measures (all: None)
    count for, as the measures list's facets group them (:mod:`tracker.read.queries`)."""
    place = aliased(Actor, name="tally_place")
    adopter = aliased(Actor, name="tally_adopter")

    def of(stmt: Select, column) -> Select:
        return stmt if measure_ids is None else stmt.where(column.in_(measure_ids))

    def row(facet: str, code=None, key=None) -> Select:
        return select(
            Measure.id.label("measure_id"),
            literal(facet, String).label("facet"),
            (literal("", String) if code is None else code).label("code"),
            (literal(0, Integer) if key is None else key).label("key"),
        )

    located = []
    for facet, column in (("country", Actor.country), ("region", Actor.region)):
        where = func.coalesce(getattr(place, column.key), getattr(adopter, column.key))
        located.append(
            of(
                row(facet, code=where)
                .outerjoin(place, place.id == Measure.jurisdiction_id)
                .outerjoin(adopter, adopter.id == Measure.adopted_by_id)
                .where(where.is_not(None)),
                Measure.id,
            )
        )
    technologies = select(
        measure_technologies.c.measure_id,
        literal("technology", String),
        literal("", String),
        measure_technologies.c.technology_id,
    )
    return [
        of(row("total"), Measure.id),
        of(row("measure_type", code=Measure.measure_type), Measure.id),
        of(technologies, measure_technologies.c.measure_id),
        *located,
    ]


def steps(periods: Iterable[Period], start: dt.date | None) -> Counter[tuple[str, dt.date]]:
    """A measure's changes: +1 to a status on the day a period of it begins, -1 on the day
    it ends (a day that ends one period of a status and begins another of it nets to 0);
    +1 to ``recorded`` on its first event's day (``start``)."""
    out: Counter[tuple[str, dt.date]] = Counter()
    for p in periods:
        out[(p.status, p.start)] += 1
        if p.end is not None:
            out[(p.status, p.end)] -= 1
    if start is not None:
        out[(RECORDED, start)] += 1
    return Counter({k: n for k, n in out.items() if n})


def all_steps(lifecycles: Mapping[int, list[Period]], starts: Mapping[int, dt.date]) -> dict[int, Counter]:
    """:func:`steps` of every measure in ``lifecycles`` or ``starts``."""
    return {mid: steps(lifecycles.get(mid, ()), starts.get(mid)) for mid in set(lifecycles) | set(starts)}


def contributions(
    values: Mapping[int, Iterable[Value]], changes: Mapping[int, Mapping[tuple[str, dt.date], int]]
) -> Counter[Key]:
    """What the given measures add to ``measure_tallies``: each of their ``changes`` (their
    steps), in its year and in its month, for each value they count for. Measures with the
    same values are summed first (many share them), so the values multiply the sums, not
    the steps. A write's few measures and the tests' recount use it; the rebuild sums in
    SQL (:func:`rebuild`)."""
    by_values: dict[tuple[Value, ...], Counter[tuple[str, str, int]]] = defaultdict(Counter)
    for mid, mine_steps in changes.items():
        mine = tuple(sorted(values.get(mid, ())))
        if not mine:
            continue
        sums = by_values[mine]
        for (status, day), n in mine_steps.items():
            if n:
                sums[(status, "y", day.year)] += n
                sums[(status, "m", day.year * 100 + day.month)] += n
    out: Counter[Key] = Counter()
    for mine, sums in by_values.items():
        for (status, grain, period), n in sums.items():
            if n:
                for facet, code, key in mine:
                    out[(status, grain, period, facet, code, key)] += n
    return out


def _read_values(session: DbSession, measure_ids: list[int] | None) -> dict[int, list[Value]]:
    stmt = select(
        MeasureTallyValue.measure_id, MeasureTallyValue.facet, MeasureTallyValue.code, MeasureTallyValue.key
    )
    chunks = for_ids(stmt, MeasureTallyValue.measure_id, measure_ids, BATCH)
    out: dict[int, list[Value]] = defaultdict(list)
    for one in chunks:
        for mid, facet, code, key in session.execute(one):
            out[mid].append((facet, code, key))
    return dict(out)


def read_starts(session: DbSession, measure_ids: list[int] | None) -> dict[int, dt.date]:
    """The stored first event days of the given measures (all: None)."""
    stmt = select(MeasureStart.measure_id, MeasureStart.start)
    chunks = for_ids(stmt, MeasureStart.measure_id, measure_ids, BATCH)
    return {mid: start for one in chunks for mid, start in session.execute(one)}


def _insert_values(session: DbSession, measure_ids: list[int] | None) -> None:
    columns = ["measure_id", "facet", "code", "key"]
    chunks: Iterable[list[int] | None] = [None] if measure_ids is None else batches(measure_ids, BATCH)
    for chunk in chunks:
        session.execute(insert(MeasureTallyValue).from_select(columns, union_all(*value_selects(chunk))))


def _read_steps(session: DbSession, measure_ids: list[int] | None) -> dict[int, Counter]:
    t = MeasureTallyStep
    stmt = select(t.measure_id, t.status, t.day, t.n)
    chunks = for_ids(stmt, t.measure_id, measure_ids, BATCH)
    out: dict[int, Counter] = defaultdict(Counter)
    for one in chunks:
        for mid, status, day, n in session.execute(one):
            out[mid][(status, day)] += n
    return dict(out)


def _insert_steps(session: DbSession, changes: Mapping[int, Mapping[tuple[str, dt.date], int]]) -> None:
    rows = [
        {"measure_id": mid, "status": status, "day": day, "n": n}
        for mid, mine in changes.items()
        for (status, day), n in mine.items()
        if n
    ]
    for batch in batches(rows, BATCH):
        insert_rows(session, STEPS, batch)


def step_select() -> Select:
    """Every measure's :func:`steps` from the stored periods and first days, in SQL (the
    rebuild's way: no row through Python): ``(measure_id, status, day, n)``."""
    p, start = MeasurePeriod, MeasureStart
    given = union_all(
        select(p.measure_id, p.status, p.start.label("day"), literal(1, Integer).label("n")),
        select(p.measure_id, p.status, p.end, literal(-1, Integer)).where(p.end.is_not(None)),
        select(start.measure_id, literal(RECORDED, String), start.start, literal(1, Integer)),
    ).subquery("given")
    total = func.sum(given.c.n)
    return (
        select(given.c.measure_id, given.c.status, given.c.day, total)
        .group_by(given.c.measure_id, given.c.status, given.c.day)
        .having(total != 0)
    )


def _months() -> Select:
    """``measure_tallies``' month rows from the stored steps and values, in SQL."""
    st, v = MeasureTallyStep, MeasureTallyValue
    month = cast(extract("year", st.day), Integer) * 100 + cast(extract("month", st.day), Integer)
    total = func.sum(st.n)
    return (
        select(st.status, literal("m", String), month, v.facet, v.code, v.key, total)
        .join(v, v.measure_id == st.measure_id)
        .group_by(st.status, month, v.facet, v.code, v.key)
        .having(total != 0)
    )


def _years() -> Select:
    """The year rows from the month rows (a few thousand, not every step again)."""
    t = MeasureTally
    year = t.period // 100
    total = func.sum(t.n)
    return (
        select(t.status, literal("y", String), year, t.facet, t.code, t.key, total)
        .where(t.grain == "m")
        .group_by(t.status, year, t.facet, t.code, t.key)
        .having(total != 0)
    )


def rebuild(session: DbSession) -> None:
    """Every value, step and count from scratch, from the measures, the stored periods and
    the first days (which the periods module has just rewritten): ``INSERT ... SELECT``s,
    no row through Python. Why: at 100,000 events, summing in Python and inserting the
    steps from Python took 5 s of an 8 s rebuild (profiled); in SQL the rebuild takes 4-5 s
    on SQLite and 5.5-6.5 s on PostgreSQL. The years are summed from the months, which
    halves the one large grouping (every step times its measure's values)."""
    for table in (MeasureTally, MeasureTallyStep, MeasureTallyValue):
        session.execute(delete(table))
    _insert_values(session, None)
    session.execute(insert(MeasureTallyStep).from_select(["measure_id", "status", "day", "n"], step_select()))
    if session.get_bind().dialect.name == "postgresql":
        # Statistics of the rows just written (ANALYZE sees its own transaction's rows):
        # without them PostgreSQL guessed 100 million rows for the grouping below and
        # compiled it with JIT, 4.6-6.4 s of a 22 s rewrite of every measure; with them,
        # about 2 s.
        session.execute(text("ANALYZE measure_tally_steps, measure_tally_values"))
    columns = ["status", "grain", "period", "facet", "code", "key", "n"]
    session.execute(insert(MeasureTally).from_select(columns, _months()))
    session.execute(insert(MeasureTally).from_select(columns, _years()))


def update(session: DbSession, measure_ids: list[int], lifecycles: Mapping[int, list[Period]]) -> None:
    """Rewrite the values and steps of the given measures (``lifecycles``: their new
    periods; their first days are read from ``measure_starts``, rewritten before) and add to
    the counts what changed."""
    if not measure_ids:
        return
    old = contributions(_read_values(session, measure_ids), _read_steps(session, measure_ids))
    for chunk in batches(measure_ids, BATCH):
        session.execute(delete(MeasureTallyValue).where(MeasureTallyValue.measure_id.in_(chunk)))
        session.execute(delete(MeasureTallyStep).where(MeasureTallyStep.measure_id.in_(chunk)))
    _insert_values(session, measure_ids)
    mine = {mid: lifecycles.get(mid, []) for mid in measure_ids}
    changes = all_steps(mine, read_starts(session, measure_ids))
    _insert_steps(session, changes)
    new = contributions(_read_values(session, measure_ids), changes)
    new.subtract(old)
    _add(session, {k: n for k, n in new.items() if n})


def _add(session: DbSession, change: Mapping[Key, int]) -> None:
    """Add ``change`` to the counts, dropping the keys that reach 0."""
    add_counts(session, MeasureTally, ("status", "grain", "period", "facet", "code", "key"), change)


def counts_on(
    session: DbSession, day: dt.date, statuses: Iterable[str], totals_of: Iterable[str] = ()
) -> Counter[Count]:
    """``{(status, facet, code, key): measures}`` with each of ``statuses`` on ``day`` (or
    ``recorded`` by then) per facet value, and with each of ``totals_of`` only per status
    (facet ``total``). Callers bring the stored rows up to date first
    (:func:`tracker.db.periods.ensure_current`)."""
    wanted, only_totals = sorted(set(statuses)), sorted(set(totals_of) - set(statuses))
    month = day.year * 100 + day.month
    first = day.replace(day=1)

    def asked(status_col, facet_col):
        given = [status_col.in_(wanted)] if wanted else []
        if only_totals:
            given.append(and_(status_col.in_(only_totals), facet_col == "total"))
        return or_(*given) if len(given) > 1 else given[0]

    out: Counter[Count] = Counter()
    if not wanted and not only_totals:
        return out
    t = MeasureTally
    stored = (
        select(t.status, t.facet, t.code, t.key, func.sum(t.n))
        .where(
            asked(t.status, t.facet),
            or_(
                and_(t.grain == "y", t.period < day.year),
                and_(t.grain == "m", t.period >= day.year * 100 + 1, t.period < month),
            ),
        )
        .group_by(t.status, t.facet, t.code, t.key)
    )
    for status, facet, code, key, n in session.execute(stored):
        out[(status, facet, code, key)] += int(n)
    v, st = MeasureTallyValue, MeasureTallyStep
    this_month = (
        select(st.status, v.facet, v.code, v.key, func.sum(st.n))
        .join(v, v.measure_id == st.measure_id)
        .where(
            st.status.in_([*wanted, *only_totals]), st.day >= first, st.day <= day, asked(st.status, v.facet)
        )
        .group_by(st.status, v.facet, v.code, v.key)
    )
    for status, facet, code, key, n in session.execute(this_month):
        out[(status, facet, code, key)] += int(n)
    return +out


def recount(session: DbSession, day: dt.date, statuses: Iterable[str]) -> Counter[Count]:
    """The same counts as :func:`counts_on` from the measures themselves (every measure's
    values and stored periods): what the tests compare it with."""
    values = _read_values(session, None)
    out: Counter[Count] = Counter()
    wanted = set(statuses)
    starts = read_starts(session, None)
    for mid, periods in _stored_lifecycles(session).items():
        held = [p.status for p in periods if p.contains(day)]
        if RECORDED in wanted and mid in starts and starts[mid] <= day:
            held.append(RECORDED)
        for status in held:
            if status in wanted:
                for facet, code, key in values.get(mid, ()):
                    out[(status, facet, code, key)] += 1
    return out


def _stored_lifecycles(session: DbSession) -> dict[int, list[Period]]:
    """Every measure's stored periods, and an empty list for a measure with a first day but
    no periods (none should exist: a first event begins a period), which ``recorded``
    still counts."""
    out = tallies.stored_lifecycles(session)
    for mid in read_starts(session, None):
        out.setdefault(mid, [])
    return out


def differences(session: DbSession) -> dict[str, tuple[object, object]]:
    """Where the stored values and counts disagree with a recount from the measures and the
    stored periods (empty when they agree): ``{what: (stored, recounted)}``."""
    out: dict[str, tuple[object, object]] = {}
    stored_values = {mid: sorted(vs) for mid, vs in _read_values(session, None).items()}
    fresh: dict[int, list[Value]] = defaultdict(list)
    for one in value_selects(None):
        for mid, facet, code, key in session.execute(one):
            fresh[mid].append((facet, code, key))
    fresh_values = {mid: sorted(vs) for mid, vs in fresh.items()}
    if stored_values != fresh_values:
        out["values"] = (stored_values, fresh_values)
    fresh_steps = all_steps(_stored_lifecycles(session), read_starts(session, None))
    stored_steps = _read_steps(session, None)
    if _nonzero(stored_steps) != _nonzero(fresh_steps):
        out["steps"] = (stored_steps, fresh_steps)
    stored = _stored_counts(session)
    expected = {k: n for k, n in contributions(fresh_values, fresh_steps).items() if n}
    if stored != expected:
        keys = set(stored) | set(expected)
        out["counts"] = (
            {k: stored.get(k, 0) for k in keys if stored.get(k, 0) != expected.get(k, 0)},
            {k: expected.get(k, 0) for k in keys if stored.get(k, 0) != expected.get(k, 0)},
        )
    return out


def _nonzero(changes: Mapping[int, Counter]) -> dict[int, dict]:
    return {mid: {k: n for k, n in c.items() if n} for mid, c in changes.items() if any(c.values())}


def _stored_counts(session: DbSession) -> dict[Key, int]:
    t = MeasureTally
    return {
        (s, g, p, f, c, k): int(n)
        for s, g, p, f, c, k, n in session.execute(
            select(t.status, t.grain, t.period, t.facet, t.code, t.key, t.n)
        )
    }
