"""Serializers: web CSV downloads, JSON records and the data package, over the rows the
read layer returns; the views only pick one (Redash's habit).

Two CSV flavours, on purpose:
- *raw* (the data files of ``tracker export``, in ``datafiles.export``, and the data
  package): exactly the data, for programs and round trips (load → export → load → export
  is byte-identical);
- *safe* (web downloads): cells a spreadsheet would run as a formula are neutralised with a
  leading apostrophe, because advocates open these files in Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select

from tracker.core.codes import SLUG_RE
from tracker.core.dates import date_caveat, date_label
from tracker.core.status import milestones
from tracker.datafiles.export import table_csv
from tracker.datafiles.spec import FILES, FileSpec, text_path_name
from tracker.db.models import DbSession, Event, Measure, Source, split_multi
from tracker.read import queries, transitions
from tracker.render.formatting import evidence_caveat, level_label, strength, strongest_first
from tracker.version import __version__

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- web CSV -----------------------------------------------------------------------------


def neutralise(value: object) -> object:
    """Prefix formula-like text with an apostrophe so a spreadsheet shows it as text.

    Numbers and dates are left alone (they are not text); a negative number such as
    ``-122.4`` stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        if value[0] in "+-":
            try:
                float(value)
                return value
            except ValueError:
                pass
        return "'" + value
    return value


def csv_chunks(chunks, columns: list[str], bom: bool = False, safe: bool = True):
    """Stream CSV text from an iterable of row-lists: the header, then one piece per chunk.

    Memory stays flat: only one chunk (a few thousand rows) is held at a time. The csv
    module's writer, in the project's one dialect (as :func:`frame_to_csv`: minimal quoting,
    ``\n`` line ends, None as an empty cell), with the formula check inline: per cell, not
    per pandas column, it was a tenth of an export's time.
    """
    if bom:
        yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    yield take()
    for rows in chunks:
        if not rows:
            continue
        if safe:  # the common cell (not text, or text not starting like a formula) inline
            rows = [
                [
                    v if not isinstance(v, str) or not v.startswith(FORMULA_PREFIXES) else neutralise(v)
                    for v in row
                ]
                for row in rows
            ]
        writer.writerows(rows)
        yield take()


def rows_to_csv(rows: list[list], columns: list[str], bom: bool = False, safe: bool = True) -> str:
    return "".join(csv_chunks([rows], columns, bom=bom, safe=safe))


# --- records: one dict per row, shared by JSON and CSV ---------------------------------------


def _date(value, precision: str | None = "day") -> dict:
    return {
        "date": value.isoformat() if value else None,
        "date_precision": precision if value else None,
        "date_label": date_label(value, precision) if value else None,
    }


def _ref(obj, name_attr: str = "name") -> dict | None:
    if obj is None:
        return None
    return {"slug": obj.slug, "name": getattr(obj, name_attr)}


def _place(place) -> dict | None:
    if place is None:
        return None
    return {"slug": place.slug, "name": place.name, "country": place.country, "region": place.region}


def event_record(event: Event, statuses: dict, as_of, url_for) -> dict:
    """An event as the JSON API shows it; the CSV flattens the same record."""
    measure = event.measure
    place = event.place
    return {
        "slug": event.slug,
        "url": url_for("browse.event_detail", slug=event.slug),
        **_date(event.date, event.date_precision),
        "certainty": event.certainty,
        "date_caveat": date_caveat(event.date_precision, event.certainty),
        "date_note": event.date_note,
        "kind": event.kind,
        "title": event.title,
        "summary": event.summary,
        "measure": None
        if measure is None
        else {
            "slug": measure.slug,
            "title": measure.title,
            "measure_type": measure.measure_type,
            "status": statuses.get(measure.id),
            "status_as_of": as_of.isoformat(),
            "url": url_for("browse.measure_detail", slug=measure.slug),
        },
        "actor": _ref(event.actor),
        "jurisdiction": _place(place),
        "technologies": [t.slug for t in event.all_technologies],
        "new_sunset": event.new_sunset.isoformat() if event.new_sunset else None,
        "new_scope": split_multi(event.new_scope),
        "technologies_added": [t.slug for t in event.technologies_added],
        "technologies_removed": [t.slug for t in event.technologies_removed],
        "needs_confirmation": event.needs_confirmation,
        "evidence_caveat": evidence_caveat(event.citations, event.needs_confirmation),
        "citations": [
            {
                "source": c.source.slug,
                "url": c.source.url,
                "title": c.source.title,
                "publisher": c.source.publisher,
                "kind": c.source.kind,
                "role": c.role,
                "quote": c.quote,
            }
            for c in strongest_first(event.citations)
        ],
    }


EVENT_CSV_COLUMNS = [
    "slug",
    "date",
    "date_precision",
    "date_label",
    "certainty",
    "date_caveat",
    "needs_confirmation",
    "kind",
    "title",
    "summary",
    "measure",
    "measure_title",
    "measure_type",
    "status",
    "status_as_of",
    "actor",
    "actor_name",
    "jurisdiction",
    "jurisdiction_name",
    "country",
    "region",
    "technologies",
    "source_titles",
    "source_urls",
    "quotes",
    "url",
]


def event_csv_row(r: dict) -> list:
    m, j = r["measure"] or {}, r["jurisdiction"] or {}
    return [
        r["slug"],
        r["date"],
        r["date_precision"],
        r["date_label"],
        r["certainty"],
        r["date_caveat"],
        "yes" if r["needs_confirmation"] else None,
        r["kind"],
        r["title"],
        r["summary"],
        m.get("slug"),
        m.get("title"),
        m.get("measure_type"),
        m.get("status"),
        m.get("status_as_of"),
        r["actor"]["slug"],
        r["actor"]["name"],
        j.get("slug"),
        j.get("name"),
        j.get("country"),
        j.get("region"),
        "; ".join(r["technologies"]),
        " | ".join(c["title"] or c["publisher"] or c["source"] for c in r["citations"]),
        " ".join(c["url"] for c in r["citations"] if c["url"]),
        " | ".join(c["quote"] for c in r["citations"] if c["quote"]),
        r["url"],
    ]


def _safe(text: str | None) -> str | None:
    """:func:`neutralise` for a text cell, with the common case (no formula-like start) inline."""
    return text if not text or not text.startswith(FORMULA_PREFIXES) else cast(str, neutralise(text))


@functools.lru_cache(maxsize=65536)
def _date_label(iso: str, precision: str | None) -> str:
    """:func:`date_label` of an ISO date text, computed once per distinct date: an export
    of 100,000 events has a few thousand."""
    return date_label(dt.date.fromisoformat(iso), precision)


_date_caveat = functools.lru_cache(maxsize=64)(date_caveat)


def event_export_csv_rows(chunk: queries.ExportChunk, as_of: str, url_head: str, url_tail: str) -> list[list]:
    """The events CSV rows of one :class:`tracker.read.queries.ExportChunk` (plain SQL rows):
    the same cells as :func:`event_csv_row` of :func:`event_record`, without building the
    record (a test checks the two agree on the whole dataset), already formula-safe: its
    free text goes through :func:`neutralise` here; the other cells are slugs, vocabulary
    codes, country and region codes and ISO dates, which the database's checks keep from
    starting like a formula, and labels this code writes. An event's URL is
    ``url_head + slug + url_tail`` (slugs need no escaping).

    One loop over the driver's tuples, no object per row: at 100,000 rows every call and
    attribute lookup per row shows, and the technologies cell of an event without
    technologies of its own is its measure's, joined once per chunk."""
    statuses, covered, own, citations = chunk.statuses, chunk.covered, chunk.own, chunk.citations
    formula = FORMULA_PREFIXES  # the free-text cells' check, inline (as _safe): a call per cell showed
    measure_cell: dict[int | None, str] = {}
    out = []
    for (
        event_id,
        slug,
        iso,
        precision,
        certainty,
        needs_confirmation,
        kind,
        title,
        summary,
        m_slug,
        m_title,
        m_type,
        measure_id,
        a_slug,
        a_name,
        p_slug,
        p_name,
        p_country,
        p_region,
    ) in chunk.rows:
        technologies: str | None
        titles: str | None
        urls: str | None
        quotes: str | None
        mine = own.get(event_id)
        if mine:
            technologies = "; ".join(sorted(mine.union(covered.get(measure_id, ()))))
        else:
            technologies = measure_cell.get(measure_id)
            if technologies is None:
                technologies = measure_cell[measure_id] = "; ".join(covered.get(measure_id, ()))
        cites = citations.get(event_id)
        if not cites:
            titles, urls, quotes = "", "", ""
        elif len(cites) == 1:  # the common case, without three joins
            c = cites[0]
            titles, urls, quotes = c[0] or c[1] or c[2], c[3] or "", c[4] or ""
            if titles.startswith(formula) or urls.startswith(formula) or quotes.startswith(formula):
                titles, urls, quotes = _safe(titles), _safe(urls), _safe(quotes)
        else:
            cites = sorted(cites, key=lambda c: strength(c[6], c[5], c[4]))
            titles = _safe(" | ".join(c[0] or c[1] or c[2] for c in cites))
            urls = _safe(" ".join(c[3] for c in cites if c[3]))
            quotes = _safe(" | ".join(c[4] for c in cites if c[4]))
        measured = m_slug is not None
        out.append(
            [
                slug,
                iso,
                precision,
                _date_label(iso, precision),
                certainty,
                _date_caveat(precision, certainty),
                "yes" if needs_confirmation else None,
                kind,
                title if not title or not title.startswith(formula) else neutralise(title),
                summary if not summary or not summary.startswith(formula) else neutralise(summary),
                m_slug,
                m_title if not m_title or not m_title.startswith(formula) else neutralise(m_title),
                m_type,
                statuses.get(measure_id) if measured else None,
                as_of if measured else None,
                a_slug,
                a_name if not a_name or not a_name.startswith(formula) else neutralise(a_name),
                p_slug,
                p_name if not p_name or not p_name.startswith(formula) else neutralise(p_name),
                p_country,
                p_region,
                technologies,
                titles,
                urls,
                quotes,
                url_head + slug + url_tail,
            ]
        )
    return out


def measure_record(measure: Measure, statuses: dict, as_of, url_for, start=None) -> dict:
    return {
        "slug": measure.slug,
        "url": url_for("browse.measure_detail", slug=measure.slug),
        "title": measure.title,
        "measure_type": measure.measure_type,
        "scope": measure.scope_list,
        "status": statuses.get(measure.id),
        "status_as_of": as_of.isoformat(),
        "adopted_by": _ref(measure.adopted_by),
        "jurisdiction": _place(measure.jurisdiction),
        "technologies": [t.slug for t in measure.technologies],
        "identifiers": measure.identifier_list,
        "aliases": measure.alias_list,
        "sunset": measure.sunset.isoformat() if measure.sunset else None,
        "replaces": measure.replaces.slug if measure.replaces else None,
        "legislative_session": measure.legislative_session,
        "session_end": measure.session_end.isoformat() if measure.session_end else None,
        "requirements": measure.requirement_list,
        "summary": measure.summary,
        "status_checked_on": measure.status_checked_on.isoformat() if measure.status_checked_on else None,
        "status_checked_source": source.slug if (source := measure.status_checked_source) else None,
    }


def milestone_fields(found) -> dict:
    """A measure's milestones (``core.status.Milestones``, or None) as record fields."""

    def iso(day):
        return day.isoformat() if day else None

    return {
        "first_event": iso(found.first) if found else None,
        "in_effect_since": iso(found.in_effect_since) if found else None,
        "ended": iso(found.ended) if found else None,
    }


MEASURE_CSV_COLUMNS = [
    "slug",
    "title",
    "measure_type",
    "scope",
    "status",
    "status_as_of",
    "adopted_by",
    "adopted_by_name",
    "jurisdiction",
    "jurisdiction_name",
    "country",
    "region",
    "technologies",
    "identifiers",
    "aliases",
    "sunset",
    "replaces",
    "legislative_session",
    "session_end",
    "requirements",
    "summary",
    "url",
    "first_event",
    "in_effect_since",
    "ended",
    "status_checked_on",
    "status_checked_source",
]


def measure_csv_row(r: dict) -> list:
    j = r["jurisdiction"] or {}
    return [
        r["slug"],
        r["title"],
        r["measure_type"],
        "; ".join(r["scope"]),
        r["status"],
        r["status_as_of"],
        r["adopted_by"]["slug"],
        r["adopted_by"]["name"],
        j.get("slug"),
        j.get("name"),
        j.get("country"),
        j.get("region"),
        "; ".join(r["technologies"]),
        "; ".join(r["identifiers"]),
        "; ".join(r["aliases"]),
        r["sunset"],
        r["replaces"],
        r["legislative_session"],
        r["session_end"],
        "; ".join(r["requirements"]),
        r["summary"],
        r["url"],
        r.get("first_event"),
        r.get("in_effect_since"),
        r.get("ended"),
        r["status_checked_on"],
        r["status_checked_source"],
    ]


def source_record(source: Source, statuses: dict, as_of, url_for) -> dict:
    return {
        "slug": source.slug,
        "url": url_for("browse.source_detail", slug=source.slug),
        "title": source.title,
        "publisher": source.publisher,
        "kind": source.kind,
        "source_url": source.url,
        "published": source.published.isoformat() if source.published else None,
        "published_precision": source.published_precision,
        "published_certainty": source.published_certainty,
        "accessed": source.accessed.isoformat() if source.accessed else None,
        "archive_url": source.archive_url,
        "note": source.note,
        "has_text": source.text is not None,
        "sha256": source.sha256,
        "cites": sorted({c.event.slug for c in source.citations}),
    }


SOURCE_CSV_COLUMNS = [
    "slug",
    "title",
    "publisher",
    "kind",
    "source_url",
    "published",
    "published_precision",
    "published_certainty",
    "accessed",
    "archive_url",
    "note",
    "has_text",
    "sha256",
    "cites",
    "url",
]


def source_csv_row(r: dict) -> list:
    return [
        r["slug"],
        r["title"],
        r["publisher"],
        r["kind"],
        r["source_url"],
        r["published"],
        r["published_precision"],
        r["published_certainty"],
        r["accessed"],
        r["archive_url"],
        r["note"],
        "1" if r["has_text"] else "",
        r["sha256"],
        "; ".join(r["cites"]),
        r["url"],
    ]


def actor_record(actor, statuses: dict, as_of, url_for) -> dict:
    return {
        "slug": actor.slug,
        "url": url_for("browse.actor_detail", slug=actor.slug),
        "name": actor.name,
        "kind": actor.kind,
        "aliases": actor.alias_list,
        "parent": actor.parent.slug if actor.parent else None,
        "country": actor.country,
        "region": actor.region,
        "latitude": actor.latitude,
        "longitude": actor.longitude,
    }


ACTOR_CSV_COLUMNS = [
    "slug",
    "name",
    "kind",
    "aliases",
    "parent",
    "country",
    "region",
    "latitude",
    "longitude",
    "url",
]


def actor_csv_row(r: dict) -> list:
    return [
        r["slug"],
        r["name"],
        r["kind"],
        "; ".join(r["aliases"]),
        r["parent"],
        r["country"],
        r["region"],
        r["latitude"],
        r["longitude"],
        r["url"],
    ]


def measure_detail_record(d, url_for) -> dict:
    """A measure's JSON detail (``read.details.MeasureDetail``): its record with its status
    periods, its coverage changes and its events."""
    measure, history, on = d.measure, d.history, d.on
    record = measure_record(measure, {measure.id: history.status}, on, url_for)
    record.update(milestone_fields(milestones(history.periods, on)))
    record["history"] = [
        {"status": p.status, "start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None}
        for p in history.periods
    ]
    record["coverage"] = {
        tech: [
            {"from": a.isoformat() if a else None, "until": b.isoformat() if b else None}
            for a, b in intervals
        ]
        for tech, intervals in history.coverage.items()
    }
    record["events"] = [
        {
            "slug": e.slug,
            "kind": e.kind,
            "title": e.title,
            "date": e.date.isoformat(),
            "date_precision": e.date_precision,
            "url": url_for("browse.event_detail", slug=e.slug),
        }
        for e in measure.events
    ]
    return record


def actor_detail_record(d, url_for) -> dict:
    """An actor's JSON detail (``read.details.ActorDetail``): its measures and those below it
    with their statuses, its events and the sources it published."""
    record = actor_record(d.actor, {}, d.on, url_for)
    record["children"] = [c.slug for c in d.actor.children]
    record["measures"] = [measure_record(m, d.statuses, d.on, url_for) for m in d.own]
    record["sub_jurisdiction_measures"] = [measure_record(m, d.statuses, d.on, url_for) for m in d.below]
    record["events"] = [e.slug for e in d.events]
    record["published_sources"] = [s.slug for s in d.published]
    record["as_of"] = d.on.isoformat()
    record["levels"] = [level_record(a, i) for i, a in enumerate(d.levels)]
    record["applies"] = [applying_record(a, d.on, url_for) for a in d.applies]
    return record


def level_record(place, depth: int) -> dict:
    """A place as a level of "what applies here": 0 is the place itself, 1 the one above."""
    return {
        "slug": place.slug,
        "name": place.name,
        "kind": place.kind,
        "depth": depth,
        "label": level_label(place.kind, place.country),
    }


def applying_record(a, on, url_for) -> dict:
    """One measure that applies in a place on ``on`` (``read.details.Applying``): its status
    then and since when, the level it comes from, and its strongest source."""
    c = a.citation
    return {
        "measure": {
            "slug": a.measure.slug,
            "title": a.measure.title,
            "measure_type": a.measure.measure_type,
            "url": url_for("browse.measure_detail", slug=a.measure.slug),
        },
        "status": a.status,
        "status_as_of": on.isoformat(),
        "since": a.since.isoformat(),
        "since_precision": a.since_precision,
        "since_label": date_label(a.since, a.since_precision),
        "level": level_record(a.level, a.depth),
        "source": None
        if c is None
        else {
            "slug": c.source.slug,
            "title": c.source.title,
            "publisher": c.source.publisher,
            "kind": c.source.kind,
            "role": c.role,
            "quote": c.quote,
            "source_url": c.source.url,
            "url": url_for("browse.source_detail", slug=c.source.slug),
            "event": c.event.slug,
        },
    }


def source_detail_record(d, url_for) -> dict:
    """A source's JSON detail (``read.details.SourceDetail``): its record, stored text and
    the citations of it."""
    record = source_record(d.source, {}, d.on, url_for)
    record["text"] = d.source.text
    record["citations"] = [
        {
            "event": c.event.slug,
            "role": c.role,
            "quote": c.quote,
            "note": c.note,
            "url": url_for("browse.event_detail", slug=c.event.slug),
        }
        for c in d.source.citations
    ]
    return record


def change_record(c, url_for) -> dict:
    """One change of "what changed when" (``read.transitions.Change``) as JSON; the CSV row
    flattens the same record."""
    place, event = c.place, c.event
    return {
        "change": c.change,
        "change_label": transitions.label(c.change),
        **_date(c.day, c.precision),
        "status_before": c.before,
        "status": c.status,
        "measure": {
            "slug": c.measure.slug,
            "title": c.measure.title,
            "measure_type": c.measure.measure_type,
            "url": url_for("browse.measure_detail", slug=c.measure.slug),
        },
        "place": _place(place),
        "level": level_label(place.kind, place.country) if place is not None else None,
        "adopted_by": _ref(c.measure.adopted_by),
        "event": None
        if event is None
        else {
            "slug": event.slug,
            "kind": event.kind,
            "title": event.title,
            **_date(event.date, event.date_precision),
            "url": url_for("browse.event_detail", slug=event.slug),
        },
        "note": c.note,
    }


CHANGE_CSV_COLUMNS = [
    "change",
    "change_label",
    "date",
    "date_precision",
    "date_label",
    "status_before",
    "status",
    "measure",
    "measure_title",
    "measure_type",
    "place",
    "place_name",
    "level",
    "country",
    "region",
    "adopted_by",
    "adopted_by_name",
    "event",
    "event_title",
    "event_date_label",
    "note",
    "url",
]


def change_csv_row(r: dict) -> list:
    p, e = r["place"] or {}, r["event"] or {}
    return [
        r["change"],
        r["change_label"],
        r["date"],
        r["date_precision"],
        r["date_label"],
        r["status_before"],
        r["status"],
        r["measure"]["slug"],
        r["measure"]["title"],
        r["measure"]["measure_type"],
        p.get("slug"),
        p.get("name"),
        r["level"],
        p.get("country"),
        p.get("region"),
        r["adopted_by"]["slug"],
        r["adopted_by"]["name"],
        e.get("slug"),
        e.get("title"),
        e.get("date_label"),
        r["note"],
        r["measure"]["url"],
    ]


def changes_record(changes, url_for, links: dict) -> dict:
    """ "What changed when" as JSON (``read.transitions.Changes``): the period, the filters,
    the counts, and each kind of change with its changes, in the page's order."""
    q = changes.query
    return {
        "from": q.start.isoformat(),
        "to": q.end.isoformat(),
        "caption": q.caption(),
        "filters": q.as_dict(),
        "total": changes.total,
        "measures": changes.measures,
        "counts": changes.counts,
        "groups": [
            {
                "change": g.kind.code,
                "label": g.kind.label,
                "definition": g.kind.definition,
                "count": len(g.items),
                "items": [change_record(c, url_for) for c in g.items],
            }
            for g in changes.groups
        ],
        "links": links,
    }


def event_csv_rows(session: DbSession, f, url_for):
    """Every events CSV row of a filter, a chunk at a time, from the export's plain SQL rows
    (:func:`tracker.read.queries.event_export`)."""
    as_of = f.as_of.isoformat()
    head, tail = url_for("browse.event_detail", slug="SLUG").rsplit("SLUG", 1)
    for chunk in queries.event_export(session, f):
        yield event_export_csv_rows(chunk, as_of, head, tail)


@dataclass(frozen=True)
class RecordFormat:
    """How one listed collection's rows are written: the JSON record of a row (``record(row,
    statuses, as_of, url_for)``), the CSV header, and a JSON record's CSV row. The CSV row is
    made from the JSON record, so the two formats cannot disagree; a collection too large for
    that may give ``csv_rows(session, filters, url_for)``, chunks of the same cells from plain
    rows, with a test that they equal the records' CSV."""

    record: Callable[..., dict]
    csv_columns: list[str]
    csv_row: Callable[[dict], list]
    # Chunks of formula-safe rows (csv_chunks(..., safe=False) writes them as they are).
    csv_rows: Callable[..., Iterator[list[list]]] | None = None


# By listed collection (tracker.read.collections.LISTED; a test checks every one has one).
FORMATS: dict[str, RecordFormat] = {
    "events": RecordFormat(event_record, EVENT_CSV_COLUMNS, event_csv_row, event_csv_rows),
    "measures": RecordFormat(measure_record, MEASURE_CSV_COLUMNS, measure_csv_row),
    "sources": RecordFormat(source_record, SOURCE_CSV_COLUMNS, source_csv_row),
    "actors": RecordFormat(actor_record, ACTOR_CSV_COLUMNS, actor_csv_row),
}


# --- data package --------------------------------------------------------------------------

LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
FIELD_TYPES = {"date": "date", "float": "number"}


def _schema(spec: FileSpec) -> dict:
    fields = []
    for col in spec.columns:
        field: dict[str, Any] = {
            "name": col.name,
            "type": FIELD_TYPES.get(col.type, "string"),
            "description": col.description,
        }
        constraints: dict[str, Any] = {}
        if col.required:
            constraints["required"] = True
        if col.type == "vocab" and col.vocabulary is not None:
            constraints["enum"] = col.vocabulary.codes
        if col.type == "slug":
            constraints["pattern"] = SLUG_RE.pattern.strip("^$")
        if col.pattern is not None:
            constraints["pattern"] = col.pattern.pattern.strip("^$")
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    schema: dict = {"fields": fields, "missingValues": [""]}
    schema["primaryKey"] = list(spec.key)
    foreign = [
        {"fields": col.name, "reference": {"resource": col.ref, "fields": "slug"}}
        for col in spec.columns
        if col.type == "ref"
    ]
    if foreign:
        schema["foreignKeys"] = foreign
    return schema


def rfc3339(moment: dt.datetime) -> str:
    """A UTC timestamp as RFC 3339 (``2026-11-27T11:54:57Z``), as Frictionless requires for
    ``created``; naive datetimes are taken as UTC (the database stores UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


class _Drain:
    """A write-only file for :class:`zipfile.ZipFile` whose bytes are taken as they come
    (``take``), so an archive can be sent while it is being written. It has no ``tell`` or
    ``seek``: zipfile then keeps its own count and writes each entry's sizes after it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def data_package_chunks(
    session: DbSession, site_url: str, today_iso: str, last_change: dt.datetime | None = None
) -> Iterator[bytes]:
    """The data package (every table as raw CSV, the stored source texts, datapackage.json
    and CITATION.txt) as a zip, in pieces as it is written: the first piece leaves once the
    first table is read, not once the last one is, and only one table is held at a time.

    Its ``version`` is the hash of the content (the tables in name order, then the texts by
    slug), so the same content always gives the same version; ``created`` is the dataset's
    last change (``last_change``; the retrieval day when the database is empty). Both, and
    each table's hash and size, are only known once the tables are written, so
    datapackage.json and CITATION.txt come last in the archive (a zip's order means
    nothing: readers use its central directory, written at the end)."""
    drain = _Drain()
    digest = hashlib.sha256()
    files: dict[str, tuple[str, int]] = {}  # table name -> (sha256, bytes)
    with zipfile.ZipFile(drain, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for spec in sorted(FILES, key=lambda spec: spec.name):
            table = table_csv(session, spec).encode("utf-8")
            digest.update(spec.name.encode() + b"\0" + table + b"\0")
            files[spec.name] = (hashlib.sha256(table).hexdigest(), len(table))
            archive.writestr(spec.filename, table)
            del table
            yield drain.take()
        texts = session.execute(
            select(Source.slug, Source.text).where(Source.text.is_not(None)).order_by(Source.slug)
        )
        for slug, text in texts:
            assert text is not None  # selected where the text is not null
            data = text.encode("utf-8")
            digest.update(slug.encode() + b"\0" + data + b"\0")
            archive.writestr(text_path_name(slug), data)
            yield drain.take()
        version = digest.hexdigest()[:12]
        citation = (
            f"Surveillance Policy Tracker contributors. Surveillance Policy Tracker dataset, "
            f"version {version} (retrieved {today_iso}). Licensed CC BY 4.0. {site_url}"
        )
        package = _package_descriptor(version, citation, site_url, today_iso, last_change, files)
        archive.writestr("datapackage.json", json.dumps(package, indent=2, ensure_ascii=False) + "\n")
        archive.writestr("CITATION.txt", citation + "\n")
    yield drain.take()


def _package_descriptor(
    version: str,
    citation: str,
    site_url: str,
    today_iso: str,
    last_change: dt.datetime | None,
    files: dict[str, tuple[str, int]],
) -> dict:
    """datapackage.json (Frictionless tabular data package) for tables whose (sha256,
    bytes) are ``files``."""
    return {
        "profile": "tabular-data-package",
        "name": "surveillance-policy-tracker",
        "title": "Surveillance Policy Tracker: surveillance-technology policy events and measures",
        "description": "Events (bans, moratoriums, bills, lawsuits, reports...) in the life of "
        "surveillance-technology policy measures, each cited to sources with quoted "
        "passages. A measure's status on any date is derived from its events.",
        "version": version,
        "created": rfc3339(last_change) if last_change else f"{today_iso}T00:00:00Z",
        "homepage": site_url,
        "licenses": [LICENCE],
        "citation": citation,
        "software": {"name": "surveillance-policy-tracker", "version": __version__, "license": "MIT"},
        "resources": [
            {
                "name": spec.name,
                "title": spec.title,
                "path": spec.filename,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "hash": "sha256:" + files[spec.name][0],
                "bytes": files[spec.name][1],
                "dialect": {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "header": True},
                "schema": _schema(spec),
            }
            for spec in FILES
        ],
    }
