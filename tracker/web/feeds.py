"""Atom feed of any filtered event list: follow "new face-recognition bans in California"."""

from __future__ import annotations

import datetime as dt

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, current_app, request, url_for

from tracker.core.dates import date_label
from tracker.core.vocab import EVENT_KINDS
from tracker.extensions import db
from tracker.read import queries
from tracker.read.collections import EVENTS
from tracker.read.filters import parse_filters

bp = Blueprint("feeds", __name__)


def as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


@bp.get("/events.atom")
def events_atom():
    """The newest events matching the filters (the same filters as /events), newest first."""
    f = parse_filters(request.args, EVENTS, db.session, per_page_max=current_app.config["PER_PAGE_MAX"])
    p = queries.page(db.session, f)
    fg = FeedGenerator()
    page_url = f.url(url_for("browse.events", _external=True))
    fg.id(request.url)
    fg.title(f"Surveillance Policy Tracker: {f.caption()}")
    fg.subtitle("Surveillance-technology policy events, each linked to its sources.")
    fg.link(href=page_url, rel="alternate")
    fg.link(href=request.url, rel="self")
    fg.language("en")
    fg.rights("Data: CC BY 4.0")
    updated = [e.updated_at for e in p.items]
    fg.updated(as_utc(max(updated)) if updated else dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    for event in reversed(p.items):  # feedgen prepends entries; keep newest first
        url = url_for("browse.event_detail", slug=event.slug, _external=True)
        entry = fg.add_entry()
        entry.id(url)
        entry.link(href=url)
        entry.title(f"{date_label(event.date, event.date_precision)}: {event.title}")
        entry.published(dt.datetime.combine(event.date, dt.time(), dt.UTC))
        entry.updated(as_utc(event.updated_at))
        entry.category(term=event.kind, label=EVENT_KINDS.label(event.kind))
        sources = "; ".join(
            (c.source.title or c.source.publisher or c.source.url or c.source.slug) for c in event.citations
        )
        entry.summary((event.summary or event.title) + (f" Sources: {sources}." if sources else ""))
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")
