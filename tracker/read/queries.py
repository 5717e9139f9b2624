"""Running a list: one page, every row in chunks, and the facet counts, for any collection.

A :class:`~tracker.read.filters.Filters` object goes in; its collection's select
(:mod:`tracker.read.selects`, named by the registry in :mod:`tracker.read.collections`)
finds the rows, and the statuses on ``as_of`` come from :mod:`tracker.read.lifecycles`. The
views only decide how to render the rows (Datasette's "one data function, many renderers"),
so HTML, JSON, CSV, feeds and charts cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Select,
    func,
    select,
    union,
)
from sqlalchemy.orm import aliased

from tracker.core import vocab
from tracker.core.places import country_name, region_name
from tracker.core.status import (
    milestones,
    status_in,
)
from tracker.core.vocab import MEASURE_TYPES
from tracker.db import search
from tracker.db.models import (
    Actor,
    Citation,
    DbSession,
    Event,
    Measure,
    Source,
    Technology,
    event_technologies,
    measure_technologies,
)
from tracker.read.collections import EVENTS, MEASURES, listing
from tracker.read.filters import Filters
from tracker.read.lifecycles import dated_technologies, measure_lifecycles, periods_on
from tracker.read.parameters import PageNotFound

CHUNK = 2000


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
    lifecycles = measure_lifecycles(session, measure_ids, dated_technologies(f))
    extra: dict = {"statuses": {mid: status_in(ps, f.as_of) for mid, ps in lifecycles.items()}}
    if f.collection is MEASURES:
        extra["milestones"] = {mid: milestones(ps, f.as_of) for mid, ps in lifecycles.items()}
    return extra


def page(session: DbSession, f: Filters) -> Page:
    """One page of a list; a page past the end is a 404 (page 1 of nothing is empty)."""
    spec = listing(f.collection)
    stmt = spec.select(session, f)
    total = count(session, stmt)
    last = max(1, -(-total // f.per_page))
    if f.page > last:
        raise PageNotFound(f"page {f.page} is past the end: there are {last} page(s)")
    items = (
        session.scalars(stmt.options(*spec.load).limit(f.per_page).offset((f.page - 1) * f.per_page))
        .unique()
        .all()
    )
    extra: dict = {}
    if spec.statuses:
        ids = {f.collection.measure_id(i) for i in items}
        extra.update(_status_extra(session, f, [i for i in ids if i]))
    if f.q:
        extra["snippets"] = search.snippets(session, f.collection.name, f.q, [i.id for i in items])
    return Page(list(items), total, f.page, f.per_page, extra)


def chunks(session: DbSession, f: Filters, size: int = CHUNK) -> Iterator[tuple[list, dict]]:
    """Every matching row in list order, ``size`` at a time, each chunk with its statuses.

    Only the ids are streamed from one cursor; each chunk's objects are loaded, used and
    dropped, so memory stays flat however many rows match (no cap, no truncation).
    """
    spec = listing(f.collection)
    stmt = spec.select(session, f)
    model = cast("type[Event | Measure | Source | Actor]", f.collection.model)
    id_stmt = stmt.with_only_columns(model.id)
    result = session.execute(id_stmt.execution_options(yield_per=size, stream_results=True))
    for partition in result.partitions(size):
        ids = [row[0] for row in partition]
        # select() of a union of models types its rows as their common Base.
        loaded = cast(
            "Iterable[Event | Measure | Source | Actor]",
            session.scalars(select(model).where(model.id.in_(ids)).options(*spec.load)).unique(),
        )
        objects: dict[int, Any] = {o.id: o for o in loaded}
        rows = [objects[i] for i in ids]
        extra: dict = {}
        if spec.statuses:
            mids = {f.collection.measure_id(r) for r in rows}
            extra.update(_status_extra(session, f, [m for m in mids if m]))
        yield rows, extra
        session.expunge_all()


@dataclass(frozen=True)
class ExportRow:
    """One event as the CSV export needs it, from plain SQL rows (no ORM objects): ``row``
    holds the event's, its measure's, actor's and place's columns and the measure's status
    on the filter's date; ``technologies`` are sorted slugs (the event's and its measure's);
    ``citations`` are ``(title, publisher, source slug, url, quote, role, source kind)`` in
    citation order."""

    row: Any
    technologies: list[str]
    citations: list[tuple]


def event_export(session: DbSession, f: Filters, size: int = CHUNK) -> Iterator[list[ExportRow]]:
    """Every matching event in list order, ``size`` at a time, for the CSV export.

    Why not :func:`chunks`: at 100,000 events, building ORM objects (or look-alikes) and
    then JSON records was most of an export's time. Here each chunk is three statements
    (the events with their joins and the statuses, as SQL over the stored periods; their
    technologies; their citations) returning plain rows. The ids stream from one cursor in
    list order, so memory stays flat. A test checks the CSV made from these rows equals
    the one made from the JSON records of the same events.
    """
    if f.collection is not EVENTS:
        raise ValueError("event_export is for the events list")
    id_stmt = listing(EVENTS).select(session, f).with_only_columns(Event.id)
    on = periods_on(session, f.as_of, dated_technologies(f)).subquery("on_date")
    place = aliased(Actor, name="place")
    actor = aliased(Actor, name="actor")
    base = (
        select(
            Event.id,
            Event.slug,
            Event.date,
            Event.date_precision,
            Event.certainty,
            Event.needs_confirmation,
            Event.kind,
            Event.title,
            Event.summary,
            Measure.slug.label("m_slug"),
            Measure.title.label("m_title"),
            Measure.measure_type.label("m_type"),
            on.c.status,
            actor.slug.label("a_slug"),
            actor.name.label("a_name"),
            place.slug.label("p_slug"),
            place.name.label("p_name"),
            place.country.label("p_country"),
            place.region.label("p_region"),
        )
        .outerjoin(Measure, Measure.id == Event.measure_id)
        .join(actor, actor.id == Event.actor_id)
        .outerjoin(place, place.id == func.coalesce(Measure.jurisdiction_id, Event.jurisdiction_id))
        .outerjoin(on, on.c.measure_id == Event.measure_id)
    )
    result = session.execute(id_stmt.execution_options(yield_per=size, stream_results=True))
    for partition in result.partitions(size):
        ids = [row[0] for row in partition]
        rows = {row.id: row for row in session.execute(base.where(Event.id.in_(ids)))}
        techs: dict[int, set[str]] = defaultdict(set)
        own = (
            select(event_technologies.c.event_id, Technology.slug)
            .join(Technology, Technology.id == event_technologies.c.technology_id)
            .where(event_technologies.c.event_id.in_(ids))
        )
        inherited = (
            select(Event.id, Technology.slug)
            .join(measure_technologies, measure_technologies.c.measure_id == Event.measure_id)
            .join(Technology, Technology.id == measure_technologies.c.technology_id)
            .where(Event.id.in_(ids))
        )
        for event_id, slug in session.execute(union(own, inherited)):
            techs[event_id].add(slug)
        cites: dict[int, list[tuple]] = defaultdict(list)
        for event_id, *cited in session.execute(
            select(
                Citation.event_id,
                Source.title,
                Source.publisher,
                Source.slug,
                Source.url,
                Citation.quote,
                Citation.role,
                Source.kind,
            )
            .join(Source, Source.id == Citation.source_id)
            .where(Citation.event_id.in_(ids))
            .order_by(Citation.id)
        ):
            cites[event_id].append(tuple(cited))
        yield [ExportRow(rows[i], sorted(techs[i]), cites[i]) for i in ids]


# --- facets ----------------------------------------------------------------------------


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


def facets(session: DbSession, f: Filters) -> dict[str, list[FacetValue]]:
    """Counts of the matching rows by each facet, most frequent first (GROUP BY in SQL)."""

    spec = listing(f.collection)
    rows = spec.select(session, f, facet_columns=True).subquery("facet_rows")
    out: dict[str, list[FacetValue]] = {}
    kind_vocab = spec.kind

    def grouped(column) -> list[tuple[str, int]]:
        stmt = select(column, func.count()).select_from(rows).where(column.is_not(None)).group_by(column)
        return [(v, n) for v, n in session.execute(stmt)]

    for name in spec.facets:
        selected = set(getattr(f, name))
        if name == "kind" and kind_vocab is not None:
            pairs = [(v, kind_vocab.label(v), n) for v, n in grouped(rows.c.kind)]
        elif name == "measure_type":
            pairs = [(v, vocab.MEASURE_TYPES.label(v), n) for v, n in grouped(rows.c.measure_type)]
        elif name == "country":
            pairs = [(v, country_name(v), n) for v, n in grouped(rows.c.country)]
        elif name == "region":
            pairs = [(v, region_name(v), n) for v, n in grouped(rows.c.region)]
        elif name == "status":
            on = periods_on(session, f.as_of, dated_technologies(f)).subquery("on_date")
            stmt = (
                select(on.c.status, func.count())
                .select_from(rows)
                .join(on, on.c.measure_id == rows.c.measure_id)
                .group_by(on.c.status)
            )
            pairs = [(v, vocab.STATUSES.label(v), n) for v, n in session.execute(stmt)]
        elif name == "technology":
            links = (
                [
                    select(rows.c.id.label("row_id"), event_technologies.c.technology_id.label("tid")).join(
                        event_technologies, event_technologies.c.event_id == rows.c.id
                    )
                ]
                if f.collection is EVENTS
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
        else:  # pragma: no cover - the registry lists only the names above
            raise AssertionError(name)
        pairs.sort(key=lambda p: (-p[2], p[1]))
        out[name] = [FacetValue(v, label, n, v in selected) for v, label, n in pairs]
    return out


def in_effect_by_type(session: DbSession, on: dt.date) -> list[tuple[str, int]]:
    """Headline figures: how many measures of each type are in force on a date (one
    GROUP BY over the stored periods)."""
    holding = periods_on(session, on).subquery("on_date")
    counts = {
        kind: n
        for kind, n in session.execute(
            select(Measure.measure_type, func.count())
            .join(holding, holding.c.measure_id == Measure.id)
            .where(holding.c.status == "in_effect")
            .group_by(Measure.measure_type)
        )
    }
    return [(code, counts[code]) for code in MEASURE_TYPES.codes if counts.get(code)]
