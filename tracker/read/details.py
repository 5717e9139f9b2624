"""What a detail page shows, as data: one function per collection, used by the HTML page and
its ``.json`` twin alike, so the two cannot load different things.

Each function raises NotFound (a 404 naming the slug) when no record has the slug. ``on`` is
the date statuses are computed for (the page's ``as_of``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from tracker.core.status import Period, status_in
from tracker.db.models import Actor, Citation, DbSession, Event, Measure, Source
from tracker.read import lifecycles, selects


@dataclass(frozen=True)
class MeasureHistory:
    """A measure's lifecycle (the same derivation as every list: replacements and the end of
    its session included), its status on the day asked, and, when its technologies change on
    a date, when it covered each of them."""

    periods: list[Period]
    status: str | None
    coverage: dict[str, list[tuple[dt.date | None, dt.date | None]]] = field(default_factory=dict)


@dataclass(frozen=True)
class EventDetail:
    event: Event
    on: dt.date
    history: MeasureHistory | None
    siblings: list[Event]

    @property
    def statuses(self) -> dict[int, str | None]:
        return {self.event.measure_id: self.history.status} if self.history and self.event.measure_id else {}


@dataclass(frozen=True)
class MeasureDetail:
    measure: Measure
    on: dt.date
    history: MeasureHistory
    replaced_by: list[Measure]


@dataclass(frozen=True)
class ActorDetail:
    actor: Actor
    on: dt.date
    own: list[Measure]
    below: list[Measure]
    statuses: dict[int, str | None]
    events: list[Event]
    published: list[Source]


@dataclass(frozen=True)
class SourceDetail:
    source: Source
    on: dt.date


def _get(session: DbSession, model, slug: str, *options):
    obj = session.scalar(select(model).where(model.slug == slug).options(*options))
    if obj is None:
        raise NotFound(f"no {model.__name__.lower()} with slug {slug!r}")
    return obj


def measure_history(session: DbSession, measure: Measure, on: dt.date) -> MeasureHistory:
    found = lifecycles.histories(session, [measure.id])
    periods = found.lifecycles.get(measure.id, [])
    return MeasureHistory(periods, status_in(periods, on), found.coverage.get(measure.id, {}))


def event_detail(session: DbSession, slug: str, on: dt.date) -> EventDetail:
    event = _get(session, Event, slug, *selects.EVENT_LOAD)
    history = measure_history(session, event.measure, on) if event.measure else None
    siblings = list(event.measure.events) if event.measure else []
    return EventDetail(event, on, history, siblings)


def measure_detail(session: DbSession, slug: str, on: dt.date) -> MeasureDetail:
    measure = _get(
        session,
        Measure,
        slug,
        *selects.MEASURE_LOAD,
        selectinload(Measure.events).selectinload(Event.citations).selectinload(Citation.source),
    )
    replaced_by = list(session.scalars(select(Measure).where(Measure.replaces_id == measure.id)))
    return MeasureDetail(measure, on, measure_history(session, measure, on), replaced_by)


def actor_detail(session: DbSession, slug: str, on: dt.date) -> ActorDetail:
    """The actor, the measures it adopted or that apply to it (``own``), those of the places
    and bodies under it (``below``), its events, and the sources it published."""
    actor = _get(session, Actor, slug, selectinload(Actor.children), selectinload(Actor.parent))
    tree = selects.actor_and_descendants([actor.slug])
    own = list(
        session.scalars(
            select(Measure)
            .where(or_(Measure.adopted_by_id == actor.id, Measure.jurisdiction_id == actor.id))
            .options(*selects.MEASURE_LOAD)
            .order_by(Measure.title)
        )
    )
    below_query = select(Measure).where(
        or_(Measure.adopted_by_id.in_(tree), Measure.jurisdiction_id.in_(tree))
    )
    if own:
        below_query = below_query.where(Measure.id.not_in([m.id for m in own]))
    below = list(session.scalars(below_query.options(*selects.MEASURE_LOAD).order_by(Measure.title)))
    statuses = lifecycles.measure_statuses(session, on, [m.id for m in own + below])
    events = list(
        session.scalars(
            select(Event).where(Event.actor_id == actor.id).order_by(Event.date.desc(), Event.slug)
        )
    )
    names = [actor.name, *actor.alias_list]
    published = list(
        session.scalars(
            select(Source)
            .where(Source.publisher.in_(names))
            .order_by(Source.published.desc().nulls_last(), Source.slug)
        )
    )
    return ActorDetail(actor, on, own, below, statuses, events, published)


def source_detail(session: DbSession, slug: str, on: dt.date) -> SourceDetail:
    source = _get(session, Source, slug, selectinload(Source.citations).selectinload(Citation.event))
    return SourceDetail(source, on)
