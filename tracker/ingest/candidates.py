"""The candidates and publishers a statement is matched against, read from the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.db.models import Actor, Event, Measure, split_multi
from tracker.ingest.matching import Candidate, Term
from tracker.ingest.text import PUBLISHER_KINDS, Publisher

# --- from the database ---------------------------------------------------------------------------


def _names(actor) -> list[str]:
    return [actor.name, *actor.alias_list] if actor is not None else []


def candidate_from_event(event) -> Candidate:
    """The matching terms of one event: its actor (and, for a council or agency, the place it
    belongs to), its place, and its measure's identifiers and aliases."""
    terms: list[Term] = []
    actor = event.actor
    # A state or country acting is named by a name shared with many other events.
    actor_weight = {"region": 0.85, "country": 0.7}.get(actor.kind, 1.0)
    for name in _names(actor):
        terms.append(Term(name, f"actor:{actor.slug}", actor_weight))
    if (
        actor.kind in ("legislature", "agency", "court")
        and actor.parent is not None
        and actor.parent.kind != "country"
    ):
        for name in _names(actor.parent):
            terms.append(Term(name, f"place:{actor.parent.slug}", 0.9))
    if actor.kind in ("company", "organisation") and actor.parent is not None:
        for name in _names(actor.parent):
            terms.append(Term(name, f"actor:{actor.parent.slug}", 0.9))
    place = event.place
    if place is not None and place.kind != "country":
        context = (
            tuple(_names(place.parent)) if place.parent is not None and place.parent.kind != "country" else ()
        )
        weight = 1.0 if place.kind in ("city", "county") else 0.85
        for name in _names(place):
            terms.append(Term(name, f"place:{place.slug}", weight, context))
    measure = event.measure
    if measure is not None:
        for name in [*measure.identifier_list, *measure.alias_list]:
            terms.append(Term(name, f"measure:{measure.slug}", 1.0))
        for name in _names(measure.adopted_by):
            terms.append(Term(name, f"actor:{measure.adopted_by.slug}", 0.9))
    seen: set[tuple[str, str]] = set()
    unique = []
    for term in terms:
        key = (term.text.lower(), term.group)
        if key not in seen and len(term.text) >= 2:
            seen.add(key)
            unique.append(term)
    technologies = tuple(t.slug for t in event.all_technologies)
    return Candidate(
        slug=event.slug,
        date=event.date,
        precision=event.date_precision,
        kind=event.kind,
        title=event.title,
        measure_type=measure.measure_type if measure else None,
        actor=actor.slug,
        scope=measure.scope if measure else None,
        technologies=technologies,
        terms=unique,
    )


def load_candidates(session) -> list[Candidate]:
    """Every event in the database as a :class:`Candidate`."""
    events = session.scalars(
        select(Event)
        .options(
            selectinload(Event.actor).selectinload(Actor.parent),
            selectinload(Event.jurisdiction).selectinload(Actor.parent),
            selectinload(Event.measure).selectinload(Measure.jurisdiction).selectinload(Actor.parent),
            selectinload(Event.measure).selectinload(Measure.adopted_by),
            selectinload(Event.measure).selectinload(Measure.technologies),
            selectinload(Event.technologies),
        )
        .order_by(Event.date, Event.slug)
    ).all()
    return [candidate_from_event(e) for e in events]


def load_publishers(session) -> list[Publisher]:
    """The record's possible publishers: names and aliases of its non-place actors."""
    rows = session.execute(
        select(Actor.name, Actor.aliases).where(Actor.kind.in_(PUBLISHER_KINDS)).order_by(Actor.slug)
    ).all()
    return [([name, *split_multi(aliases)], name) for name, aliases in rows]
