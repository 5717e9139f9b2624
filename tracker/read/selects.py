"""One SQLAlchemy ``Select`` per list collection: the rows a :class:`~tracker.read.filters.Filters`
asks for, in its order.

These are the builders the collection registry (:mod:`tracker.read.collections`) names; the
runners in :mod:`tracker.read.queries` page, stream and facet them, so HTML, JSON, CSV,
feeds and charts all select through the same code. Status filters become ``IN`` clauses of
measure ids computed by :mod:`tracker.read.lifecycles`, or, for a page of measures in date
order, a lookup of each measure's status as the list is walked (:func:`status_on`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, Table, and_, func, or_, select, union_all
from sqlalchemy.orm import aliased, selectinload

from tracker.db import mapstore, search
from tracker.db.models import (
    Actor,
    Citation,
    DbSession,
    Event,
    Measure,
    MeasurePeriod,
    MeasureStart,
    Source,
    Technology,
    event_technologies,
    measure_technologies,
)
from tracker.db.periods import ensure_current
from tracker.read.lifecycles import dated_technologies, not_covering_ids, status_ids

if TYPE_CHECKING:
    from tracker.read.filters import Filters


def actor_and_descendants(slugs: Iterable[str]):
    """A select of the ids of the given actors and everything below them (recursive CTE)."""
    tree = select(Actor.id).where(Actor.slug.in_(list(slugs))).cte("actor_tree", recursive=True)
    child = aliased(Actor)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


def measure_place() -> ColumnElement[int]:
    """A measure's place, as SQL: its jurisdiction, or else its adopter when the adopter is
    itself a place (:func:`tracker.db.mapstore.measure_place`, in a subquery): the level "what
    applies here" and "what changed when" say a measure comes from."""
    adopter = aliased(Actor, name="place_adopter")
    return func.coalesce(
        Measure.jurisdiction_id,
        select(mapstore.adopter_place(adopter)).where(adopter.id == Measure.adopted_by_id).scalar_subquery(),
    )


def _technology_ids(slugs: Iterable[str]):
    return select(Technology.id).where(Technology.slug.in_(list(slugs)))


# --- events ----------------------------------------------------------------------------


def events_select(session: DbSession, f: Filters, facet_columns: bool = False, paged: bool = True) -> Select:
    """Select Event rows matching the filters, in the filter's order.

    ``paged=False`` (the CSV export: every row) writes the same order as the other lists do,
    with ``NULLS LAST``: on PostgreSQL that keeps a whole export on one sort of the rows,
    where the paged form (see :func:`_order`) led it to read all of them backwards through
    the date index, 2.2 s instead of 1.65 s for 100,000 events. Every event has a date, so
    both forms give the same order.

    With ``facet_columns`` the same rows come as plain key columns for the facet counts, so
    they share every condition: id, kind, measure_id, the event's own ``jurisdiction_id``
    (its measure's, where it has one, comes first) and ``fallback_id``, the acting actor,
    whose country and region count where the place has none. Keys rather than joined names,
    and no join the filters do not need: the counts group these by measure or by place and
    join names to the groups, not to each of 100,000 rows per facet.
    """
    place = aliased(Actor, name="place")
    event_actor = aliased(Actor, name="event_actor")
    place_id = func.coalesce(Measure.jurisdiction_id, Event.jurisdiction_id)
    # Join only what the filters need: an unfiltered count over 100,000 events with three
    # joins cost ~100 ms, without them a few.
    needs_place = bool(f.country or f.region)
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
        conditions.append(Event.measure_id.in_(status_ids(session, f)))
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
            Event.jurisdiction_id.label("jurisdiction_id"),
            Event.actor_id.label("fallback_id"),
        )
    return stmt.order_by(*_order(f, Event.date, Event.title, Event.slug, rank, dates_nullable=not paged))


def _order(f: Filters, date_col, title_col, slug_col, rank, dates_nullable: bool = True):
    """The list order. ``dates_nullable=False`` (a page of events: every event has a date)
    leaves out NULLS LAST, which changes nothing there but lets PostgreSQL read the newest
    first backwards from the date index: ``DESC NULLS LAST`` is not the order of a backward
    scan, so it sorted every event for a page of 50 (50 ms at 300,000)."""
    sort = f.effective_sort
    if sort == "relevance" and rank is not None:
        return [rank.asc(), date_col.desc(), slug_col.asc()]
    if sort == "date":
        return [date_col.asc().nulls_last() if dates_nullable else date_col.asc(), slug_col.asc()]
    if sort == "title":
        return [title_col.asc(), slug_col.asc()]
    return [date_col.desc().nulls_last() if dates_nullable else date_col.desc(), slug_col.asc()]


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
    selectinload(Measure.status_checked_source),
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


def selects_everything(stmt: Select) -> bool:
    """Whether a list's select keeps every row of its table: no condition, and no join (a
    search or a place filter joins). Callers then read the table itself, through its own
    indexes, instead of filtering it by its own ids or materialising all of it."""
    froms = stmt.get_final_froms()
    # One FROM that is a table: a join is one FROM too.
    return stmt.whereclause is None and len(froms) == 1 and isinstance(froms[0], Table)


def _measure_start():
    """Each measure's first event's day, as stored (``measure_starts``, derived with the
    periods; grouping every event per request is what it replaces)."""
    return select(MeasureStart.measure_id.label("measure_id"), MeasureStart.start.label("start")).subquery(
        "measure_start"
    )


def measures_select(session: DbSession, f: Filters, facet_columns: bool = False) -> Select:
    """Select Measure rows matching the filters; a measure's date is its first event's."""
    start = _measure_start()
    place = aliased(Actor, name="place")
    adopter = aliased(Actor, name="adopter")
    stmt = select(Measure)
    # A list "as of" a date (or by status on it) holds only measures recorded by then: their
    # first event's day is on or before it (a period begins no earlier than the first
    # event). Read from the stored first days, walked newest first, a page of the default
    # order stops after its rows instead of sorting every match (at 300,000 events, 36,000
    # measures in effect on 2021-01-01 were sorted for a page of 50).
    dated = f.as_of_given or bool(f.status)
    by_date = not facet_columns and f.effective_sort in ("date", "-date")
    if not facet_columns and (dated or f.effective_sort != "title"):
        ensure_current(session)  # this transaction's own writes are in the stored days
        if dated:
            stmt = stmt.join(start, start.c.measure_id == Measure.id).where(start.c.start <= f.as_of)
        else:
            stmt = stmt.outerjoin(start, start.c.measure_id == Measure.id)
    if f.country or f.region:
        stmt = stmt.outerjoin(place, place.id == Measure.jurisdiction_id).join(
            adopter, adopter.id == Measure.adopted_by_id
        )
    conditions: list[ColumnElement[bool]] = []
    if f.measure_type:
        conditions.append(Measure.measure_type.in_(f.measure_type))
    if f.status and by_date and not dated_technologies(f):
        # Each measure's status looked up as it is walked (one seek in the periods' key):
        # an IN over every measure with the status would be built first.
        conditions.append(status_on(f.as_of).in_(f.status))
    elif f.status:
        conditions.append(Measure.id.in_(status_ids(session, f)))
    if f.as_of_given and (facet_columns or not dated):
        # Recorded by then: some event on or before as_of. A correlated EXISTS is one seek
        # in the (measure, date) index per measure; an IN over the events' dates, or the
        # first-date subquery, reads every event.
        conditions.append(
            select(Event.id).where(Event.measure_id == Measure.id, Event.date <= f.as_of).exists()
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
            conditions.append(Measure.id.not_in(not_covering_ids(session, f)))
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
            Measure.jurisdiction_id.label("jurisdiction_id"),
            Measure.adopted_by_id.label("fallback_id"),
        )
    # Recorded by the date: every row has a first day, and without NULLS LAST PostgreSQL
    # reads the first days' index backwards for the newest.
    return stmt.order_by(
        *_order(f, start.c.start, Measure.title, Measure.slug, rank, dates_nullable=not dated)
    )


def status_on(day: dt.date):
    """A measure's status on ``day`` (NULL: none), as a correlated scalar subquery on the
    periods' key."""
    return (
        select(MeasurePeriod.status)
        .where(
            MeasurePeriod.measure_id == Measure.id,
            MeasurePeriod.start <= day,
            or_(MeasurePeriod.end.is_(None), MeasurePeriod.end > day),
        )
        .scalar_subquery()
    )


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
