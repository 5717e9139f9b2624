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
from types import SimpleNamespace
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
    event_technologies_added,
    event_technologies_removed,
    measure_technologies,
)
from tracker.read.collections import EVENTS, MEASURES, listing
from tracker.read.filters import Filters
from tracker.read.lifecycles import dated_technologies, measure_lifecycles, measure_statuses
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
        if f.collection is EVENTS:
            objects: dict[int, Any] = event_rows(session, ids)
        else:
            # select() of a union of models types its rows as their common Base.
            loaded = cast(
                "Iterable[Event | Measure | Source | Actor]",
                session.scalars(select(model).where(model.id.in_(ids)).options(*spec.load)).unique(),
            )
            objects = {o.id: o for o in loaded}
        rows = [objects[i] for i in ids]
        extra: dict = {}
        if spec.statuses:
            mids = {f.collection.measure_id(r) for r in rows}
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
            per_measure: dict[int, int] = dict(
                session.execute(
                    select(rows.c.measure_id, func.count())
                    .where(rows.c.measure_id.is_not(None))
                    .group_by(rows.c.measure_id)
                ).all()
            )
            statuses = measure_statuses(session, f.as_of, list(per_measure), dated_technologies(f))
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
    """Headline figures: how many measures of each type are in force on a date."""
    statuses = measure_statuses(session, on)
    types = dict(session.execute(select(Measure.id, Measure.measure_type)).all())
    counts: dict[str, int] = defaultdict(int)
    for mid, status in statuses.items():
        if status == "in_effect":
            counts[types[mid]] += 1

    return [(code, counts[code]) for code in MEASURE_TYPES.codes if counts[code]]
