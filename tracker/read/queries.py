"""The one filters → SQLAlchemy layer, shared by HTML, JSON, CSV, feeds and charts.

A :class:`~tracker.filters.Filters` object goes in, a ``Select`` comes out; the views only
decide how to render the rows (Datasette's "one data function, many renderers"). Status
filters are answered by :mod:`tracker.status` (derived, never stored): the ids of the
measures with the wanted status on ``as_of`` are computed once per request and become an
``IN`` clause.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import aliased, selectinload

from tracker.core import vocab
from tracker.core.places import country_name, region_name
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
    milestones,
    status_in,
)
from tracker.core.vocab import MEASURE_TYPES
from tracker.db import search
from tracker.db.models import (
    Actor,
    Citation,
    DataVersion,
    DbSession,
    Event,
    Measure,
    Source,
    Technology,
    event_technologies,
    event_technologies_added,
    event_technologies_removed,
    measure_technologies,
)
from tracker.read.filters import COLLECTIONS, Filters
from tracker.read.parameters import PageNotFound

CHUNK = 2000


# --- statuses --------------------------------------------------------------------------


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


def _ids_in(column, ids: list[int] | None):
    """``column IN ids``; an empty list matches nothing (no placeholder id needed)."""
    return column.in_(ids) if ids else false()


def _histories_of(session: DbSession, measure_ids: list[int] | None) -> Histories:
    """Lifecycles and coverage from the database, streaming the events grouped by measure:
    only one measure's steps are held at a time, never every event of the database.

    A measure that replaces one of the asked-for measures is derived too: the day it takes
    effect ends the one it replaces."""
    info_stmt = select(Measure.id, Measure.sunset, Measure.session_end, Measure.replaces_id)
    if measure_ids is not None:
        replacing = select(Measure.id).where(_ids_in(Measure.replaces_id, measure_ids))
        info_stmt = info_stmt.where(or_(_ids_in(Measure.id, measure_ids), Measure.id.in_(replacing)))
    info = {row.id: row for row in session.execute(info_stmt)}
    ids = list(info)
    event_stmt = select(
        Event.measure_id, Event.date, Event.kind, Event.new_sunset, Event.date_precision
    ).where(Event.measure_id.is_not(None))
    if measure_ids is not None:
        event_stmt = event_stmt.where(_ids_in(Event.measure_id, ids))
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
        parts = [part.where(_ids_in(Event.measure_id, measure_ids)) for part in parts]
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


def _dated_technologies(f: Filters) -> tuple[str, ...] | None:
    """The technologies whose coverage on ``as_of`` a list must respect: the filter's, when
    the question is about a date (``as_of`` or ``status`` given); otherwise a technology
    filter means "ever covered"."""
    return f.technology if f.technology and (f.as_of_given or f.status) else None


def _status_ids(session: DbSession, f: Filters) -> list[int]:
    statuses = measure_statuses(session, f.as_of, technologies=_dated_technologies(f))
    return sorted(mid for mid, st in statuses.items() if st in f.status)


def _not_covering_ids(session: DbSession, f: Filters) -> list[int]:
    """Measures that cover one of the filter's technologies at some time but not on
    ``as_of`` (only measures whose coverage changes can be among them)."""
    found = histories(session).coverage
    return sorted(
        mid
        for mid, by_tech in found.items()
        if any(t in by_tech for t in f.technology)
        and not any(covers(by_tech.get(t, []), f.as_of) for t in f.technology)
    )


# --- shared pieces ---------------------------------------------------------------------


def actor_and_descendants(slugs: Iterable[str]):
    """A select of the ids of the given actors and everything below them (recursive CTE)."""
    tree = select(Actor.id).where(Actor.slug.in_(list(slugs))).cte("actor_tree", recursive=True)
    child = aliased(Actor)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


def _technology_ids(slugs: Iterable[str]):
    return select(Technology.id).where(Technology.slug.in_(list(slugs)))


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int
    extra: dict

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


# --- events ----------------------------------------------------------------------------


def events_select(session: DbSession, f: Filters, facet_columns: bool = False) -> Select:
    """Select Event rows matching the filters, in the filter's order.

    With ``facet_columns`` the same rows come as plain columns (id, kind, measure, country,
    region) for facet counts and charts, so they share every condition.
    """
    place = aliased(Actor, name="place")
    event_actor = aliased(Actor, name="event_actor")
    place_id = func.coalesce(Measure.jurisdiction_id, Event.jurisdiction_id)
    # Join only what the filters need: an unfiltered count over 100,000 events with three
    # joins cost ~100 ms, without them a few.
    needs_place = facet_columns or bool(f.country or f.region)
    stmt = select(Event)
    if needs_place or f.measure_type or f.actor:
        stmt = stmt.outerjoin(Measure, Event.measure_id == Measure.id)
    if needs_place:
        stmt = stmt.outerjoin(place, place.id == place_id).join(event_actor, event_actor.id == Event.actor_id)
    conditions: list[ColumnElement[bool]] = []
    if f.kind:
        conditions.append(Event.kind.in_(f.kind))
    if f.measure_type:
        conditions.append(Measure.measure_type.in_(f.measure_type))
    if f.status:
        conditions.append(Event.measure_id.in_(_status_ids(session, f)))
    if f.technology:
        techs = _technology_ids(f.technology)
        conditions.append(
            or_(
                Event.id.in_(
                    select(event_technologies.c.event_id).where(event_technologies.c.technology_id.in_(techs))
                ),
                Event.measure_id.in_(
                    select(measure_technologies.c.measure_id).where(
                        measure_technologies.c.technology_id.in_(techs)
                    )
                ),
            )
        )
    if f.actor:
        ids = actor_and_descendants(f.actor)
        conditions.append(or_(Event.actor_id.in_(ids), place_id.in_(ids), Measure.adopted_by_id.in_(ids)))
    if f.country:
        conditions.append(func.coalesce(place.country, event_actor.country).in_(f.country))
    if f.region:
        conditions.append(func.coalesce(place.region, event_actor.region).in_(f.region))
    if f.date_from:
        conditions.append(Event.date >= f.date_from)
    if f.date_to:
        conditions.append(Event.date <= f.date_to)
    rank = None
    if f.q:
        # Events matching directly, plus events whose measure matches (ranked after them):
        # one union, best rank per event, joined once. (An OR over two outer joins made
        # SQLite scan the matches once per event: minutes at 100,000 events.)
        direct = search.matches(session, "events", f.q)
        via_measure = search.matches(session, "measures", f.q)
        hits = union_all(
            select(direct.c.id.label("event_id"), direct.c.rank.label("rank")),
            select(Event.id.label("event_id"), (via_measure.c.rank + 1000).label("rank")).join(
                via_measure, via_measure.c.id == Event.measure_id
            ),
        ).subquery("event_hits")
        best = (
            select(hits.c.event_id, func.min(hits.c.rank).label("rank"))
            .group_by(hits.c.event_id)
            .subquery("event_best")
        )
        stmt = stmt.join(best, best.c.event_id == Event.id)
        rank = best.c.rank
    if conditions:
        stmt = stmt.where(and_(*conditions))
    if facet_columns:
        return stmt.with_only_columns(
            Event.id.label("id"),
            Event.kind.label("kind"),
            Event.measure_id.label("measure_id"),
            Event.date.label("date"),
            Measure.measure_type.label("measure_type"),
            func.coalesce(place.country, event_actor.country).label("country"),
            func.coalesce(place.region, event_actor.region).label("region"),
        )
    return stmt.order_by(*_order(f, Event.date, Event.title, Event.slug, rank))


def _order(f: Filters, date_col, title_col, slug_col, rank):
    sort = f.effective_sort
    if sort == "relevance" and rank is not None:
        return [rank.asc(), date_col.desc(), slug_col.asc()]
    if sort == "date":
        return [date_col.asc().nulls_last(), slug_col.asc()]
    if sort == "title":
        return [title_col.asc(), slug_col.asc()]
    return [date_col.desc().nulls_last(), slug_col.asc()]


EVENT_LOAD = (
    selectinload(Event.measure).selectinload(Measure.technologies),
    selectinload(Event.measure).selectinload(Measure.jurisdiction),
    selectinload(Event.measure).selectinload(Measure.adopted_by),
    selectinload(Event.actor),
    selectinload(Event.jurisdiction),
    selectinload(Event.technologies),
    selectinload(Event.technologies_added),
    selectinload(Event.technologies_removed),
    selectinload(Event.citations).selectinload(Citation.source),
)

MEASURE_LOAD = (
    selectinload(Measure.technologies),
    selectinload(Measure.jurisdiction),
    selectinload(Measure.adopted_by),
    selectinload(Measure.replaces),
)

SOURCE_LOAD = (selectinload(Source.citations).selectinload(Citation.event),)
ACTOR_LOAD = (selectinload(Actor.parent),)


def _search_join(session: DbSession, stmt: Select, f: Filters, collection: str, model):
    """Keep only the rows matching ``q`` and give their rank (None without a search)."""
    if not f.q:
        return stmt, None
    found = search.matches(session, collection, f.q)
    return stmt.join(found, found.c.id == model.id), found.c.rank


# --- measures --------------------------------------------------------------------------


def _measure_start():
    return (
        select(Event.measure_id.label("measure_id"), func.min(Event.date).label("start"))
        .where(Event.measure_id.is_not(None))
        .group_by(Event.measure_id)
        .subquery("measure_start")
    )


def measures_select(session: DbSession, f: Filters, facet_columns: bool = False) -> Select:
    """Select Measure rows matching the filters; a measure's date is its first event's."""
    start = _measure_start()
    place = aliased(Actor, name="place")
    adopter = aliased(Actor, name="adopter")
    stmt = select(Measure)
    if facet_columns or f.effective_sort != "title":
        stmt = stmt.outerjoin(start, start.c.measure_id == Measure.id)
    if facet_columns or f.country or f.region:
        stmt = stmt.outerjoin(place, place.id == Measure.jurisdiction_id).join(
            adopter, adopter.id == Measure.adopted_by_id
        )
    conditions: list[ColumnElement[bool]] = []
    if f.measure_type:
        conditions.append(Measure.measure_type.in_(f.measure_type))
    if f.status:
        conditions.append(Measure.id.in_(_status_ids(session, f)))
    if f.as_of_given:
        conditions.append(
            Measure.id.in_(
                select(Event.measure_id).where(Event.date <= f.as_of, Event.measure_id.is_not(None))
            )
        )
    if f.technology:
        conditions.append(
            Measure.id.in_(
                select(measure_technologies.c.measure_id).where(
                    measure_technologies.c.technology_id.in_(_technology_ids(f.technology))
                )
            )
        )
        if f.as_of_given or f.status:
            # "As of" a date, a measure counts for a technology only while it covered it.
            not_covering = _not_covering_ids(session, f)
            if not_covering:
                conditions.append(Measure.id.not_in(not_covering))
    if f.actor:
        ids = actor_and_descendants(f.actor)
        conditions.append(or_(Measure.adopted_by_id.in_(ids), Measure.jurisdiction_id.in_(ids)))
    if f.country:
        conditions.append(func.coalesce(place.country, adopter.country).in_(f.country))
    if f.region:
        conditions.append(func.coalesce(place.region, adopter.region).in_(f.region))
    if f.date_from or f.date_to:
        in_range = select(Event.measure_id).where(Event.measure_id.is_not(None))
        if f.date_from:
            in_range = in_range.where(Event.date >= f.date_from)
        if f.date_to:
            in_range = in_range.where(Event.date <= f.date_to)
        conditions.append(Measure.id.in_(in_range))
    stmt, rank = _search_join(session, stmt, f, "measures", Measure)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    if facet_columns:
        return stmt.with_only_columns(
            Measure.id.label("id"),
            Measure.id.label("measure_id"),
            Measure.measure_type.label("measure_type"),
            start.c.start.label("date"),
            func.coalesce(place.country, adopter.country).label("country"),
            func.coalesce(place.region, adopter.region).label("region"),
        )
    return stmt.order_by(*_order(f, start.c.start, Measure.title, Measure.slug, rank))


# --- sources and actors ----------------------------------------------------------------


def sources_select(session: DbSession, f: Filters, facet_columns: bool = False) -> Select:
    stmt = select(Source)
    conditions: list[ColumnElement[bool]] = []
    if f.kind:
        conditions.append(Source.kind.in_(f.kind))
    if f.date_from:
        conditions.append(Source.published >= f.date_from)
    if f.date_to:
        conditions.append(Source.published <= f.date_to)
    stmt, rank = _search_join(session, stmt, f, "sources", Source)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    if facet_columns:
        return stmt.with_only_columns(Source.id.label("id"), Source.kind.label("kind"))
    title = func.coalesce(Source.title, Source.publisher, Source.slug)
    return stmt.order_by(*_order(f, Source.published, title, Source.slug, rank))


def actors_select(session: DbSession, f: Filters, facet_columns: bool = False) -> Select:
    stmt = select(Actor)
    conditions: list[ColumnElement[bool]] = []
    if f.kind:
        conditions.append(Actor.kind.in_(f.kind))
    if f.actor:
        conditions.append(Actor.id.in_(actor_and_descendants(f.actor)))
    if f.country:
        conditions.append(Actor.country.in_(f.country))
    if f.region:
        conditions.append(Actor.region.in_(f.region))
    stmt, rank = _search_join(session, stmt, f, "actors", Actor)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    if facet_columns:
        return stmt.with_only_columns(
            Actor.id.label("id"),
            Actor.kind.label("kind"),
            Actor.country.label("country"),
            Actor.region.label("region"),
        )
    if f.effective_sort == "relevance" and rank is not None:
        return stmt.order_by(rank.asc(), Actor.name.asc(), Actor.slug.asc())
    return stmt.order_by(Actor.name.asc(), Actor.slug.asc())


SELECTS = {
    "events": (events_select, EVENT_LOAD),
    "measures": (measures_select, MEASURE_LOAD),
    "sources": (sources_select, SOURCE_LOAD),
    "actors": (actors_select, ACTOR_LOAD),
}


# --- running lists ---------------------------------------------------------------------


def count(session: DbSession, stmt: Select) -> int:
    """Rows of a list select. Only the key column is kept in the subquery: counting rows
    that carry every column (summaries, texts) made SQLite read them all."""
    entity = stmt.column_descriptions[0]["entity"]
    keyed = stmt.with_only_columns(entity.id).order_by(None) if entity is not None else stmt
    total = session.scalar(select(func.count()).select_from(keyed.subquery()))
    assert total is not None  # COUNT(*) always returns one row
    return total


def _status_extra(session: DbSession, f: Filters, measure_ids: list[int]) -> dict:
    """The statuses on ``as_of`` of the measures a page or chunk shows and, for the measures
    list, their milestones (first step, in effect since, ended), from one lookup of their
    lifecycles."""
    lifecycles = measure_lifecycles(session, measure_ids, _dated_technologies(f))
    extra: dict = {"statuses": {mid: status_in(ps, f.as_of) for mid, ps in lifecycles.items()}}
    if f.collection == "measures":
        extra["milestones"] = {mid: milestones(ps, f.as_of) for mid, ps in lifecycles.items()}
    return extra


def page(session: DbSession, f: Filters) -> Page:
    """One page of a list; a page past the end is a 404 (page 1 of nothing is empty)."""
    build, load = SELECTS[f.collection]
    stmt = build(session, f)
    total = count(session, stmt)
    last = max(1, -(-total // f.per_page))
    if f.page > last:
        raise PageNotFound(f"page {f.page} is past the end: there are {last} page(s)")
    items = (
        session.scalars(stmt.options(*load).limit(f.per_page).offset((f.page - 1) * f.per_page))
        .unique()
        .all()
    )
    extra: dict = {}
    if f.collection in ("events", "measures"):
        ids = {(i.measure_id if f.collection == "events" else i.id) for i in items}
        extra.update(_status_extra(session, f, [i for i in ids if i]))
    if f.q:
        extra["snippets"] = search.snippets(session, f.collection, f.q, [i.id for i in items])
    return Page(list(items), total, f.page, f.per_page, extra)


def chunks(session: DbSession, f: Filters, size: int = CHUNK) -> Iterator[tuple[list, dict]]:
    """Every matching row in list order, ``size`` at a time, each chunk with its statuses.

    Only the ids are streamed from one cursor; each chunk's objects are loaded, used and
    dropped, so memory stays flat however many rows match (no cap, no truncation).
    """
    build, load = SELECTS[f.collection]
    stmt = build(session, f)
    models: dict[str, type[Event | Measure | Source | Actor]] = {
        "events": Event,
        "measures": Measure,
        "sources": Source,
        "actors": Actor,
    }
    model = models[f.collection]
    id_stmt = stmt.with_only_columns(model.id)
    result = session.execute(id_stmt.execution_options(yield_per=size, stream_results=True))
    for partition in result.partitions(size):
        ids = [row[0] for row in partition]
        if f.collection == "events":
            objects: dict[int, Any] = event_rows(session, ids)
        else:
            # select() of a union of models types its rows as their common Base.
            loaded = cast(
                "Iterable[Event | Measure | Source | Actor]",
                session.scalars(select(model).where(model.id.in_(ids)).options(*load)).unique(),
            )
            objects = {o.id: o for o in loaded}
        rows = [objects[i] for i in ids]
        extra: dict = {}
        if f.collection in ("events", "measures"):
            mids = {(r.measure_id if f.collection == "events" else r.id) for r in rows}
            extra.update(_status_extra(session, f, [m for m in mids if m]))
        yield rows, extra
        session.expunge_all()


def event_rows(session: DbSession, ids: list[int]) -> dict[int, SimpleNamespace]:
    """Events as light read-only rows shaped like :class:`Event` (same attribute names), in
    four Core queries per chunk instead of ORM objects with seven eager loads.

    Why: building ORM instances was most of the cost of a 100,000-event CSV export. The
    rows go through the same record function as ORM events (``exports.event_record``), so
    JSON and CSV cannot differ in content.
    """
    if not ids:
        return {}
    place = aliased(Actor, name="place")
    actor = aliased(Actor, name="actor")
    place_id = func.coalesce(Measure.jurisdiction_id, Event.jurisdiction_id)
    base = session.execute(
        select(
            Event.id,
            Event.slug,
            Event.date,
            Event.date_precision,
            Event.certainty,
            Event.date_note,
            Event.kind,
            Event.title,
            Event.summary,
            Event.new_sunset,
            Event.new_scope,
            Event.measure_id,
            Event.actor_id,
            Measure.slug.label("m_slug"),
            Measure.title.label("m_title"),
            Measure.measure_type.label("m_type"),
            actor.slug.label("a_slug"),
            actor.name.label("a_name"),
            place.id.label("p_id"),
            place.slug.label("p_slug"),
            place.name.label("p_name"),
            place.country.label("p_country"),
            place.region.label("p_region"),
        )
        .outerjoin(Measure, Measure.id == Event.measure_id)
        .join(actor, actor.id == Event.actor_id)
        .outerjoin(place, place.id == place_id)
        .where(Event.id.in_(ids))
    ).all()
    techs: dict[int, set[str]] = defaultdict(set)
    for event_id, slug in session.execute(
        select(event_technologies.c.event_id, Technology.slug)
        .join(Technology, Technology.id == event_technologies.c.technology_id)
        .where(event_technologies.c.event_id.in_(ids))
    ):
        techs[event_id].add(slug)
    for event_id, slug in session.execute(
        select(Event.id, Technology.slug)
        .join(measure_technologies, measure_technologies.c.measure_id == Event.measure_id)
        .join(Technology, Technology.id == measure_technologies.c.technology_id)
        .where(Event.id.in_(ids))
    ):
        techs[event_id].add(slug)
    changed: dict[tuple[int, str], list[SimpleNamespace]] = defaultdict(list)
    for table, key in ((event_technologies_added, "added"), (event_technologies_removed, "removed")):
        for event_id, slug in session.execute(
            select(table.c.event_id, Technology.slug)
            .join(Technology, Technology.id == table.c.technology_id)
            .where(table.c.event_id.in_(ids))
            .order_by(Technology.slug)
        ):
            changed[(event_id, key)].append(SimpleNamespace(slug=slug))
    cites: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for row in session.execute(
        select(
            Citation.event_id,
            Citation.role,
            Citation.quote,
            Citation.note,
            Source.slug,
            Source.url,
            Source.title,
            Source.publisher,
            Source.kind,
            Source.published,
        )
        .join(Source, Source.id == Citation.source_id)
        .where(Citation.event_id.in_(ids))
        .order_by(Citation.id)
    ):
        source = SimpleNamespace(
            slug=row.slug,
            url=row.url,
            title=row.title,
            publisher=row.publisher,
            kind=row.kind,
            published=row.published,
        )
        cites[row.event_id].append(
            SimpleNamespace(role=row.role, quote=row.quote, note=row.note, source=source)
        )
    out = {}
    for r in base:
        measure = (
            None
            if r.measure_id is None
            else SimpleNamespace(id=r.measure_id, slug=r.m_slug, title=r.m_title, measure_type=r.m_type)
        )
        place_ns = (
            None
            if r.p_id is None
            else SimpleNamespace(
                id=r.p_id, slug=r.p_slug, name=r.p_name, country=r.p_country, region=r.p_region
            )
        )
        out[r.id] = SimpleNamespace(
            id=r.id,
            slug=r.slug,
            date=r.date,
            date_precision=r.date_precision,
            certainty=r.certainty,
            date_note=r.date_note,
            kind=r.kind,
            title=r.title,
            summary=r.summary,
            new_sunset=r.new_sunset,
            new_scope=r.new_scope,
            technologies_added=changed[(r.id, "added")],
            technologies_removed=changed[(r.id, "removed")],
            measure_id=r.measure_id,
            actor_id=r.actor_id,
            measure=measure,
            place=place_ns,
            actor=SimpleNamespace(slug=r.a_slug, name=r.a_name),
            all_technologies=[SimpleNamespace(slug=t) for t in sorted(techs[r.id])],
            citations=cites[r.id],
        )
    return out


# --- facets ----------------------------------------------------------------------------


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


FACETS = {
    "events": ("kind", "measure_type", "status", "technology", "country", "region"),
    "measures": ("measure_type", "status", "technology", "country", "region"),
    "sources": ("kind",),
    "actors": ("kind", "country", "region"),
}


def facets(session: DbSession, f: Filters) -> dict[str, list[FacetValue]]:
    """Counts of the matching rows by each facet, most frequent first (GROUP BY in SQL)."""

    build, _ = SELECTS[f.collection]
    rows = build(session, f, facet_columns=True).subquery("facet_rows")
    out: dict[str, list[FacetValue]] = {}
    kind_vocab = COLLECTIONS[f.collection]["kind"]

    def grouped(column) -> list[tuple[str, int]]:
        stmt = select(column, func.count()).select_from(rows).where(column.is_not(None)).group_by(column)
        return [(v, n) for v, n in session.execute(stmt)]

    for name in FACETS[f.collection]:
        selected = set(getattr(f, name))
        if name == "kind":
            pairs = [(v, kind_vocab.label(v), n) for v, n in grouped(rows.c.kind)]
        elif name == "measure_type":
            pairs = [(v, vocab.MEASURE_TYPES.label(v), n) for v, n in grouped(rows.c.measure_type)]
        elif name == "country":
            pairs = [(v, country_name(v), n) for v, n in grouped(rows.c.country)]
        elif name == "region":
            pairs = [(v, region_name(v), n) for v, n in grouped(rows.c.region)]
        elif name == "status":
            per_measure: dict[int, int] = dict(
                session.execute(
                    select(rows.c.measure_id, func.count())
                    .where(rows.c.measure_id.is_not(None))
                    .group_by(rows.c.measure_id)
                ).all()
            )
            statuses = measure_statuses(session, f.as_of, list(per_measure), _dated_technologies(f))
            counts: dict[str, int] = defaultdict(int)
            for mid, n in per_measure.items():
                status = statuses.get(mid)
                if status:
                    counts[status] += n
            pairs = [(v, vocab.STATUSES.label(v), n) for v, n in counts.items()]
        elif name == "technology":
            links = (
                [
                    select(rows.c.id.label("row_id"), event_technologies.c.technology_id.label("tid")).join(
                        event_technologies, event_technologies.c.event_id == rows.c.id
                    )
                ]
                if f.collection == "events"
                else []
            )
            links.append(
                select(rows.c.id.label("row_id"), measure_technologies.c.technology_id.label("tid")).join(
                    measure_technologies, measure_technologies.c.measure_id == rows.c.measure_id
                )
            )
            linked = union(*links).subquery("tech_links") if len(links) > 1 else links[0].subquery()
            pairs = [
                (slug, name_, n)
                for slug, name_, n in session.execute(
                    select(Technology.slug, Technology.name, func.count())
                    .join(linked, linked.c.tid == Technology.id)
                    .group_by(Technology.slug, Technology.name)
                )
            ]
        else:  # pragma: no cover - FACETS lists only the names above
            raise AssertionError(name)
        pairs.sort(key=lambda p: (-p[2], p[1]))
        out[name] = [FacetValue(v, label, n, v in selected) for v, label, n in pairs]
    return out


def in_effect_by_type(session: DbSession, on: dt.date) -> list[tuple[str, int]]:
    """Headline figures: how many measures of each type are in force on a date."""
    statuses = measure_statuses(session, on)
    types = dict(session.execute(select(Measure.id, Measure.measure_type)).all())
    counts: dict[str, int] = defaultdict(int)
    for mid, status in statuses.items():
        if status == "in_effect":
            counts[types[mid]] += 1

    return [(code, counts[code]) for code in MEASURE_TYPES.codes if counts[code]]
