"""Measures' lifecycles and statuses as the read layer needs them.

:mod:`tracker.core.status` derives each measure's periods from its events and
:mod:`tracker.db.periods` keeps them in two tables, rewritten in the same transaction as
every change. This module reads them: as SQL where a question is about one date (status
filters, in-effect counts, facets: :func:`periods_on`), and as lists of periods where a
whole history is needed (milestones, the charts, the map), the full set kept per data
version (one row, bumped with every change) so only the first request after an edit reads
it again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, Select, or_, select

from tracker.core.status import Interval, Period, clip
from tracker.db.models import (
    DataVersion,
    DbSession,
    MeasureCoverage,
    MeasurePeriod,
    Technology,
    batches,
    ids_in,
)
from tracker.db.periods import BATCH, ensure_current

if TYPE_CHECKING:
    from tracker.read.filters import Filters


def dataset_fingerprint(session: DbSession | Connection) -> tuple[str, dt.datetime | None]:
    """(version, last change) of the public data: one row, bumped with every change
    (:class:`~tracker.models.DataVersion`). Used for HTTP caching and to reuse derived
    lifecycles until the data changes. A session or a bare connection
    (:func:`tracker.web.caching.dataset_stamp`)."""
    row = session.execute(select(DataVersion.version, DataVersion.changed_at)).first()
    if row is None:  # a database created before the version row existed
        return "0", None
    return str(row.version), row.changed_at


@dataclass(frozen=True)
class Histories:
    """Every measure's lifecycle (``{measure id: periods}``) and, for the few measures whose
    technologies change on a date, their coverage (``{measure id: {technology slug:
    intervals}}``). Both derived from the events by :mod:`tracker.status`."""

    lifecycles: dict[int, list[Period]]
    coverage: dict[int, dict[str, list[Interval]]]

    def for_technologies(self, technologies: Iterable[str] | None) -> dict[int, list[Period]]:
        """Lifecycles, each clipped to when its measure covered one of ``technologies``
        (measures whose coverage never changes are unaffected)."""
        if not technologies:
            return self.lifecycles
        wanted = set(technologies)
        out = dict(self.lifecycles)
        for mid, by_tech in self.coverage.items():
            if mid in out:
                intervals = [i for tech, ivs in by_tech.items() if tech in wanted for i in ivs]
                out[mid] = clip(out[mid], intervals)
        return out


_HISTORY_CACHE: OrderedDict[tuple, Histories] = OrderedDict()
_HISTORY_CACHE_SIZE = 4
_HISTORY_LOCK = threading.Lock()
SMALL = 200  # up to this many measures, read them directly instead of using the cache


def _read(session: DbSession, measure_ids: list[int] | None) -> Histories:
    """The stored periods and coverage of the given measures (or of all) as a Histories."""
    periods = select(MeasurePeriod.measure_id, MeasurePeriod.status, MeasurePeriod.start, MeasurePeriod.end)
    covered = select(
        MeasureCoverage.measure_id, Technology.slug, MeasureCoverage.start, MeasureCoverage.until
    ).join(Technology, Technology.id == MeasureCoverage.technology_id)
    lifecycles: dict[int, list[Period]] = defaultdict(list)
    by_tech: dict[int, dict[str, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    wanted = [None] if measure_ids is None else list(batches(measure_ids, BATCH))
    for chunk in wanted:
        these_periods, this_coverage = periods, covered
        if chunk is not None:
            these_periods = periods.where(MeasurePeriod.measure_id.in_(chunk))
            this_coverage = covered.where(MeasureCoverage.measure_id.in_(chunk))
        for mid, status, start, end in session.execute(
            these_periods.order_by(MeasurePeriod.measure_id, MeasurePeriod.seq)
        ):
            lifecycles[mid].append(Period(status, start, end))
        for mid, slug, since, until in session.execute(
            this_coverage.order_by(MeasureCoverage.measure_id, Technology.slug, MeasureCoverage.seq)
        ):
            by_tech[mid][slug].append((since, until))
    if measure_ids is not None:
        for mid in measure_ids:
            lifecycles.setdefault(mid, [])
    return Histories(dict(lifecycles), {mid: dict(techs) for mid, techs in by_tech.items()})


def histories(session: DbSession, measure_ids: Iterable[int] | None = None) -> Histories:
    """The lifecycles (and coverage) of the given measures, or of all, read from the derived
    tables (:mod:`tracker.db.periods`, rewritten with every change).

    Every measure's history is read once per version of the data and kept (a few versions
    per process): the charts and the map read every lifecycle, and rebuilding 25,000 lists
    of periods per request costs more than the queries. A handful of ids is read directly.
    """
    ensure_current(session)
    ids = None if measure_ids is None else list(measure_ids)
    if ids is not None and len(ids) <= SMALL:
        return _read(session, ids)
    bind = session.get_bind()
    url = bind.url if isinstance(bind, Engine) else bind.engine.url
    key = (str(url), dataset_fingerprint(session)[0])
    with _HISTORY_LOCK:
        cached = _HISTORY_CACHE.get(key)
        if cached is not None:
            _HISTORY_CACHE.move_to_end(key)
    if cached is None:
        cached = _read(session, None)
        with _HISTORY_LOCK:
            _HISTORY_CACHE[key] = cached
            while len(_HISTORY_CACHE) > _HISTORY_CACHE_SIZE:
                _HISTORY_CACHE.popitem(last=False)
    if ids is None:
        return cached
    return Histories(
        {mid: cached.lifecycles.get(mid, []) for mid in ids},
        {mid: cached.coverage[mid] for mid in ids if mid in cached.coverage},
    )


def measure_lifecycles(
    session: DbSession, measure_ids: Iterable[int] | None = None, technologies: Iterable[str] | None = None
) -> dict[int, list[Period]]:
    """``{measure id: its lifecycle periods}`` (:func:`tracker.status.lifecycle`, with
    replacements applied), clipped to the ``technologies`` asked about when given."""
    return histories(session, measure_ids).for_technologies(technologies)


def measure_statuses(
    session: DbSession,
    on: dt.date,
    measure_ids: Iterable[int] | None = None,
    technologies: Iterable[str] | None = None,
) -> dict[int, str | None]:
    """``{measure id: status on the date}`` (None, or absent when no ids are given: did not
    exist yet, or did not cover the technologies asked about then), from one query."""
    stmt = periods_on(session, on, technologies)
    if measure_ids is None:
        return {mid: status for mid, status in session.execute(stmt)}
    ids = list(measure_ids)
    out: dict[int, str | None] = dict.fromkeys(ids)
    for chunk in batches(ids, BATCH):
        rows = session.execute(stmt.where(ids_in(MeasurePeriod.measure_id, chunk)))
        out.update((mid, status) for mid, status in rows)
    return out


def dated_technologies(f: Filters) -> tuple[str, ...] | None:
    """The technologies whose coverage on ``as_of`` a list must respect: the filter's, when
    the question is about a date (``as_of`` or ``status`` given); otherwise a technology
    filter means "ever covered"."""
    return f.technology if f.technology and (f.as_of_given or f.status) else None


def periods_on(session: DbSession, day: dt.date, technologies: Iterable[str] | None = None) -> Select:
    """``(measure_id, status)`` of every measure on ``day``, as SQL: the stored period that
    holds then (a measure has at most one). With ``technologies``, a measure whose coverage
    changes counts only while it covered one of them (as :meth:`Histories.for_technologies`)."""
    ensure_current(session)
    stmt = select(MeasurePeriod.measure_id, MeasurePeriod.status).where(
        MeasurePeriod.start <= day, or_(MeasurePeriod.end.is_(None), MeasurePeriod.end > day)
    )
    if technologies:
        changing = select(MeasureCoverage.measure_id)
        stmt = stmt.where(
            or_(
                MeasurePeriod.measure_id.not_in(changing),
                MeasurePeriod.measure_id.in_(_covering(tuple(technologies), day)),
            )
        )
    return stmt


def _covering(technologies: tuple[str, ...], day: dt.date) -> Select:
    """Measures with coverage changes that cover one of ``technologies`` on ``day``."""
    return (
        select(MeasureCoverage.measure_id)
        .join(Technology, Technology.id == MeasureCoverage.technology_id)
        .where(
            Technology.slug.in_(technologies),
            or_(MeasureCoverage.start.is_(None), MeasureCoverage.start <= day),
            or_(MeasureCoverage.until.is_(None), MeasureCoverage.until > day),
        )
    )


def status_ids(session: DbSession, f: Filters) -> Select:
    """The ids of the measures whose status on ``as_of`` is one of the filter's (a select
    to use in ``IN``: the filter runs in the database)."""
    on = periods_on(session, f.as_of, dated_technologies(f)).subquery("on_date")
    return select(on.c.measure_id).where(on.c.status.in_(f.status))


def not_covering_ids(session: DbSession, f: Filters) -> Select:
    """Measures that cover one of the filter's technologies at some time but not on
    ``as_of`` (only measures whose coverage changes can be among them), as a select."""
    ensure_current(session)
    return (
        select(MeasureCoverage.measure_id)
        .join(Technology, Technology.id == MeasureCoverage.technology_id)
        .where(
            Technology.slug.in_(f.technology),
            MeasureCoverage.measure_id.not_in(_covering(f.technology, f.as_of)),
        )
        .distinct()
    )
