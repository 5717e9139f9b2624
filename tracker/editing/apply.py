"""Editing records: values in, model changes out, with slugs, references and dependents.

Forms, reverts and statement ingestion all change records through :func:`apply_values`, which
takes values in the snapshot shape of :mod:`tracker.revisions` (references as slugs), so there
is one place that knows how a slug becomes a related object.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from sqlalchemy import func, or_, select

from tracker.core import vocab
from tracker.datafiles.spec import BY_NAME
from tracker.db.models import Actor, Citation, DbSession, Event, Measure, Source, Technology
from tracker.read.collections import COLLECTIONS

SLUG_MAX = 80


class EditError(ValueError):
    """A value cannot be applied (e.g. a reference to a record that no longer exists)."""


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """ASCII words joined by hyphens, cut at a word boundary: 'Cambridge, MA' → 'cambridge-ma'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or "record"


def unique_slug(session: DbSession, model: type[Any], base: str) -> str:
    """``base``, or ``base-2``, ``base-3``…: unique in its collection and never reserved.

    Slugs are generated once, on creation, and never change on edit, so links stay valid."""
    slug = slugify(base)
    if slug in vocab.RESERVED_SLUGS:
        slug = f"{slug}-1"
    taken = set(
        session.scalars(select(model.slug).where(or_(model.slug == slug, model.slug.like(f"{slug}-%"))))
    )
    if slug not in taken:
        return slug
    n = 2
    while f"{slug}-{n}" in taken:
        n += 1
    return f"{slug}-{n}"


def slug_base(collection: str, values: dict[str, Any]) -> str:
    """What a new record's slug is made of."""
    if collection == "actors":
        return values.get("name") or "actor"
    if collection == "events":
        date = values.get("date")
        year = date.year if isinstance(date, dt.date) else ""
        return f"{values.get('title') or 'event'} {year}"
    if collection == "sources":
        return values.get("title") or values.get("publisher") or "source"
    return values.get("title") or collection


def _singular(collection: str) -> str:
    return "technology" if collection == "technologies" else COLLECTIONS[collection].singular


def _resolve(session: DbSession, collection: str, slug: str | None):
    if slug in (None, ""):
        return None
    # A reference names a record of a collection, or a technology (a fixed vocabulary table).
    model: type[Any] = Technology if collection == "technologies" else COLLECTIONS[collection].model
    obj = session.scalar(select(model).where(model.slug == slug))
    if obj is None:
        raise EditError(f"unknown {_singular(collection)} {slug!r}")
    return obj


def apply_values(session: DbSession, collection: str, obj: Any, values: dict[str, Any]) -> None:
    """Set ``values`` (snapshot shape: refs as slugs, dates as date or ISO text) on ``obj``.

    Runs without autoflush: looking up a reference must not flush a half-filled new record."""
    with session.no_autoflush:
        _apply_values(session, collection, obj, values)


def _apply_values(session: DbSession, collection: str, obj: Any, values: dict[str, Any]) -> None:
    spec = BY_NAME[collection]
    for col in spec.columns:
        name = col.name
        if name not in values or name in ("has_text", "sha256", "slug"):
            continue
        value = values[name]
        if col.type == "ref":
            setattr(obj, name, _resolve(session, col.target, value))
        elif col.type == "refs":
            setattr(obj, name, [_resolve(session, col.target, s) for s in sorted(value or [])])
        elif col.type == "date":
            if isinstance(value, str) and value:
                value = dt.date.fromisoformat(value)
            setattr(obj, name, value or None)
        elif col.type == "float":
            setattr(obj, name, None if value in (None, "") else float(value))
        else:
            setattr(obj, name, value if value not in ("",) else None)
    if collection == "sources" and "text" in values:
        obj.set_text(values["text"] or None)


# --- what depends on a record (for the delete confirmation) ---------------------------------


@dataclass
class Dependents:
    """What deleting a record would do: records deleted with it, and records that block it."""

    cascade: list[tuple[str, Any]] = field(default_factory=list)
    blocking: list[tuple[str, Any]] = field(default_factory=list)
    cleared: list[tuple[str, Any]] = field(default_factory=list)


def dependents(session: DbSession, collection: str, obj: Any) -> Dependents:
    """Records affected by deleting ``obj``.

    Citations go with their event or source (they are evidence *of* it); anything else that
    references the record blocks the deletion, because silently dropping an event's actor or
    a measure's events would lose facts. A measure that ``replaces`` the deleted one only
    loses that link.
    """
    deps = Dependents()
    if collection in ("events", "sources"):
        deps.cascade = [("citations", c) for c in obj.citations]
    if collection == "sources":
        # A measure's status was confirmed against it: deleting it would lose that evidence.
        deps.blocking = [
            ("measures", m)
            for m in session.scalars(
                select(Measure).where(Measure.status_checked_source_id == obj.id).order_by(Measure.slug)
            )
        ]
    elif collection == "measures":
        deps.blocking = [
            ("events", e)
            for e in session.scalars(
                select(Event).where(Event.measure_id == obj.id).order_by(Event.date, Event.slug)
            )
        ]
        deps.cleared = [
            ("measures", m)
            for m in session.scalars(
                select(Measure).where(Measure.replaces_id == obj.id).order_by(Measure.slug)
            )
        ]
    elif collection == "actors":
        deps.blocking = (
            [
                ("events", e)
                for e in session.scalars(
                    select(Event)
                    .where(or_(Event.actor_id == obj.id, Event.jurisdiction_id == obj.id))
                    .order_by(Event.date, Event.slug)
                )
            ]
            + [
                ("measures", m)
                for m in session.scalars(
                    select(Measure)
                    .where(or_(Measure.adopted_by_id == obj.id, Measure.jurisdiction_id == obj.id))
                    .order_by(Measure.slug)
                )
            ]
            + [
                ("actors", a)
                for a in session.scalars(select(Actor).where(Actor.parent_id == obj.id).order_by(Actor.slug))
            ]
        )
    return deps


def get_by_slug(session: DbSession, collection: str, slug: str):
    model = COLLECTIONS[collection].model
    return session.scalar(select(model).where(model.slug == slug))


def count(session: DbSession, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- links ----------------------------------------------------------------------------------


def record_url(collection: str, obj: Any) -> str:
    """The public page of a record (a citation's: its event's)."""
    if collection == "citations":
        return record_url("events", obj.event)
    endpoint = COLLECTIONS[collection].detail_endpoint
    assert endpoint is not None  # only citations have no page of their own, handled above
    return url_for(endpoint, slug=obj.slug)


def label(collection: str, obj: Any) -> str:
    """A record's human name."""
    if collection == "actors":
        return obj.name
    if collection == "sources":
        return obj.display_title
    if collection == "citations":
        return f"{obj.event.title} ← {obj.source.display_title}"
    return obj.title


__all__ = ["Actor", "Citation", "Event", "Measure", "Source", "apply_values", "slugify"]
