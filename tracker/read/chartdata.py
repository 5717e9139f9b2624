"""Chart data: the filtered query layer → small pandas DataFrames for :mod:`tracker.charts`.

Why a module of its own: the figure builders stay pure (DataFrame in, figure out, testable
without a database), and everything that touches the database for a chart is here, built on
:func:`tracker.read.selects.events_select` / :func:`tracker.read.selects.measures_select` so a chart
shows exactly the rows of the list with the same query string.

Why sizes do not grow with the data: counts are grouped in SQL (a handful of rows per month
and kind, however many events), the lifespan chart is capped at :data:`LIFESPAN_LIMIT`
measures (the map's data is :mod:`tracker.read.maps`, one date at a time). Statuses always come from
:mod:`tracker.status` (``lifecycle``), never re-derived here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import BigInteger, Select, String, case, cast, func, or_, select, true
from sqlalchemy.sql import Subquery

from tracker.core import vocab
from tracker.core.status import Period, today
from tracker.db import tallies
from tracker.db.models import Actor, DbSession, Event, Measure, MeasureCoverage, MeasurePeriod, MeasureStart
from tracker.db.periods import ensure_current
from tracker.read.filters import Filters
from tracker.read.lifecycles import measure_lifecycles
from tracker.read.selects import events_select, measures_select, selects_everything

LIFESPAN_LIMIT = 100
"""At most this many measures on the lifespan chart (the most recently started ones)."""

DENSE_TAIL = 0.03
"""The share of the earliest events the timeline's default window may leave out (:func:`dense_range`)."""
DENSE_MIN_TRIM = 0.15
"""The default window trims the early years only when they are at least this share of the span."""

IN_EFFECT_MAX_POINTS = 400
"""Above this many change dates the in-effect lines are sampled once per month."""

SECTORS = ("government", "corporate")


# --- shared ------------------------------------------------------------------------------


def _event_ids(session: DbSession, f: Filters) -> Subquery | None:
    """The ids of the events matching the filters, as a subquery (no ORDER BY, no paging);
    None when the filter selects every event (no condition, no join but the events table),
    so a chart of the whole record does not filter 100,000 events by their own ids."""
    stmt = events_select(session, f).order_by(None).with_only_columns(Event.id)
    if selects_everything(stmt):
        return None
    return stmt.subquery("ev")


def _measure_ids(session: DbSession, f: Filters):
    """The ids of the measures matching the measures-collection filters, as a subquery."""
    return measures_select(session, f).order_by(None).with_only_columns(Measure.id).subquery("ms")


def _ids(ids: Select | Subquery | Iterable[int]) -> Select | list[int]:
    if isinstance(ids, Subquery):
        return select(ids.c.id)
    return ids if isinstance(ids, Select) else list(ids)


def lifecycles(
    session: DbSession,
    measure_ids: Select | Subquery | Iterable[int],
    technologies: Iterable[str] | None = None,
) -> dict[int, list[Period]]:
    """``{measure id: lifecycle periods}`` for the given measures (those with events).

    The lifecycles come from :func:`tracker.read.lifecycles.measure_lifecycles`, derived once per
    version of the data; the ids may be a subquery of the filtered measures. With
    ``technologies`` (a technology filter), each lifecycle keeps only the time its measure
    covered them, so counts and the map follow what was covered on each date.
    """
    ids = _ids(measure_ids)
    if not isinstance(ids, list):
        ids = list(session.scalars(ids))
    return {mid: ps for mid, ps in measure_lifecycles(session, ids, technologies).items() if ps}


def precisions(
    session: DbSession, measure_ids: Select | Subquery | Iterable[int]
) -> dict[tuple[int, dt.date], str]:
    """``{(measure id, date): precision}`` of the measures' event dates, so a period that
    starts on "July 2015" is shown as such, never as a made-up 1 July (the coarsest wins)."""
    ids = _ids(measure_ids)
    if isinstance(ids, list) and not ids:
        return {}
    rank = {"day": 0, "month": 1, "year": 2}
    out: dict[tuple[int, dt.date], str] = {}
    for mid, date, precision in session.execute(
        select(Event.measure_id, Event.date, Event.date_precision).where(Event.measure_id.in_(ids))
    ):
        assert mid is not None  # the IN filter leaves out events without a measure
        current = out.get((mid, date))
        if current is None or rank[precision] > rank[current]:
            out[(mid, date)] = precision
    return out


# --- events per period -------------------------------------------------------------------


def _month(column):
    """'YYYY-MM' of a date column, the same text on both engines (SQLite stores ISO text,
    PostgreSQL casts a date to ISO text): one cheap expression to group by, where two
    ``EXTRACT``s (``strftime`` on SQLite) cost twice as much at 100,000 events."""
    return func.substr(cast(column, String), 1, 7)


def event_counts(session: DbSession, f: Filters, interval: str = "quarter") -> pd.DataFrame:
    """Events per period, kind and sector (government or corporate), counted in SQL.

    Columns: ``period`` (first day, a date), ``family`` (:data:`vocab.EVENT_FAMILIES`),
    ``kind``, ``sector``, ``count``. Grouped by day and kind, then by month and kind, in the
    database (one row per month, kind and sector, a few thousand at most whatever the event
    count), then rolled up to quarters and labelled with their family here, on that small
    frame.
    """
    ev = _event_ids(session, f)
    # Per day and kind first (on the whole table, an index-only scan of ix_events_date_kind,
    # already in that order), then per month over those few thousand rows: grouping every
    # event by its month text sorted all of them (at 300,000 events 163 ms, now 60 ms).
    every = select(Event.date.label("day"), Event.kind.label("kind"), func.count().label("n")).group_by(
        Event.date, Event.kind
    )
    # Corporate: a company's own measure, or an action by a company. Counted apart, through
    # the indexes on the two keys, and taken from the totals: at 100,000 events two queries
    # (one scan of the events, one look-up of the few corporate ones) cost less than joining
    # every event to its actor and measure.
    corporate = every.where(
        or_(
            Event.measure_id.in_(
                select(Measure.id).where(Measure.measure_type.in_(vocab.CORPORATE_MEASURE_TYPES))
            ),
            Event.actor_id.in_(select(Actor.id).where(Actor.kind == "company")),
        )
    )
    if ev is not None:
        every = every.where(Event.id.in_(select(ev.c.id)))
        corporate = corporate.where(Event.id.in_(select(ev.c.id)))

    def per_month(per_day: Select) -> Select:
        days = per_day.subquery("per_day")
        month = _month(days.c.day).label("month")
        return select(month, days.c.kind, cast(func.sum(days.c.n), BigInteger)).group_by(month, days.c.kind)

    rows = []
    if ev is None:
        # Every event: the stored counts per kind, month and sector (tracker.db.tallies).
        ensure_current(session)
        for (_facet, kind, month, corporate_flag), n in tallies.totals(session, ("month",)).items():
            rows.append((f"{month // 100:04d}-{month % 100:02d}", kind, SECTORS[corporate_flag], n))
    else:
        totals = {(m, k): n for m, k, n in session.execute(per_month(every))}
        for m, k, n in session.execute(per_month(corporate)):
            rows.append((m, k, "corporate", n))
            totals[(m, k)] -= n
        rows.extend((m, k, "government", n) for (m, k), n in totals.items() if n)
    if not rows:
        return pd.DataFrame(
            {
                "period": pd.Series([], dtype=object),
                "family": [],
                "kind": [],
                "sector": [],
                "count": pd.Series([], dtype="int64"),
            }
        )
    frame = pd.DataFrame(rows, columns=["month", "kind", "sector", "count"])
    year = frame["month"].str.slice(0, 4).astype(int)
    mon = frame["month"].str.slice(5, 7).astype(int)
    if interval == "quarter":
        mon = (mon - 1) // 3 * 3 + 1
    firsts = {(y, m): dt.date(y, m, 1) for y, m in set(zip(year, mon, strict=True))}
    frame["period"] = [firsts[(y, m)] for y, m in zip(year, mon, strict=True)]
    frame["count"] = frame["count"].astype("int64")
    out = frame.groupby(["period", "kind", "sector"], as_index=False)["count"].sum()
    out.insert(1, "family", out["kind"].map(vocab.FAMILY_OF_KIND))
    return out.sort_values(["period", "kind", "sector"], ignore_index=True)


def family_table(counts: pd.DataFrame) -> pd.DataFrame:
    """The events chart as a table (for readers without JavaScript): one row per period,
    one column per family present (in :data:`vocab.EVENT_FAMILIES` order), then ``total``."""
    if counts.empty:
        return pd.DataFrame(columns=["total"])
    wide = counts.assign(family=counts["kind"].map(vocab.FAMILY_OF_KIND)).pivot_table(
        index="period", columns="family", values="count", aggfunc="sum", fill_value=0
    )
    wide = wide[[c for c in vocab.EVENT_FAMILIES.codes if c in wide.columns]].sort_index().astype("int64")
    wide["total"] = wide.sum(axis=1)
    return wide


def dense_range(
    periods: Iterable[dt.date], counts: Iterable[int], end: dt.date, tail: float = DENSE_TAIL
) -> tuple[dt.date, dt.date] | None:
    """Where the record is dense: the default window of the timeline's date axes.

    The rule: start at the first period by which more than ``tail`` of the events had
    happened (the first period whose cumulative share exceeds it), end at ``end`` (the last
    period's end, or today). The sparse early years (one 2008 law before the 2019 wave)
    stay one click away ("All time"), not a quarter of the width. None, meaning "show
    everything", when trimming would hide less than :data:`DENSE_MIN_TRIM` of the span:
    then the whole record is dense enough. Pure, for tests.
    """
    pairs = sorted((p, int(c)) for p, c in zip(periods, counts, strict=True) if c > 0)
    if not pairs:
        return None
    total = sum(c for _, c in pairs)
    first = pairs[0][0]
    seen = 0
    start = first
    for period, count in pairs:
        seen += count
        if seen > tail * total:
            start = period
            break
    span = (end - first).days
    if span <= 0 or (start - first).days < DENSE_MIN_TRIM * span:
        return None
    return start, end


def counts_window(
    counts: pd.DataFrame, interval: str = "quarter", until: dt.date | None = None
) -> tuple[dt.date, dt.date] | None:
    """The timeline's default window for these event counts (:func:`dense_range` over the
    events per period), ending at the later of the last period's end and ``until`` (today),
    where the in-effect lines end."""
    if counts.empty:
        return None
    totals = counts.groupby("period")["count"].sum()
    last = max(totals.index)
    months = 3 if interval == "quarter" else 1
    year, month = divmod(last.month - 1 + months, 12)
    end = max(dt.date(last.year + year, month + 1, 1), until or today())
    return dense_range(totals.index, totals.values, end)


# --- measures in effect over time ---------------------------------------------------------


def _timeline_measures(session: DbSession, f: Filters) -> Select | None:
    """The measures the filtered events belong to (a select of ids); None when the filter
    selects every event: then every measure with an event, which is every measure with a
    period, and the queries can skip an ``IN`` over 100,000 event ids."""
    ev = _event_ids(session, f)
    if ev is None:
        return None
    return select(Event.measure_id).where(Event.id.in_(select(ev.c.id)), Event.measure_id.is_not(None))


def _in_effect_periods(ids: Select | None, until: dt.date, without: Select | None) -> Select:
    """The in-effect periods started by ``until`` (of the measures ``ids``, None: all;
    less ``without``)."""
    stmt = select(MeasurePeriod).where(MeasurePeriod.status == "in_effect", MeasurePeriod.start <= until)
    if ids is not None:
        stmt = stmt.where(MeasurePeriod.measure_id.in_(ids))
    if without is not None:
        stmt = stmt.where(MeasurePeriod.measure_id.not_in(without))
    return stmt


def _month_before(session: DbSession, column):
    """'YYYY-MM' of the day before ``column``: the month whose following first day is the
    first first-of-a-month on or after the date (the sampling grid's point that sees it)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column - 1, "YYYY-MM")
    return func.substr(func.date(column, "-1 day"), 1, 7)


def grid_day(day: dt.date, until: dt.date) -> dt.date:
    """The first day of a month on or after ``day`` (``day`` itself on a first), at most
    ``until``: where a change of the in-effect counts shows on a monthly grid ending then."""
    if day.day != 1:
        year, month = divmod(day.month, 12)
        day = dt.date(day.year + year, month + 1, 1)
    return min(day, until)


Deltas = dict[tuple[dt.date, str], int]
"""``{(date, measure type): change in the number in force}``."""


def _in_effect_deltas(
    session: DbSession, ids: Select | None, until: dt.date, without: Select | None = None
) -> tuple[dict[tuple[dt.date, str], int], bool]:
    """``{(date, measure type): change in the number in force}`` from the stored periods
    (:class:`~tracker.db.models.MeasurePeriod`): +1 on each ``in_effect`` period's start,
    -1 on its end, up to ``until``; and whether the dates are a monthly grid.

    No lifecycle is rebuilt in Python. With more than :data:`IN_EFFECT_MAX_POINTS` start
    days (one indexed count), the chart is sampled monthly anyway, so the database sums
    the changes per grid month (:func:`grid_day`: the value on each first of a month is
    exact) and returns a few thousand rows instead of every period (20,000 at 100,000
    events). Otherwise every change keeps its day. ``without`` leaves out measures (those
    whose coverage is clipped in Python)."""
    ensure_current(session)
    if ids is None and without is None:
        return _stored_in_effect_deltas(session, until)
    periods = _in_effect_periods(ids, until, without).subquery("in_effect")
    starts = session.scalar(select(func.count(func.distinct(periods.c.start_date)))) or 0
    deltas: Deltas = defaultdict(int)
    if starts > IN_EFFECT_MAX_POINTS:
        began = _month_before(session, periods.c.start_date).label("began")
        ended = case(
            (periods.c.end_date <= until, _month_before(session, periods.c.end_date)), else_=None
        ).label("ended")
        rows = session.execute(
            select(began, ended, Measure.measure_type, func.count())
            .join(Measure, Measure.id == periods.c.measure_id)
            .group_by(began, ended, Measure.measure_type)
        )
        firsts: dict[str, dt.date] = {}

        def first(month: str) -> dt.date:
            if month not in firsts:
                firsts[month] = grid_day(dt.date(int(month[:4]), int(month[5:7]), 2), until)
            return firsts[month]

        for b, e, measure_type, n in rows:
            deltas[(first(b), measure_type)] += n
            if e is not None:
                deltas[(first(e), measure_type)] -= n
        return deltas, True
    rows = session.execute(
        select(periods.c.start_date, periods.c.end_date, Measure.measure_type).join(
            Measure, Measure.id == periods.c.measure_id
        )
    )
    for start, end, measure_type in rows:
        deltas[(start, measure_type)] += 1
        if end is not None and end <= until:
            deltas[(end, measure_type)] -= 1
    return deltas, False


def _stored_in_effect_deltas(session: DbSession, until: dt.date) -> tuple[Deltas, bool]:
    """:func:`_in_effect_deltas` of every measure, from the stored first and last days of
    the ``in_effect`` periods (:mod:`tracker.db.tallies`), instead of a pass over every
    period: the same days, or the same monthly grid. Sampled monthly, the changes up to the
    month's first on or before ``until`` come summed per grid month (a few hundred rows),
    and only the days after it one by one (they show on ``until``)."""
    monthly = tallies.change_days(session, "in_effect", until.toordinal()) > IN_EFFECT_MAX_POINTS
    deltas: Deltas = defaultdict(int)
    if not monthly:
        for (_facet, measure_type, day, end), n in tallies.totals(
            session, ("in_effect",), until=until.toordinal()
        ).items():
            deltas[(dt.date.fromordinal(day), measure_type)] += -n if end else n
        return deltas, False
    first = until.replace(day=1)
    for (_facet, measure_type, month, end), n in tallies.totals(
        session, ("in_effect_month",), until=first.year * 100 + first.month
    ).items():
        deltas[(dt.date(month // 100, month % 100, 1), measure_type)] += -n if end else n
    for (_facet, measure_type, _day, end), n in tallies.totals(
        session, ("in_effect",), until=until.toordinal(), after=first.toordinal()
    ).items():
        deltas[(until, measure_type)] += -n if end else n
    return deltas, True


def in_effect_counts(session: DbSession, f: Filters, until: dt.date | None = None) -> pd.DataFrame:
    """How many measures of each type were in force on each date: a step series.

    Columns ``date``, ``measure_type``, ``count``: one row per date on which some type's
    count changes (sampled on the first of each month when there are more than
    :data:`IN_EFFECT_MAX_POINTS` such dates), plus ``until`` (default today) so the lines
    reach the present. Counted in SQL from the stored periods (so expiries and repeals bring
    the lines down on the day they happen); with a technology filter, the few measures whose
    coverage changes are clipped in Python to when they covered it
    (:meth:`~tracker.read.lifecycles.Histories.for_technologies`), the rest stay in SQL.
    """
    until = until or today()
    ids = _timeline_measures(session, f)
    clipped: dict[int, list[Period]] = {}
    changing = None
    if f.technology:
        changing = select(MeasureCoverage.measure_id).distinct()
        if ids is not None:
            changing = changing.where(MeasureCoverage.measure_id.in_(ids))
        clipped = lifecycles(session, list(session.scalars(changing)), f.technology)
    deltas, monthly = _in_effect_deltas(session, ids, until, changing)
    if clipped:
        types = dict(
            session.execute(
                select(Measure.id, Measure.measure_type).where(Measure.id.in_(list(clipped)))
            ).all()
        )
        for mid, measure_periods in clipped.items():
            for p in measure_periods:
                if p.status != "in_effect" or p.start > until:
                    continue
                deltas[(grid_day(p.start, until) if monthly else p.start, types[mid])] += 1
                if p.end is not None and p.end <= until:
                    deltas[(grid_day(p.end, until) if monthly else p.end, types[mid])] -= 1
    if not deltas:
        return pd.DataFrame(
            {"date": pd.Series([], dtype=object), "measure_type": [], "count": pd.Series([], dtype="int64")}
        )
    return _step_series(deltas, until)


def _step_series(deltas: dict[tuple[dt.date, str], int], until: dt.date) -> pd.DataFrame:
    """The running totals of ``deltas`` per measure type, on each date with a change (on the
    first of each month instead when there are more than :data:`IN_EFFECT_MAX_POINTS`
    dates) and on ``until``; rows by type (vocabulary order), then date. Plain Python over
    a few thousand changes: pandas' pivot and melt cost more than the sums."""
    order = {code: i for i, code in enumerate(vocab.MEASURE_TYPES.codes)}
    types = sorted({t for _, t in deltas}, key=lambda t: order.get(t, len(order)))
    by_day: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for (day, measure_type), n in deltas.items():
        by_day[day][measure_type] = by_day[day].get(measure_type, 0) + n
    days = sorted(by_day)
    running = dict.fromkeys(types, 0)
    values: list[tuple[dt.date, dict[str, int]]] = []
    for day in days:
        for measure_type, n in by_day[day].items():
            running[measure_type] += n
        values.append((day, dict(running)))
    if len(values) > IN_EFFECT_MAX_POINTS:
        sampled: list[tuple[dt.date, dict[str, int]]] = []
        first = days[0]
        grid = pd.date_range(dt.date(first.year, first.month, 1), until, freq="MS").date
        i, current = 0, dict.fromkeys(types, 0)
        for point in grid:
            while i < len(values) and values[i][0] <= point:
                current = values[i][1]
                i += 1
            sampled.append((point, current))
        values = sampled
    if values[-1][0] != until:
        values.append((until, values[-1][1]))
    rows = [(day, t, counts[t]) for t in types for day, counts in values]
    frame = pd.DataFrame(rows, columns=["date", "measure_type", "count"])
    frame["count"] = frame["count"].astype("int64")
    return frame


# --- lifespans -----------------------------------------------------------------------------


@dataclass
class Lifespans:
    """The lifespan chart's data: ``periods`` (one row per status period of each measure),
    ``events`` (the measures' events, as markers), ``total`` measures matched and
    ``shown`` (≤ :data:`LIFESPAN_LIMIT`)."""

    periods: pd.DataFrame
    events: pd.DataFrame
    total: int
    shown: int


def lifespans(
    session: DbSession, f: Filters, limit: int = LIFESPAN_LIMIT, until: dt.date | None = None
) -> Lifespans:
    """The most recently started ``limit`` measures of the filtered events, with their periods.

    ``periods`` columns: ``slug``, ``title``, ``measure_type``, ``status``, ``start``,
    ``start_precision``, ``end``
    (the period's end, or ``until``/today while it lasts), ``ongoing`` (bool).
    ``events`` columns: ``slug`` (of the measure), ``date``, ``date_precision``, ``kind``, ``title``.
    """
    until = until or today()
    ids = _timeline_measures(session, f)
    with_events = Event.measure_id.is_not(None) if ids is None else Event.measure_id.in_(ids)
    ensure_current(session)
    # The stored first days (measure_starts), not a GROUP BY over every event.
    start = (
        select(MeasureStart.measure_id.label("mid"), MeasureStart.start.label("start"))
        .where(MeasureStart.measure_id.in_(ids) if ids is not None else true())
        .subquery("starts")
    )
    # Counted on the index of events by measure, not by grouping every event again.
    if ids is None:  # every measure with events: the stored count (tracker.db.tallies)
        total = sum(tallies.totals(session, ("measures",)).values())
    else:
        total = session.scalar(select(func.count(func.distinct(Event.measure_id))).where(with_events)) or 0
    rows = session.execute(
        select(Measure.id, Measure.slug, Measure.title, Measure.measure_type)
        .join(start, start.c.mid == Measure.id)
        .order_by(start.c.start.desc(), Measure.slug)
        .limit(limit)
    ).all()
    by_id = {r.id: r for r in rows}
    periods = lifecycles(session, list(by_id), f.technology)
    precision = precisions(session, list(by_id))
    records = []
    for mid, measure_periods in periods.items():
        r = by_id[mid]
        for p in measure_periods:
            if p.start > until:
                continue
            end = p.end if p.end is not None and p.end <= until else until
            records.append(
                (
                    r.slug,
                    r.title,
                    r.measure_type,
                    p.status,
                    p.start,
                    precision.get((mid, p.start), "day"),
                    end,
                    p.end is None or p.end > until,
                )
            )
    period_frame = pd.DataFrame(
        records,
        columns=["slug", "title", "measure_type", "status", "start", "start_precision", "end", "ongoing"],
    )
    period_frame = period_frame.sort_values(["start", "slug"], ignore_index=True)
    event_rows = session.execute(
        select(Measure.slug, Event.date, Event.date_precision, Event.kind, Event.title)
        .join(Measure, Measure.id == Event.measure_id)
        .where(Event.measure_id.in_(list(by_id)))
        .order_by(Event.date, Event.slug)
    ).all()
    events = pd.DataFrame(event_rows, columns=["slug", "date", "date_precision", "kind", "title"])
    return Lifespans(period_frame, events, int(total), len(by_id))
