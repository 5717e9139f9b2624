"""The data files' format: which CSV files, which columns, how each cell is read and written.

One spec serves the loader (``tracker load``), the exporter (``tracker export``), the data
package's Frictionless schema and the codebook checks, so the three cannot drift apart.
Every cell is text: empty means NULL; dates are ISO; multi-valued cells use ``; ``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from tracker.core import vocab
from tracker.core.codes import COUNTRY_RE, REGION_RE, SLUG_RE  # noqa: F401  (the file format's rules)
from tracker.core.dates import check_range, non_ascii_digits
from tracker.db.models import Actor, Citation, Event, Measure, Source, Technology

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
MULTI_SEP = "; "


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # slug text date vocab vocabs ref refs float url bool sha code
    required: bool = False
    vocabulary: vocab.Vocabulary | None = None
    ref: str | None = None  # the file a ref points into
    pattern: re.Pattern | None = None
    description: str = ""

    @property
    def target(self) -> str:
        """The file a ``ref`` or ``refs`` column points into."""
        if self.ref is None:
            raise ValueError(f"column {self.name!r} refers to no file")
        return self.ref


@dataclass(frozen=True)
class FileSpec:
    name: str  # "events"
    model: type[Any]  # a model class; its columns are reached by the spec's column names
    columns: list[Column]
    key: tuple[str, ...] = ("slug",)
    title: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _slug() -> Column:
    return Column("slug", "slug", required=True, description="Key: lowercase words joined by hyphens")


FILES: list[FileSpec] = [
    FileSpec(
        "technologies",
        Technology,
        [
            _slug(),
            Column("name", "text", required=True, description="Display name"),
            Column("description", "text", description="What falls under it"),
        ],
        title="Technologies",
    ),
    FileSpec(
        "actors",
        Actor,
        [
            _slug(),
            Column("name", "text", required=True, description="Display name"),
            Column("kind", "vocab", required=True, vocabulary=vocab.ACTOR_KINDS, description="Actor kind"),
            Column("aliases", "text", description="Other names, '; '-separated"),
            Column("parent", "ref", ref="actors", description="The actor it belongs to"),
            Column("country", "code", pattern=COUNTRY_RE, description="ISO 3166-1 alpha-2, or EU"),
            Column("region", "code", pattern=REGION_RE, description="ISO 3166-2 region code"),
            Column("latitude", "float", description="WGS 84 latitude"),
            Column("longitude", "float", description="WGS 84 longitude"),
            Column("coordinates_source", "text", description="Where the coordinates come from"),
        ],
        title="Actors",
    ),
    FileSpec(
        "sources",
        Source,
        [
            _slug(),
            Column("title", "text", description="Document title; empty when unknown"),
            Column("publisher", "text", description="Who published it"),
            Column("kind", "vocab", required=True, vocabulary=vocab.SOURCE_KINDS, description="Source kind"),
            Column("url", "url", description="Address (http or https)"),
            Column("published", "date", description="Publication date"),
            Column(
                "published_precision",
                "vocab",
                vocabulary=vocab.DATE_PRECISIONS,
                description="Precision of the publication date",
            ),
            Column(
                "published_certainty",
                "vocab",
                vocabulary=vocab.CERTAINTIES,
                description="How the publication date is known",
            ),
            Column("accessed", "date", description="Date the source was read"),
            Column("archive_url", "url", description="Archived copy"),
            Column("note", "text", description="What a reader should know about the source"),
            Column("has_text", "bool", description="1 when sources/<slug>.txt holds its text"),
            Column("sha256", "sha", description="SHA-256 of the stored text"),
        ],
        title="Sources",
    ),
    FileSpec(
        "measures",
        Measure,
        [
            _slug(),
            Column("title", "text", required=True, description="Descriptive title"),
            Column(
                "measure_type",
                "vocab",
                required=True,
                vocabulary=vocab.MEASURE_TYPES,
                description="Measure type",
            ),
            Column(
                "scope",
                "vocabs",
                vocabulary=vocab.SCOPES,
                description="Whose use it covers: scope codes, '; '-separated",
            ),
            Column("adopted_by", "ref", required=True, ref="actors", description="Actor that adopts it"),
            Column("jurisdiction", "ref", ref="actors", description="Place it applies in"),
            Column("technologies", "refs", ref="technologies", description="Technologies covered"),
            Column("identifiers", "text", description="Bill/ordinance/case numbers, '; '-separated"),
            Column("aliases", "text", description="Other names, '; '-separated"),
            Column("sunset", "date", description="Scheduled sunset: first day no longer in force"),
            Column("replaces", "ref", ref="measures", description="Measure this one replaces"),
            Column(
                "legislative_session", "text", description="Legislative session of a bill (116th Congress)"
            ),
            Column(
                "session_end",
                "date",
                description="Last day of that session: not enacted by then, the bill failed",
            ),
            Column(
                "requirements",
                "vocabs",
                vocabulary=vocab.REQUIREMENTS,
                description="What an oversight measure requires: codes, '; '-separated",
            ),
            Column("summary", "text", description="What it does"),
            Column(
                "status_checked_on",
                "date",
                description="Day an editor last confirmed the status against a source",
            ),
            Column(
                "status_checked_source",
                "ref",
                ref="sources",
                description="The source the status was confirmed against",
            ),
        ],
        title="Measures",
    ),
    FileSpec(
        "events",
        Event,
        [
            _slug(),
            Column("date", "date", required=True, description="First day of the date's period"),
            Column(
                "date_precision",
                "vocab",
                required=True,
                vocabulary=vocab.DATE_PRECISIONS,
                description="day, month or year",
            ),
            Column(
                "certainty",
                "vocab",
                required=True,
                vocabulary=vocab.CERTAINTIES,
                description="How the date was established",
            ),
            Column("date_note", "text", description="What is uncertain about the date"),
            Column("kind", "vocab", required=True, vocabulary=vocab.EVENT_KINDS, description="Event kind"),
            Column("measure", "ref", ref="measures", description="Measure this event is a step of"),
            Column("actor", "ref", required=True, ref="actors", description="Who acted"),
            Column("jurisdiction", "ref", ref="actors", description="Place, for standalone events"),
            Column(
                "technologies", "refs", ref="technologies", description="Technologies, for standalone events"
            ),
            Column("title", "text", required=True, description="One line"),
            Column("summary", "text", description="What happened"),
            Column("new_sunset", "date", description="New sunset set by an extension"),
            Column(
                "new_scope",
                "vocabs",
                vocabulary=vocab.SCOPES,
                description="The measure's scope from this event on",
            ),
            Column(
                "technologies_added",
                "refs",
                ref="technologies",
                description="Technologies the measure covers from this event on",
            ),
            Column(
                "technologies_removed",
                "refs",
                ref="technologies",
                description="Technologies the measure no longer covers from this event on",
            ),
            Column("fact_id", "text", description="Identifier in the verified fact sheet"),
            Column(
                "needs_confirmation",
                "bool",
                description="1 when it rests on one source or secondary pages only and needs confirmation",
            ),
        ],
        title="Events",
    ),
    FileSpec(
        "citations",
        Citation,
        [
            Column("event", "ref", required=True, ref="events", description="Event slug"),
            Column("source", "ref", required=True, ref="sources", description="Source slug"),
            Column(
                "role", "vocab", required=True, vocabulary=vocab.CITATION_ROLES, description="Citation role"
            ),
            Column("quote", "text", description="Supporting passage, verbatim"),
            Column("note", "text", description="Note for readers"),
        ],
        key=("event", "source"),
        title="Citations",
    ),
]

BY_NAME = {f.name: f for f in FILES}
TEXT_DIR = "sources"


def text_path_name(slug: str) -> str:
    return f"{TEXT_DIR}/{slug}.txt"


# --- cells -------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell's value is not acceptable; the message says why."""


def parse_date(text: str) -> dt.date:
    """A date cell: YYYY-MM-DD in the digits 0-9, within :data:`dates.EARLIEST` and
    :data:`dates.LATEST` (a year 0001 or 9999 is a typing mistake that broke the timeline)."""
    if non_ascii_digits(text):
        raise CellError(f"{text!r} is not a date: write it with the digits 0-9 (YYYY-MM-DD)")
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    try:
        return check_range(value, text)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def parse_cell(col: Column, text: str):
    """Cell text → Python value (refs stay slugs); raises CellError.

    A NUL character is refused in every column, whatever its type: SQLite would store it
    but PostgreSQL cannot (psycopg raises), so a file must not load on one engine only."""
    if "\x00" in text:
        raise CellError("contains a NUL character")
    if text == "":
        if col.required:
            raise CellError("is required")
        return [] if col.type == "refs" else None
    if text != text.strip():
        raise CellError("has leading or trailing whitespace")
    if col.type in ("text",):
        return text
    if col.type == "slug":
        if not SLUG_RE.match(text):
            raise CellError(f"{text!r} is not a slug (lowercase words joined by hyphens)")
        if text in vocab.RESERVED_SLUGS:
            raise CellError(f"{text!r} is a reserved word")
        return text
    if col.type == "ref":
        if not SLUG_RE.match(text):
            raise CellError(f"{text!r} is not a slug")
        return text
    if col.type == "refs":
        values = [v.strip() for v in text.split(";")]
        for v in values:
            if not SLUG_RE.match(v):
                raise CellError(f"{v!r} is not a slug")
        if len(set(values)) != len(values):
            raise CellError("lists a value twice")
        return sorted(values)
    if col.type == "vocab":
        assert col.vocabulary is not None
        if text not in col.vocabulary:
            raise CellError(
                f"unknown {col.vocabulary.name} {text!r} (one of: {', '.join(col.vocabulary.codes)})"
            )
        return text
    if col.type == "vocabs":
        return canonical_codes(col.vocabulary, text.split(";"))
    if col.type == "date":
        return parse_date(text)
    if col.type == "float":
        try:
            value = float(text)
        except ValueError:
            raise CellError(f"{text!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(f"{text!r} is not a finite number")
        return value
    if col.type == "url":
        if not re.match(r"^https?://[^\s/]+", text, re.IGNORECASE):
            raise CellError(f"{text!r} is not an http or https URL")
        return text
    if col.type == "bool":
        if text not in ("1", "0"):
            raise CellError(f"{text!r} is not 1 or 0")
        return text == "1"
    if col.type == "sha":
        if not SHA_RE.match(text):
            raise CellError(f"{text!r} is not a lowercase hex SHA-256")
        return text
    if col.type == "code":
        assert col.pattern is not None
        if not col.pattern.match(text):
            raise CellError(f"{text!r} does not match {col.pattern.pattern}")
        return text
    raise AssertionError(col.type)


def canonical_codes(vocabulary: vocab.Vocabulary | None, codes) -> str:
    """Several codes of one vocabulary as the stored cell: '; '-joined in the vocabulary's
    order (so a round trip is byte-identical whatever order an editor typed); CellError on an
    unknown or repeated code."""
    assert vocabulary is not None
    values = [c.strip() for c in codes]
    for c in values:
        if c not in vocabulary:
            raise CellError(f"unknown {vocabulary.name} {c!r} (one of: {', '.join(vocabulary.codes)})")
    if len(set(values)) != len(values):
        raise CellError("lists a value twice")
    return MULTI_SEP.join(sorted(values, key=vocabulary.index))


def format_cell(col: Column, value) -> str:
    """Python value → cell text, the exact inverse of :func:`parse_cell` on valid cells."""
    if value is None or value == []:
        return ""
    if col.type == "refs":
        return MULTI_SEP.join(sorted(value))
    if col.type == "date":
        return value.isoformat()
    if col.type == "float":
        return repr(float(value))
    if col.type == "bool":
        return "1" if value else ""
    return str(value)


def row_values(spec: FileSpec, obj) -> dict:
    """A model object → Python values per column (refs as slugs), for export and comparison."""
    out = {}
    for col in spec.columns:
        name = col.name
        if spec.name == "citations" and name in ("event", "source"):
            out[name] = getattr(obj, name).slug
        elif name == "has_text":
            out[name] = obj.text is not None
        elif col.type == "ref":
            target = getattr(obj, name)
            out[name] = target.slug if target is not None else None
        elif col.type == "refs":
            out[name] = sorted(t.slug for t in getattr(obj, name))
        else:
            out[name] = getattr(obj, name)
    return out


def row_cells(spec: FileSpec, obj) -> list[str]:
    values = row_values(spec, obj)
    return [format_cell(c, values[c.name]) for c in spec.columns]


def sort_key(spec: FileSpec, cells: list[str]):
    header = spec.header
    return tuple(cells[header.index(k)] for k in spec.key)
