"""Measures' lifecycles and statuses as the read layer needs them, derived from the events.

Statuses are never stored: :mod:`tracker.core.status` derives each measure's periods from
its events, and this module feeds it from the database, streaming the events grouped by
measure, and keeps the result for the current data version (one row, bumped with every
change), so a request after an edit derives again and every other request reuses it. The
list selects (:mod:`tracker.read.selects`) turn a status filter into the ids computed here.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, false, literal, or_, select, union_all

from tracker.core.status import (
    Change,
    Interval,
    Period,
    Step,
    apply_replacements,
    clip,
    coverage,
    covers,
    lifecycle,
    status_in,
)
from tracker.db.models import (
    DataVersion,
    DbSession,
    Event,
    Measure,
    Technology,
    event_technologies_added,
    event_technologies_removed,
    measure_technologies,
)

if TYPE_CHECKING:
    from tracker.read.filters import Filters


def dataset_fingerprint(session: DbSession) -> tuple[str, dt.datetime | None]:
    """(version, last change) of the public data: one row, bumped with every change
    (:class:`~tracker.models.DataVersion`). Used for HTTP caching and to reuse derived
    lifecycles until the data changes."""
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
SMALL = 200  # up to this many measures, derive directly instead of using the cache


def ids_in(column, ids: list[int] | None):
    """``column IN ids``; an empty list matches nothing (no placeholder id needed)."""
    return column.in_(ids) if ids else false()


def _histories_of(session: DbSession, measure_ids: list[int] | None) -> Histories:
    """Lifecycles and coverage from the database, streaming the events grouped by measure:
    only one measure's steps are held at a time, never every event of the database.

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

    def derive(mid: int) -> None:
        out[mid] = lifecycle(steps, info[mid].sunset, info[mid].session_end)

    for measure_id, date, kind, new_sunset, precision in rows:
        if measure_id != current:
            if current is not None:
                derive(current)
            current, steps = measure_id, []
        steps.append(Step(date, kind, new_sunset, precision))
    if current is not None:
        derive(current)
    replaces = {mid: row.replaces_id for mid, row in info.items() if row.replaces_id is not None}
    lifecycles = apply_replacements(out, replaces)
    if measure_ids is not None:
        lifecycles = {mid: lifecycles[mid] for mid in measure_ids if mid in lifecycles}
    return Histories(lifecycles, _coverage_of(session, measure_ids))


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


def histories(session: DbSession, measure_ids: Iterable[int] | None = None) -> Histories:
    """The lifecycles (and coverage) of the given measures, or of all.

    Every measure's history is derived once per version of the data and kept (a few
    versions per process): lifecycles do not depend on the date, so statuses "as of" any day,
    filters, facets, CSV chunks, charts and the map all read them without re-deriving
    25,000 lifecycles per request. A handful of ids is derived directly.
    """
    ids = None if measure_ids is None else list(measure_ids)
    if ids is not None and len(ids) <= SMALL:
        return _histories_of(session, ids)
    bind = session.get_bind()
    url = bind.url if isinstance(bind, Engine) else bind.engine.url
    key = (str(url), dataset_fingerprint(session)[0])
    with _HISTORY_LOCK:
        cached = _HISTORY_CACHE.get(key)
        if cached is not None:
            _HISTORY_CACHE.move_to_end(key)
    if cached is None:
        cached = _histories_of(session, None)
        with _HISTORY_LOCK:
            _HISTORY_CACHE[key] = cached
            while len(_HISTORY_CACHE) > _HISTORY_CACHE_SIZE:
                _HISTORY_CACHE.popitem(last=False)
    if ids is None:
        return cached
    wanted = set(ids)
    return Histories(
        {mid: ps for mid, ps in cached.lifecycles.items() if mid in wanted},
        {mid: c for mid, c in cached.coverage.items() if mid in wanted},
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
    """``{measure id: status on the date}`` (None: did not exist yet, or did not cover the
    technologies asked about then), from the lifecycles."""
    return {
        mid: status_in(periods, on)
        for mid, periods in measure_lifecycles(session, measure_ids, technologies).items()
    }


def dated_technologies(f: Filters) -> tuple[str, ...] | None:
    """The technologies whose coverage on ``as_of`` a list must respect: the filter's, when
    the question is about a date (``as_of`` or ``status`` given); otherwise a technology
    filter means "ever covered"."""
    return f.technology if f.technology and (f.as_of_given or f.status) else None


def status_ids(session: DbSession, f: Filters) -> list[int]:
    statuses = measure_statuses(session, f.as_of, technologies=dated_technologies(f))
    return sorted(mid for mid, st in statuses.items() if st in f.status)


def not_covering_ids(session: DbSession, f: Filters) -> list[int]:
    """Measures that cover one of the filter's technologies at some time but not on
    ``as_of`` (only measures whose coverage changes can be among them)."""
    found = histories(session).coverage
    return sorted(
        mid
        for mid, by_tech in found.items()
        if any(t in by_tech for t in f.technology)
        and not any(covers(by_tech.get(t, []), f.as_of) for t in f.technology)
    )
