"""What the lists' filter form offers: every technology, every actor (for the place field's
suggestions) and every region, with the labels pages print.

Why the whole vocabulary and not only what the current rows contain (the facets do that):
the form must let a visitor ask for any place or technology before a first search, and
without JavaScript, so the choices are in the page itself (checkboxes, a ``<datalist>``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from tracker.core.places import place_display_name, region_name
from tracker.db.models import Actor, DbSession, Technology
from tracker.read.filters import actor_name_keys


@dataclass(frozen=True)
class FormChoices:
    technologies: list[tuple[str, str]]  # (slug, name), by name
    actors: list[tuple[str, str]]  # (field text, display name), by display name
    regions: list[tuple[str, str]]  # (ISO 3166-2 code, name), by name
    # What the place field shows for a chosen actor's slug (see actor_field_texts).
    actor_texts: dict[str, str] = field(default_factory=dict)


def actor_field_texts(actors) -> dict[str, str]:
    """Slug → what the place field holds for that actor: its display name ("Portland,
    Oregon") when that names it alone, else its slug.

    Why: a visitor reads and types names, and the field must show after a search what was
    asked, not "portland-oregon"; but a name the filters would find ambiguous (another
    actor's name, alias or slug) would answer the next search with a 400, so that actor
    keeps its slug. ``actors`` rows carry slug, name, kind, country, region and aliases;
    the names counted are :func:`tracker.read.filters.actor_name_keys`, the ones the
    filters match."""
    keys: Counter[str] = Counter()
    displays: dict[str, str] = {}
    for a in actors:
        displays[a.slug] = place_display_name(a.name, a.kind, a.country, a.region)
        keys.update({a.slug} | actor_name_keys(a))
    return {slug: display if keys[display.casefold()] == 1 else slug for slug, display in displays.items()}


def form_choices(session: DbSession) -> FormChoices:
    technologies = session.execute(select(Technology.slug, Technology.name)).all()
    actors = session.execute(
        select(Actor.slug, Actor.name, Actor.kind, Actor.country, Actor.region, Actor.aliases)
    ).all()
    codes = {a.region for a in actors if a.region}
    texts = actor_field_texts(actors)
    return FormChoices(
        technologies=sorted(((t.slug, t.name) for t in technologies), key=lambda t: (t[1].casefold(), t[0])),
        actors=sorted(
            ((texts[a.slug], place_display_name(a.name, a.kind, a.country, a.region)) for a in actors),
            key=lambda a: (a[1].casefold(), a[0]),
        ),
        regions=sorted(
            ((code, region_name(code)) for code in codes),
            key=lambda r: (r[1].casefold(), r[0]),
        ),
        actor_texts=texts,
    )
