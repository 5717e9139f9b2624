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
from sqlalchemy import Integer, Select, case, cast, extract, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from tracker.core import vocab
from tracker.core.status import Period, today
from tracker.db.models import Actor, DbSession, Event, Measure
from tracker.read.filters import Filters
from tracker.read.lifecycles import measure_lifecycles
from tracker.read.selects import events_select, measures_select

LIFESPAN_LIMIT = 100
"""At most this many measures on the lifespan chart (the most recently started ones)."""

IN_EFFECT_MAX_POINTS = 400
"""Above this many change dates the in-effect lines are sampled once per month."""

SECTORS = ("government", "corporate")


# --- shared ------------------------------------------------------------------------------


def _event_ids(session: DbSession, f: Filters):
    """The ids of the events matching the filters, as a subquery (no ORDER BY, no paging)."""
    return events_select(session, f).order_by(None).with_only_columns(Event.id).subquery("ev")


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


def event_counts(session: DbSession, f: Filters, interval: str = "quarter") -> pd.DataFrame:
    """Events per period, kind and sector (government or corporate), counted in SQL.

    Columns: ``period`` (first day, a date), ``kind``, ``sector``, ``count``. Grouped by
    year and month in the database (portable across SQLite and PostgreSQL), then rolled up
    to quarters here: at most 12 rows per year, kind and sector, whatever the event count.
    """
    ev = _event_ids(session, f)
    actor = aliased(Actor)
    sector = case(
        (Measure.measure_type.in_(vocab.CORPORATE_MEASURE_TYPES), "corporate"),
        (actor.kind == "company", "corporate"),
        else_="government",
    )
    year = cast(extract("year", Event.date), Integer).label("year")
    month = cast(extract("month", Event.date), Integer).label("month")
    stmt = (
        select(year, month, Event.kind, sector.label("sector"), func.count().label("count"))
        .select_from(Event)
        .join(ev, ev.c.id == Event.id)
        .join(actor, actor.id == Event.actor_id)
        .outerjoin(Measure, Measure.id == Event.measure_id)
        .group_by(year, month, Event.kind, sector)
    )
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["year", "month", "kind", "sector", "count"])
    if frame.empty:
        return pd.DataFrame(
            {
                "period": pd.Series([], dtype=object),
                "kind": [],
                "sector": [],
                "count": pd.Series([], dtype="int64"),
            }
        )
    frame["year"] = frame["year"].astype(int)
    frame["month"] = frame["month"].astype(int)
    if interval == "quarter":
        frame["month"] = (frame["month"] - 1) // 3 * 3 + 1
    frame["period"] = [dt.date(y, m, 1) for y, m in zip(frame["year"], frame["month"], strict=True)]
    frame["count"] = frame["count"].astype("int64")
    out = frame.groupby(["period", "kind", "sector"], as_index=False)["count"].sum()
    return out.sort_values(["period", "kind", "sector"], ignore_index=True)


# --- measures in effect over time ---------------------------------------------------------


def _timeline_measures(session: DbSession, f: Filters):
    """The measures the filtered events belong to (a subquery of ids)."""
    ev = _event_ids(session, f)
    return select(Event.measure_id).join(ev, ev.c.id == Event.id).where(Event.measure_id.is_not(None))


def in_effect_counts(session: DbSession, f: Filters, until: dt.date | None = None) -> pd.DataFrame:
    """How many measures of each type were in force on each date: a step series.

    Columns ``date``, ``measure_type``, ``count``: one row per date on which some type's
    count changes (sampled on the first of each month when there are more than
    :data:`IN_EFFECT_MAX_POINTS` such dates), plus ``until`` (default today) so the lines
    reach the present. Built from ``status.lifecycle``, so expiries and repeals bring the
    lines down on the day they happen.
    """
    until = until or today()
    ids = _timeline_measures(session, f)
    periods = lifecycles(session, ids, f.technology)
    types = dict(session.execute(select(Measure.id, Measure.measure_type).where(Measure.id.in_(ids))).all())
    deltas: dict[tuple[dt.date, str], int] = defaultdict(int)
    for mid, measure_periods in periods.items():
        for p in measure_periods:
            if p.status != "in_effect" or p.start > until:
                continue
            deltas[(p.start, types[mid])] += 1
            if p.end is not None and p.end <= until:
                deltas[(p.end, types[mid])] -= 1
    if not deltas:
        return pd.DataFrame(
            {"date": pd.Series([], dtype=object), "measure_type": [], "count": pd.Series([], dtype="int64")}
        )
    frame = pd.DataFrame(
        [(d, t, n) for (d, t), n in deltas.items()], columns=["date", "measure_type", "delta"]
    )
    wide = frame.pivot_table(
        index="date", columns="measure_type", values="delta", aggfunc="sum", fill_value=0
    )
    wide = wide.sort_index().cumsum()
    if len(wide) > IN_EFFECT_MAX_POINTS:
        first = wide.index[0]
        grid = pd.date_range(dt.date(first.year, first.month, 1), until, freq="MS").date
        wide = wide.reindex(sorted(set(grid) | set(wide.index))).ffill().fillna(0).loc[list(grid)]
    if until not in wide.index:
        wide.loc[until] = wide.iloc[-1]
    wide = wide.sort_index()
    long = wide.reset_index(names="date").melt(id_vars="date", var_name="measure_type", value_name="count")
    long["count"] = long["count"].astype("int64")
    order = {code: i for i, code in enumerate(vocab.MEASURE_TYPES.codes)}
    long["_o"] = long["measure_type"].map(order)
    return long.sort_values(["_o", "date"], ignore_index=True).drop(columns="_o")


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
    total = session.scalar(select(func.count(func.distinct(Measure.id))).where(Measure.id.in_(ids))) or 0
    start = (
        select(Event.measure_id.label("mid"), func.min(Event.date).label("start"))
        .where(Event.measure_id.in_(ids))
        .group_by(Event.measure_id)
        .subquery("starts")
    )
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
