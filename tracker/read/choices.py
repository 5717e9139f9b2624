"""What the lists' filter form offers: every technology, every actor (for the place field's
suggestions) and every region, with the labels pages print.

Why the whole vocabulary and not only what the current rows contain (the facets do that):
the form must let a visitor ask for any place or technology before a first search, and
without JavaScript, so the choices are in the page itself (checkboxes, a ``<datalist>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tracker.core.places import place_display_name, region_name
from tracker.db.models import Actor, DbSession, Technology


@dataclass(frozen=True)
class FormChoices:
    technologies: list[tuple[str, str]]  # (slug, name), by name
    actors: list[tuple[str, str]]  # (slug, display name), by display name
    regions: list[tuple[str, str]]  # (ISO 3166-2 code, name), by name


def region_label(code: str, region_actors: dict[str, str]) -> str:
    """A region's name: the US state's name, else the name of the region recorded with that
    code (Hamburg for DE-HH), else the code itself."""
    named = region_name(code)
    return named if named != code else region_actors.get(code, code)


def form_choices(session: DbSession) -> FormChoices:
    technologies = session.execute(select(Technology.slug, Technology.name)).all()
    actors = session.execute(select(Actor.slug, Actor.name, Actor.kind, Actor.country, Actor.region)).all()
    region_actors = {a.region: a.name for a in actors if a.kind == "region" and a.region}
    codes = {a.region for a in actors if a.region}
    return FormChoices(
        technologies=sorted(((t.slug, t.name) for t in technologies), key=lambda t: (t[1].casefold(), t[0])),
        actors=sorted(
            ((a.slug, place_display_name(a.name, a.kind, a.country, a.region)) for a in actors),
            key=lambda a: (a[1].casefold(), a[0]),
        ),
        regions=sorted(
            ((code, region_label(code, region_actors)) for code in codes),
            key=lambda r: (r[1].casefold(), r[0]),
        ),
    )
