"""Chart data: the filtered query layer → small pandas DataFrames for :mod:`tracker.charts`.

Why a module of its own: the figure builders stay pure (DataFrame in, figure out, testable
without a database), and everything that touches the database for a chart is here, built on
:func:`tracker.read.selects.events_select` / :func:`tracker.read.selects.measures_select` so a chart
shows exactly the rows of the list with the same query string.

Why sizes do not grow with the data: counts are grouped in SQL (a handful of rows per month
and kind, however many events), the lifespan chart is capped at :data:`LIFESPAN_LIMIT`
measures, and the map is reduced to one display timeline per *place* (the strongest measure
of each period), not one record per measure per quarter. Statuses always come from
:mod:`tracker.status` (``lifecycle``), never re-derived here.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import Select, String, case, cast, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from tracker.core import vocab
from tracker.core.places import EU, EU_MEMBERS, country_alpha3
from tracker.core.status import Period, today
from tracker.db.models import Actor, DbSession, Event, Measure, MeasureCoverage, MeasurePeriod
from tracker.db.periods import ensure_current
from tracker.read.filters import Filters
from tracker.read.lifecycles import measure_lifecycles
from tracker.read.selects import events_select, measures_select

LIFESPAN_LIMIT = 100
"""At most this many measures on the lifespan chart (the most recently started ones)."""

DENSE_TAIL = 0.03
"""The share of the earliest events the timeline's default window may leave out (:func:`dense_range`)."""
DENSE_MIN_TRIM = 0.15
"""The default window trims the early years only when they are at least this share of the span."""

IN_EFFECT_MAX_POINTS = 400
"""Above this many change dates the in-effect lines are sampled once per month."""

# Statuses that put a place on the map: in force (filled) or on its way (hollow).
MAP_LIVE = ("in_effect", "adopted", "passed", "pending")
MAP_FILLED = ("in_effect",)
SECTORS = ("government", "corporate")
LIST_LIMIT = 60
"""At most this many corporate (and unplaced) measures are sent for the lists beside the map."""


# --- shared ------------------------------------------------------------------------------


def _event_ids(session: DbSession, f: Filters) -> Subquery | None:
    """The ids of the events matching the filters, as a subquery (no ORDER BY, no paging);
    None when the filter selects every event (no condition, no join but the events table),
    so a chart of the whole record does not filter 100,000 events by their own ids."""
    stmt = events_select(session, f).order_by(None).with_only_columns(Event.id)
    if stmt.whereclause is None and [str(t) for t in stmt.get_final_froms()] == [Event.__tablename__]:
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
    ``kind``, ``sector``, ``count``. Grouped by month and kind in the database (one row per
    month, kind and sector, a few thousand at most whatever the event count), then rolled up
    to quarters and labelled with their family here, on that small frame.
    """
    ev = _event_ids(session, f)
    month = _month(Event.date).label("month")
    every = select(month, Event.kind, func.count()).group_by(month, Event.kind)
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
    totals = {(m, k): n for m, k, n in session.execute(every)}
    rows = []
    for m, k, n in session.execute(corporate):
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
    periods = _in_effect_periods(ids, until, without).subquery("in_effect")
    starts = session.scalar(select(func.count(func.distinct(periods.c.start_date)))) or 0
    deltas: dict[tuple[dt.date, str], int] = defaultdict(int)
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
    start = (
        select(Event.measure_id.label("mid"), func.min(Event.date).label("start"))
        .where(with_events)
        .group_by(Event.measure_id)
        .subquery("starts")
    )
    # Counted on the index of events by measure, not by grouping every event again.
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


# --- the map ------------------------------------------------------------------------------

MAP_COLUMNS = [
    "place",
    "name",
    "geo",
    "loc",
    "lat",
    "lon",
    "slug",
    "title",
    "measure_type",
    "status",
    "since",
    "since_precision",
    "start",
    "end",
]


def _geo(kind: str | None, country: str | None, region: str | None) -> tuple[str, str | None] | None:
    """Where a place goes on the map: ('state', 'CA'), ('country', 'USA'), ('eu', 'EU'),
    ('point', None) for cities and counties; None when it cannot be shown."""
    if country == EU:
        return "eu", EU
    if kind == "region" and region and region.startswith("US-"):
        return "state", region[3:]
    if kind == "country" and country:
        alpha3 = country_alpha3(country)
        return ("country", alpha3) if alpha3 else None
    if kind in ("city", "county"):
        return "point", None
    return None


def _display_segments(
    periods_by_measure: dict[int, list[Period]],
    strength: dict[int, int],
) -> list[tuple[dt.date, dt.date | None, int, str, dt.date]]:
    """One place's display timeline: for each stretch of time, the measure the map shows.

    The strongest measure in force wins (ban > moratorium > restriction > oversight; ties to
    the earlier start); when none is in force, the strongest pending, passed or adopted one
    (drawn hollow). Returns ``(start, end or None, measure id, status, status since)``,
    consecutive stretches merged.
    """
    cuts = sorted({d for ps in periods_by_measure.values() for p in ps for d in (p.start, p.end) if d})
    # A sweep over the cut dates with a heap of the periods begun so far (lazily dropping
    # ended ones): O(n log n) per place instead of scanning every period at every cut, which
    # took seconds for places with hundreds of measures.
    live = sorted(
        (
            (p.start, p.end, (0 if p.status in MAP_FILLED else 1, strength[mid], p.start, mid), mid, p)
            for mid, ps in periods_by_measure.items()
            for p in ps
            if p.status in MAP_LIVE
        ),
        key=lambda item: item[0],
    )
    heap: list[tuple[tuple, int]] = []
    nxt = 0
    out: list[tuple[dt.date, dt.date | None, int, str, dt.date]] = []
    for i, start in enumerate(cuts):
        end = cuts[i + 1] if i + 1 < len(cuts) else None
        while nxt < len(live) and live[nxt][0] <= start:
            heapq.heappush(heap, (live[nxt][2], nxt))
            nxt += 1
        while heap and (ends := live[heap[0][1]][1]) is not None and ends <= start:
            heapq.heappop(heap)
        if not heap:
            continue
        _, _, _, mid, p = live[heap[0][1]]
        if out and out[-1][2] == mid and out[-1][3] == p.status and out[-1][1] == start:
            out[-1] = (out[-1][0], end, mid, p.status, p.start)
        else:
            out.append((start, end, mid, p.status, p.start))
    return out


@dataclass
class MapData:
    """The map's data: ``segments`` (one row per place and display stretch, columns
    :data:`MAP_COLUMNS`), ``corporate`` (corporate measures with their periods, listed beside
    the map), ``unplaced`` (measures that cannot be drawn: court orders, settlements,
    resolutions, places without coordinates); both capped at the :data:`LIST_LIMIT` most
    recently started measures, with their totals."""

    segments: pd.DataFrame
    corporate: pd.DataFrame
    unplaced: pd.DataFrame
    first: dt.date | None
    corporate_total: int = 0
    unplaced_total: int = 0


def map_data(session: DbSession, f: Filters) -> MapData:
    """Every place with its display timeline, for all dates at once (the slider needs them all).

    ``as_of`` does not drop measures here (the slider can move before or after it); it only
    decides ``status`` filters, as on /measures.
    """
    ms = _measure_ids(session, replace(f, as_of_given=False))
    place = aliased(Actor, name="place")
    adopter = aliased(Actor, name="adopter")
    place_kinds = vocab.PLACE_KINDS
    pid = func.coalesce(Measure.jurisdiction_id, case((adopter.kind.in_(place_kinds), adopter.id)))
    rows = session.execute(
        select(
            Measure.id,
            Measure.slug,
            Measure.title,
            Measure.measure_type,
            place.slug,
            place.name,
            place.kind,
            place.country,
            place.region,
            place.latitude,
            place.longitude,
            adopter.name.label("adopter"),
        )
        .join(ms, ms.c.id == Measure.id)
        .join(adopter, adopter.id == Measure.adopted_by_id)
        .outerjoin(place, place.id == pid)
    ).all()
    periods = lifecycles(session, ms, f.technology)
    precision = precisions(session, ms)
    strength = {code: i for i, code in enumerate(vocab.MAP_STRENGTH)}
    by_place: dict[str, list] = defaultdict(list)
    # (slug, title, measure type, actor, status, start, end), the columns of `cols` below
    corporate: list[tuple[Any, ...]] = []
    unplaced: list[tuple[Any, ...]] = []
    first = min((ps[0].start for ps in periods.values() if ps), default=None)
    for r in rows:
        mps = periods.get(r.id, [])
        if r.measure_type in vocab.CORPORATE_MEASURE_TYPES:
            corporate.extend(
                (r.slug, r.title, r.measure_type, r.adopter, p.status, p.start, p.end) for p in mps
            )
            continue
        geo = _geo(r.kind, r.country, r.region) if r.measure_type in strength else None
        if geo is None or (geo[0] == "point" and r.latitude is None):
            unplaced.extend(
                (r.slug, r.title, r.measure_type, r[5] or r.adopter, p.status, p.start, p.end) for p in mps
            )
            continue
        by_place[r[4]].append((r, geo))
    records = []
    for slug, items in by_place.items():
        r0, geo = items[0]
        info = {r.id: r for r, _ in items}
        segs = _display_segments(
            {mid: periods.get(mid, []) for mid in info},
            {mid: strength[r.measure_type] for mid, r in info.items()},
        )
        for start, end, mid, status, since in segs:
            r = info[mid]
            records.append(
                (
                    slug,
                    r0[5],
                    geo[0],
                    geo[1],
                    r0.latitude,
                    r0.longitude,
                    r.slug,
                    r.title,
                    r.measure_type,
                    status,
                    since,
                    precision.get((mid, since), "day"),
                    start,
                    end,
                )
            )
    segments = pd.DataFrame(records, columns=MAP_COLUMNS).sort_values(["place", "start"], ignore_index=True)
    cols = ["slug", "title", "measure_type", "actor", "status", "start", "end"]
    corp, corp_total = _latest(pd.DataFrame(corporate, columns=cols))
    other, other_total = _latest(pd.DataFrame(unplaced, columns=cols))
    return MapData(segments, corp, other, first, corp_total, other_total)


def _latest(frame: pd.DataFrame, limit: int = LIST_LIMIT) -> tuple[pd.DataFrame, int]:
    """The periods of the ``limit`` most recently started measures, and how many measures there were."""
    firsts = frame.groupby("slug")["start"].min().sort_values(ascending=False)
    keep = set(firsts.index[:limit])
    return (frame[frame["slug"].isin(keep)].sort_values(["start", "slug"], ignore_index=True), len(firsts))


def on_date(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The rows of a segments/periods frame that hold on ``day`` (start ≤ day < end)."""
    if frame.empty:
        return frame
    ends = frame["end"].map(lambda e: e is None or pd.isna(e) or day < e)
    return frame[(frame["start"] <= day) & ends].reset_index(drop=True)


def eu_members() -> list[str]:
    """ISO alpha-3 codes of the EU member states (an EU-wide measure shades them all)."""
    return [a for a in (country_alpha3(c) for c in EU_MEMBERS) if a]
