"""Load ``data/`` CSV files into the database: validated first, then upserted by slug in one
transaction.

Why validate everything before writing: a half-written import is worse than none. The loader
reads every file, checks every cell, reference and cross-field rule, and reports *all*
problems as ``FILE:LINE: column: reason``; only a clean dataset reaches the database, and
then in a single transaction, so a failure there rolls back too.

The standard library's csv reader is used here rather than pandas because errors must name
the physical line of each record (records may span lines), which pandas does not expose.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .datafiles import FILES, CellError, FileSpec, format_cell, parse_cell, row_values
from .datafiles import text_path_name as text_name
from .models import Citation, Source, text_sha256


class LoadError(Exception):
    """The dataset has problems; nothing was written. ``problems`` lists them all."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the data")
        self.problems = problems


@dataclass
class Row:
    line: int
    values: dict


@dataclass
class LoadReport:
    counts: dict[str, Counter] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        for spec in FILES:
            c = self.counts.get(spec.name, Counter())
            out.append(
                f"{spec.filename}: {c['inserted']} inserted, {c['updated']} updated, "
                f"{c['unchanged']} unchanged"
            )
        return out

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] for c in self.counts.values())


def normalise_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def quote_in_text(quote: str, text: str) -> bool:
    """Whether a quote occurs in a text, ignoring differences in white space."""
    return normalise_ws(quote) in normalise_ws(text)


# --- reading ---------------------------------------------------------------------------


def read_file(directory: Path, spec: FileSpec, problems: list[str]) -> list[Row] | None:
    """Parse one CSV file; None when the file is absent (it is then left alone)."""
    path = directory / spec.filename
    if not path.exists():
        return None
    raw = path.read_bytes()
    fname = spec.filename
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{fname}:1: (file): not UTF-8 ({exc.reason} at byte {exc.start})")
        return []
    if content.startswith("\ufeff"):
        content = content[1:]
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    rows: list[Row] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append(f"{fname}:1: (header): {exc}")
        return []
    if header is None:
        problems.append(f"{fname}:1: (header): the file is empty")
        return []
    expected = spec.header
    unknown = [h for h in header if h not in expected]
    missing = [h for h in expected if h not in header]
    for h in unknown:
        problems.append(f"{fname}:1: {h}: unknown column (expected: {', '.join(expected)})")
    for h in missing:
        problems.append(f"{fname}:1: {h}: missing column")
    if len(set(header)) != len(header):
        problems.append(f"{fname}:1: (header): a column is named twice")
    if unknown or missing:
        return []
    index = {h: i for i, h in enumerate(header)}
    start = 2
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{fname}:{reader.line_num}: (row): {exc}")
            break
        line, start = start, reader.line_num + 1
        if not record:
            continue
        if len(record) != len(header):
            problems.append(
                f"{fname}:{line}: (row): {len(record)} cells, expected {len(header)}"
            )
            continue
        values = {}
        for col in spec.columns:
            try:
                values[col.name] = parse_cell(col, record[index[col.name]])
            except CellError as exc:
                problems.append(f"{fname}:{line}: {col.name}: {exc}")
                values[col.name] = None
        rows.append(Row(line, values))
    return rows


def _existing_keys(session: Session) -> dict[str, set]:
    keys: dict[str, set] = {}
    for spec in FILES:
        if spec.name == "citations":
            continue
        keys[spec.name] = set(session.scalars(select(spec.model.slug)))
    return keys


def validate(directory: Path, session: Session) -> tuple[dict[str, list[Row]], list[str]]:
    """Read and check every file; returns the parsed rows and every problem found."""
    problems: list[str] = []
    if not directory.is_dir():
        raise LoadError([f"{directory}: not a directory"])
    parsed: dict[str, list[Row]] = {}
    for spec in FILES:
        rows = read_file(directory, spec, problems)
        if rows is not None:
            parsed[spec.name] = rows
    if not parsed:
        raise LoadError([f"{directory}: no data files ({', '.join(f.filename for f in FILES)})"])

    known = _existing_keys(session)
    for spec in FILES:
        rows = parsed.get(spec.name, [])
        seen: dict[tuple, int] = {}
        for row in rows:
            key = tuple(row.values.get(k) for k in spec.key)
            if None in key:
                continue
            if key in seen:
                problems.append(
                    f"{spec.filename}:{row.line}: {spec.key[-1]}: duplicate "
                    f"{'/'.join(map(str, key))!s} (first on line {seen[key]})"
                )
            else:
                seen[key] = row.line
        if spec.name != "citations":
            known.setdefault(spec.name, set()).update(
                r.values["slug"] for r in rows if r.values.get("slug")
            )

    texts: dict[str, str] = {}
    for spec in FILES:
        for row in parsed.get(spec.name, []):
            v = row.values
            where = f"{spec.filename}:{row.line}"
            for col in spec.columns:
                if col.type in ("ref", "refs") and v.get(col.name):
                    targets = v[col.name] if col.type == "refs" else [v[col.name]]
                    for target in targets:
                        if target not in known[col.ref]:
                            problems.append(
                                f"{where}: {col.name}: unknown {col.ref[:-1]} {target!r}"
                            )
            problems.extend(f"{where}: {msg}" for msg in _row_rules(spec.name, v))
            if spec.name == "sources" and v.get("slug"):
                problems.extend(_source_text(directory, row, texts))
    if "citations" in parsed:
        problems.extend(_quotes(parsed["citations"], texts, session))
    if "actors" in parsed:
        problems.extend(_parent_cycles(parsed["actors"]))
    return parsed, problems


def _row_rules(name: str, v: dict) -> list[str]:
    """Cross-column rules of one row: '<column>: reason' messages."""
    out = []
    if name in ("events", "sources"):
        date_col, prec_col = (
            ("date", "date_precision") if name == "events" else ("published", "published_precision")
        )
        d, p = v.get(date_col), v.get(prec_col)
        if d is not None and p == "month" and d.day != 1:
            out.append(f"{date_col}: a month-precision date is stored as the 1st of the month")
        if d is not None and p == "year" and (d.month, d.day) != (1, 1):
            out.append(f"{date_col}: a year-precision date is stored as 1 January")
        if name == "sources" and (d is None) != (p is None):
            out.append(f"{prec_col}: give both published and published_precision, or neither")
    if name == "events" and v.get("new_sunset") and v.get("kind") != "extended":
        out.append("new_sunset: only an 'extended' event sets a new sunset")
    if name == "events" and not v.get("measure"):
        for col in ("new_scope", "technologies_added", "technologies_removed"):
            if v.get(col):
                out.append(f"{col}: only an event of a measure changes what it covers")
    if name == "events" and set(v.get("technologies_added") or []) & set(
            v.get("technologies_removed") or []):
        out.append("technologies_removed: a technology cannot be added and removed at once")
    if name == "measures" and v.get("session_end") and not v.get("legislative_session"):
        out.append("legislative_session: name the session whose end session_end gives")
    if name == "sources" and v.get("published_certainty") and not v.get("published"):
        out.append("published_certainty: given without a publication date")
    if name == "actors":
        if (v.get("latitude") is None) != (v.get("longitude") is None):
            out.append("longitude: give both latitude and longitude, or neither")
        lat, lon = v.get("latitude"), v.get("longitude")
        if lat is not None and not -90 <= lat <= 90:
            out.append("latitude: must be between -90 and 90")
        if lon is not None and not -180 <= lon <= 180:
            out.append("longitude: must be between -180 and 180")
        if v.get("parent") and v.get("parent") == v.get("slug"):
            out.append("parent: an actor cannot be its own parent")
    if name == "measures" and v.get("replaces") and v.get("replaces") == v.get("slug"):
        out.append("replaces: a measure cannot replace itself")
    if name == "sources" and v.get("has_text") and not v.get("sha256"):
        out.append("sha256: required when has_text is 1")
    if name == "sources" and not v.get("has_text") and v.get("sha256"):
        out.append("sha256: given without a stored text (has_text is empty)")
    return out


def _source_text(directory: Path, row: Row, texts: dict[str, str]) -> list[str]:
    v = row.values
    where = f"sources.csv:{row.line}"
    path = directory / text_name(v["slug"])
    if not v.get("has_text"):
        return []
    if not path.exists():
        return [f"{where}: has_text: {text_name(v['slug'])} does not exist"]
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"{text_name(v['slug'])}:1: (text): not UTF-8 ({exc.reason})"]
    texts[v["slug"]] = text
    if v.get("sha256") and text_sha256(text) != v["sha256"]:
        return [f"{where}: sha256: does not match {text_name(v['slug'])} ({text_sha256(text)})"]
    return []


def _quotes(rows: list[Row], texts: dict[str, str], session: Session) -> list[str]:
    out = []
    stored = None
    for row in rows:
        v = row.values
        if not v.get("quote") or not v.get("source"):
            continue
        text = texts.get(v["source"])
        if text is None:
            if stored is None:
                stored = dict(session.execute(
                    select(Source.slug, Source.text).where(Source.text.is_not(None))
                ).all())
            text = stored.get(v["source"])
        if text is not None and not quote_in_text(v["quote"], text):
            out.append(
                f"citations.csv:{row.line}: quote: not found in the stored text of {v['source']!r}"
            )
    return out


def _parent_cycles(rows: list[Row]) -> list[str]:
    parent = {r.values["slug"]: r.values.get("parent") for r in rows if r.values.get("slug")}
    line = {r.values["slug"]: r.line for r in rows if r.values.get("slug")}
    out = []
    for slug in parent:
        seen = {slug}
        cur = parent.get(slug)
        while cur:
            if cur in seen:
                out.append(f"actors.csv:{line[slug]}: parent: {slug!r} is its own ancestor")
                break
            seen.add(cur)
            cur = parent.get(cur)
    return out


# --- writing ---------------------------------------------------------------------------


def load(directory: str | Path, session: Session) -> LoadReport:
    """Validate ``directory`` and upsert it by slug in one transaction.

    Raises LoadError (and writes nothing) when any problem is found. A second load of the
    same files reports everything unchanged and writes nothing.
    """
    directory = Path(directory)
    parsed, problems = validate(directory, session)
    if problems:
        session.rollback()
        raise LoadError(problems)
    report = LoadReport()
    try:
        _apply(directory, parsed, session, report)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _apply(directory: Path, parsed: dict[str, list[Row]], session: Session,
           report: LoadReport) -> None:
    by_slug: dict[str, dict[str, object]] = {}
    for spec in FILES:
        if spec.name != "citations":
            by_slug[spec.name] = {o.slug: o for o in session.scalars(select(spec.model))}

    def resolve(col_ref: str, slug):
        return by_slug[col_ref][slug] if slug is not None else None

    for spec in FILES:
        rows = parsed.get(spec.name)
        counts = report.counts.setdefault(spec.name, Counter())
        if rows is None:
            continue
        if spec.name == "citations":
            existing = {
                (c.event.slug, c.source.slug): c for c in session.scalars(select(Citation))
            }
        # Rows may refer to rows further down the same file (an actor's parent, a
        # measure's replacement): create every new object first, then fill them in.
        fresh: set[int] = set()
        if spec.name != "citations":
            for row in rows:
                slug = row.values["slug"]
                if slug not in by_slug[spec.name]:
                    obj = spec.model(slug=slug)
                    by_slug[spec.name][slug] = obj
                    fresh.add(id(obj))
        for row in rows:
            v = dict(row.values)
            if spec.name == "sources":
                v["has_text"] = bool(v.get("has_text"))
            if spec.name == "citations":
                obj = existing.get((v["event"], v["source"]))
                if obj is None:
                    obj = spec.model()
                    fresh.add(id(obj))
            else:
                obj = by_slug[spec.name][v["slug"]]
            if id(obj) in fresh:
                counts["inserted"] += 1
                session.add(obj)
            elif _same(spec, obj, v):
                counts["unchanged"] += 1
                continue
            else:
                counts["updated"] += 1
            _set(spec, obj, v, resolve, directory)
        session.flush()


def _same(spec: FileSpec, obj, values: dict) -> bool:
    current = row_values(spec, obj)
    return all(
        format_cell(c, current[c.name]) == format_cell(c, values[c.name])
        for c in spec.columns
        if c.name != "sha256"
    ) and (spec.name != "sources" or current["sha256"] == values.get("sha256"))


def _set(spec: FileSpec, obj, v: dict, resolve, directory: Path) -> None:
    for col in spec.columns:
        name = col.name
        value = v[name]
        if name in ("has_text", "sha256"):
            continue
        if col.type == "ref":
            setattr(obj, name, resolve(col.ref, value))
        elif col.type == "refs":
            setattr(obj, name, [resolve(col.ref, s) for s in value])
        else:
            setattr(obj, name, value)
    if spec.name == "sources":
        text = None
        if v.get("has_text"):
            text = (directory / text_name(v["slug"])).read_bytes().decode("utf-8")
        obj.set_text(text)

