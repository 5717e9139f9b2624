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

from tracker.core import vocab
from tracker.core.codes import SLUG_RE
from tracker.core.places import EU, EU_MEMBERS
from tracker.core.status import Period, status_in
from tracker.db.models import Actor, Citation, DbSession, Event, Measure, MeasurePeriod, Source
from tracker.read import chartdata, lifecycles, selects
from tracker.read.parameters import BadParameter, ParameterNotFound

# The statuses of a measure that "applies" in a place on a date: in force, or on its way
# (signed and awaiting its effective date, passed awaiting signature, pending). Ended ones
# (expired, repealed, failed, struck down, replaced) no longer apply.
APPLYING = ("in_effect", "adopted", "passed", "pending")


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
class Applying:
    """A measure that applies in a place on a date: its status then and since when, the
    level it comes from (the place itself or one above it, ``depth`` steps up), and the
    strongest evidence of its steps up to that date (None when none is cited)."""

    measure: Measure
    status: str
    since: dt.date
    since_precision: str
    level: Actor
    depth: int
    citation: Citation | None


@dataclass(frozen=True)
class ActorDetail:
    actor: Actor
    on: dt.date
    own: list[Measure]
    below: list[Measure]
    statuses: dict[int, str | None]
    events: list[Event]
    published: list[Source]
    # For a place: itself and the places above it (state, country, the EU), nearest first,
    # and what applies there on ``on``. Empty for actors that are not places.
    levels: list[Actor] = field(default_factory=list)
    applies: list[Applying] = field(default_factory=list)


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
    levels = place_levels(session, actor)
    return ActorDetail(
        actor, on, own, below, statuses, events, published, levels, what_applies(session, levels, on)
    )


def place_levels(session: DbSession, actor: Actor) -> list[Actor]:
    """A place and every place above it, nearest first: Boston, Massachusetts, the United
    States; for a member state of the European Union (or a place in one), the EU last, since
    EU law applies there though the EU is no actor's parent. Not a place: none (a company's
    or a council's own measures are on its page already; "what applies here" is about
    where people live)."""
    if not actor.is_place:
        return []
    levels: list[Actor] = []
    seen: set[int] = set()
    current: Actor | None = actor
    while current is not None and current.is_place and current.id not in seen:
        levels.append(current)
        seen.add(current.id)
        current = current.parent
    country = levels[-1].country
    if country in EU_MEMBERS:
        eu = session.scalar(
            select(Actor)
            .where(Actor.country == EU, Actor.kind == "country", Actor.parent_id.is_(None))
            .order_by(Actor.slug)
            .limit(1)
        )
        if eu is not None and eu.id not in seen:
            levels.append(eu)
    return levels


def what_applies(session: DbSession, levels: list[Actor], on: dt.date) -> list[Applying]:
    """Every measure of the given places in force or pending on ``on`` (:data:`APPLYING`),
    nearest level first, then in force before pending, then by type (ban first) and title.

    The statuses come from the stored periods, as SQL (:func:`lifecycles.periods_on`), so
    this is the same answer as ``/measures?actor=...&status=...&as_of=...`` for each level,
    not a second derivation."""
    if not levels:
        return []
    depth = {a.id: i for i, a in enumerate(levels)}
    on_date = lifecycles.periods_on(session, on).add_columns(MeasurePeriod.start).subquery("on_date")
    place_id = selects.measure_place().label("place_id")
    rows = session.execute(
        select(Measure.id, on_date.c.status, on_date.c.start, place_id)
        .join(on_date, on_date.c.measure_id == Measure.id)
        .where(on_date.c.status.in_(APPLYING), place_id.in_(list(depth)))
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    loaded = session.scalars(select(Measure).where(Measure.id.in_(ids)).options(*selects.MEASURE_LOAD))
    measures = {m.id: m for m in loaded}
    best = strongest_citations(session, ids, on)
    precision = chartdata.precisions(session, ids)
    by_id = {a.id: a for a in levels}
    type_rank = {code: i for i, code in enumerate(vocab.MEASURE_TYPES.codes)}
    found = [
        Applying(
            measures[r.id],
            r.status,
            r.start,
            precision.get((r.id, r.start), "day"),
            by_id[r.place_id],
            depth[r.place_id],
            best.get(r.id),
        )
        for r in rows
    ]
    found.sort(
        key=lambda a: (
            a.depth,
            a.status != "in_effect",
            type_rank.get(a.measure.measure_type, len(type_rank)),
            a.measure.title,
            a.measure.slug,
        )
    )
    return found


def strongest_citations(session: DbSession, measure_ids: list[int], on: dt.date) -> dict[int, Citation]:
    """For each measure, the strongest citation of its events dated on or before ``on`` (the
    evidence a reader could cite for its status then), by the order event pages use
    (:func:`tracker.core.vocab.evidence_strength`: original records before copies, the
    primary record before news, quoted before unquoted); ties go to the latest step, which
    set the status, then to the source's slug."""
    best: dict[int, tuple[tuple, Citation]] = {}
    citations = session.scalars(
        select(Citation)
        .join(Event, Event.id == Citation.event_id)
        .where(Event.measure_id.in_(measure_ids), Event.date <= on)
        .options(selectinload(Citation.source), selectinload(Citation.event))
    )
    for c in citations:
        assert c.event.measure_id is not None  # selected by measure
        strength = vocab.evidence_strength(c.source.kind, c.role, c.quote)
        key = (strength, -c.event.date.toordinal(), c.source.slug)
        current = best.get(c.event.measure_id)
        if current is None or key < current[0]:
            best[c.event.measure_id] = (key, c)
    return {mid: c for mid, (_, c) in best.items()}


def source_detail(session: DbSession, slug: str, on: dt.date) -> SourceDetail:
    source = _get(session, Source, slug, selectinload(Source.citations).selectinload(Citation.event))
    return SourceDetail(source, on)


def place_label(place: Actor) -> str:
    """A place as a chooser lists it: "Boston, Massachusetts", "Germany" (the one display
    name, :func:`tracker.core.places.place_display_name`: names repeat, Portland, Springfield,
    and the place above them does not)."""
    return place.display_name


def place_choices(session: DbSession) -> list[tuple[str, str]]:
    """``(slug, label)`` of every place, by label: the home page's "what applies" chooser."""
    places = session.scalars(
        select(Actor).where(Actor.kind.in_(vocab.PLACE_KINDS)).options(selectinload(Actor.parent))
    )
    return sorted(((p.slug, place_label(p)) for p in places), key=lambda c: (c[1].casefold(), c[0]))


def find_place(session: DbSession, text: str) -> Actor:
    """The place a visitor named: its slug (what the home page's chooser sends), or its name
    or one of its aliases, in any case. A 404 naming ``place`` when nothing matches, a 400
    when the name fits several places (which are listed) or names an actor that is no
    place, so the visitor knows what to type instead."""
    if SLUG_RE.match(text):
        actor = session.scalar(select(Actor).where(Actor.slug == text))
        if actor is not None:
            if not actor.is_place:
                kind = vocab.ACTOR_KINDS.label(actor.kind).lower()
                raise BadParameter("place", f"{actor.name} is a {kind}, not a place: choose a place")
            return actor
    wanted = text.casefold()
    places = session.scalars(
        select(Actor).where(Actor.kind.in_(vocab.PLACE_KINDS)).options(selectinload(Actor.parent))
    ).all()
    found = [p for p in places if wanted in {n.casefold() for n in [p.name, *p.alias_list]}]
    if not found:
        raise ParameterNotFound("place", f"no place called {text!r} is recorded")
    if len(found) > 1:
        names = "; ".join(f"{place_label(p)}: {p.slug}" for p in sorted(found, key=place_label))
        raise BadParameter("place", f"{text!r} names several places ({names}): give its slug")
    return found[0]
