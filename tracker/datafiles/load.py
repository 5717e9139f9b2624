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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from tracker.datafiles.spec import BY_NAME, FILES, CellError, FileSpec, format_cell, parse_cell, row_values
from tracker.datafiles.spec import text_path_name as text_name
from tracker.db.models import Citation, DbSession, Event, Source, text_sha256


class LoadError(Exception):
    """The dataset has problems; nothing was written. ``problems`` lists them all."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the data")
        self.problems = problems


@dataclass(slots=True)
class Row:
    line: int
    values: dict


# How many of the database rows a file lacks a warning names (the count is always given).
NAMED_MISSING = 10


@dataclass
class LoadReport:
    """What a load did, per file.

    ``counts`` holds inserted / updated / unchanged, ``rows`` (rows in the file) and
    ``deleted``; ``missing`` lists, per file read, the keys of database rows the file does not
    have. Why count those: a file cut short at a row boundary is still valid CSV and would
    load as "unchanged"; naming what it lacks makes the loss visible.
    """

    counts: dict[str, Counter] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    pruned: bool = False

    def lines(self) -> list[str]:
        out = []
        for spec in FILES:
            c = self.counts.get(spec.name, Counter())
            line = (
                f"{spec.filename}: {c['inserted']} inserted, {c['updated']} updated, "
                f"{c['unchanged']} unchanged"
            )
            if spec.name in self.missing:
                kept = "deleted" if self.pruned else "kept"
                gone = len(self.missing[spec.name])
                line += f"; {c['rows']} rows in the file, {gone} rows of the database not in the file" + (
                    f" ({kept})" if gone else ""
                )
            else:
                line += "; no such file, its rows are left alone"
            out.append(line)
        return out

    def warnings(self) -> list[str]:
        """Files that lack rows of the database, which were kept (no ``prune``)."""
        if self.pruned:
            return []
        return [
            f"{spec.filename}: {len(keys)} rows of the database are not in the file and were "
            f"kept (was the file cut short? `tracker load DIR --prune` deletes them): "
            f"{_named(keys)}"
            for spec in FILES
            if (keys := self.missing.get(spec.name))
        ]

    def deletions(self) -> list[str]:
        """What ``prune`` deleted, per file."""
        if not self.pruned:
            return []
        return [
            f"{spec.filename}: deleted {len(keys)} rows not in the file: {_named(keys)}"
            for spec in FILES
            if (keys := self.missing.get(spec.name))
        ]

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] + c["deleted"] for c in self.counts.values())


def _named(keys: list[str]) -> str:
    named = ", ".join(keys[:NAMED_MISSING])
    more = len(keys) - NAMED_MISSING
    return f"{named}, and {more} more" if more > 0 else named


def key_label(key: tuple) -> str:
    """A row's key as people read it: the slug, or ``event / source`` for a citation."""
    return " / ".join(key)


def normalise_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def quote_in_text(quote: str, text: str) -> bool:
    """Whether a quote occurs in a text, ignoring differences in white space."""
    return normalise_ws(quote) in normalise_ws(text)


# --- reading ---------------------------------------------------------------------------


# Bytes that are not UTF-8, as decoded with ``surrogateescape``: one lone surrogate per byte.
# Valid text never contains lone surrogates, so they mark exactly the bad bytes.
NOT_UTF8 = re.compile("[\udc80-\udcff]+")


@dataclass
class BadBytes:
    """A run of bytes that are not UTF-8: its physical line, byte offset and why."""

    line: int
    offset: int
    reason: str

    def message(self) -> str:
        return f"not UTF-8 ({self.reason} at byte {self.offset}; save the file as UTF-8)"


def decode(raw: bytes) -> tuple[str, list[BadBytes]]:
    """A file's text, and every run of bytes in it that is not UTF-8.

    Why not stop at the first error: a file saved as Latin-1 has a bad byte on every line
    with an accent, and the editor needs all of them. Bad bytes are kept in the text as lone
    surrogates (``surrogateescape``), so the CSV reader still splits the file into cells and
    each run can be tied to the cell, and so the column, it falls in."""
    text = raw.decode("utf-8", errors="surrogateescape")
    runs: list[BadBytes] = []
    position = offset = 0
    line = 1
    for match in NOT_UTF8.finditer(text):
        before = text[position : match.start()]
        offset += len(before.encode("utf-8"))
        line += before.count("\n")
        try:
            raw[offset : offset + 4].decode("utf-8")
            reason = "invalid byte"
        except UnicodeDecodeError as exc:
            reason = exc.reason
        runs.append(BadBytes(line, offset, f"{reason} 0x{raw[offset]:02x}"))
        offset += match.end() - match.start()
        position = match.end()
    return text, runs


def read_file(directory: Path, spec: FileSpec, problems: list[str]) -> list[Row] | None:
    """Parse one CSV file; None when the file is absent (it is then left alone)."""
    path = directory / spec.filename
    if not path.exists():
        return None
    fname = spec.filename
    content, bad_bytes = decode(path.read_bytes())
    runs = iter(bad_bytes)

    def not_utf8(cell: str) -> BadBytes | None:
        """The first bad run in a cell, consuming all of the cell's runs (cells come in file
        order, so the runs of one cell are the next ones in the file)."""
        found = None
        for _ in NOT_UTF8.finditer(cell):
            run = next(runs, None)
            found = found or run
        return found

    # Most files are clean: then no cell needs looking at for bad bytes.
    rows = _read_records(fname, spec, content, not_utf8 if bad_bytes else None, problems)
    # Bad bytes the reader never reached (after a CSV syntax error, or in a header that was
    # refused) are still reported, at their line.
    for run in runs:
        problems.append(f"{fname}:{run.line}: (file): {run.message()}")
    return rows


def _read_records(
    fname: str,
    spec: FileSpec,
    content: str,
    not_utf8: Callable[[str], BadBytes | None] | None,
    problems: list[str],
) -> list[Row]:
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
    bad_header = False
    for h in header:
        run = not_utf8(h) if not_utf8 is not None else None
        if run is not None:
            problems.append(f"{fname}:{run.line}: (header): {run.message()}")
            bad_header = True
        elif "\x00" in h:
            problems.append(f"{fname}:1: (header): contains a NUL character")
            bad_header = True
    if bad_header:
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
    name_at = {i: h for h, i in index.items()}
    positions = [(col, index[col.name]) for col in spec.columns]
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
        wrong_length = len(record) != len(header)
        undecodable = set()
        if not_utf8 is not None:
            for i, cell in enumerate(record):
                run = not_utf8(cell)
                if run is not None:
                    column = "(row)" if wrong_length else name_at[i]
                    problems.append(f"{fname}:{run.line}: {column}: {run.message()}")
                    undecodable.add(i)
        if wrong_length:
            problems.append(f"{fname}:{line}: (row): {len(record)} cells, expected {len(header)}")
            continue
        values: dict[str, Any] = {}
        for col, i in positions:
            if i in undecodable:
                values[col.name] = None
                continue
            try:
                values[col.name] = parse_cell(col, record[i])
            except CellError as exc:
                problems.append(f"{fname}:{line}: {col.name}: {exc}")
                values[col.name] = None
        rows.append(Row(line, values))
    return rows


def _existing_keys(session: DbSession) -> dict[str, set]:
    keys: dict[str, set] = {}
    for spec in FILES:
        if spec.name == "citations":
            continue
        keys[spec.name] = set(session.scalars(select(spec.model.slug)))
    return keys


def validate(directory: Path, session: DbSession) -> tuple[dict[str, list[Row]], list[str]]:
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
            known.setdefault(spec.name, set()).update(r.values["slug"] for r in rows if r.values.get("slug"))

    texts: dict[str, str] = {}
    for spec in FILES:
        for row in parsed.get(spec.name, []):
            v = row.values
            where = f"{spec.filename}:{row.line}"
            for col in spec.columns:
                if col.type in ("ref", "refs") and v.get(col.name):
                    targets = v[col.name] if col.type == "refs" else [v[col.name]]
                    for target in targets:
                        if target not in known[col.target]:
                            problems.append(f"{where}: {col.name}: unknown {col.target[:-1]} {target!r}")
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
    if name == "events" and set(v.get("technologies_added") or []) & set(v.get("technologies_removed") or []):
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
    text, bad_bytes = decode(path.read_bytes())
    if bad_bytes:
        return [f"{text_name(v['slug'])}:{run.line}: (text): {run.message()}" for run in bad_bytes]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return [f"{text_name(v['slug'])}:{line}: (text): contains a NUL character"]
    texts[v["slug"]] = text
    if v.get("sha256") and text_sha256(text) != v["sha256"]:
        return [f"{where}: sha256: does not match {text_name(v['slug'])} ({text_sha256(text)})"]
    return []


def _quotes(rows: list[Row], texts: dict[str, str], session: DbSession) -> list[str]:
    out = []
    stored = None
    for row in rows:
        v = row.values
        if not v.get("quote") or not v.get("source"):
            continue
        text = texts.get(v["source"])
        if text is None:
            if stored is None:
                stored = dict(
                    session.execute(select(Source.slug, Source.text).where(Source.text.is_not(None))).all()
                )
            text = stored.get(v["source"])
        if text is not None and not quote_in_text(v["quote"], text):
            out.append(f"citations.csv:{row.line}: quote: not found in the stored text of {v['source']!r}")
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


def load(directory: str | Path, session: DbSession, prune: bool = False) -> LoadReport:
    """Validate ``directory`` and upsert it by slug in one transaction.

    Raises LoadError (and writes nothing) when any problem is found. A second load of the
    same files reports everything unchanged and writes nothing. Rows of the database that a
    file lacks are counted and named in the report and kept; with ``prune`` they are deleted
    in the same transaction (refused, with nothing written, when rows that stay still refer
    to them). A file absent from ``directory`` leaves its table alone either way.
    """
    try:
        report = stage(directory, session, prune=prune)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def stage(
    directory: str | Path,
    session: DbSession,
    *,
    prune: bool = False,
    ids: dict[str, dict[tuple, int]] | None = None,
) -> LoadReport:
    """:func:`load` without the commit, for callers that write more in the same transaction
    (``tracker restore``). ``ids`` gives new rows their primary keys, per file and key: a
    restore must bring back the ids that revisions refer to."""
    directory = Path(directory)
    parsed, problems = validate(directory, session)
    if problems:
        raise LoadError(problems)
    missing = missing_rows(parsed, session)
    if prune:
        problems = prune_problems(parsed, missing, session)
        if problems:
            raise LoadError(problems)
    report = LoadReport(
        missing={name: [key_label(k) for k in sorted(keys)] for name, keys in missing.items()},
        pruned=prune,
    )
    _apply(directory, parsed, session, report, ids)
    if prune:
        _prune(missing, session, report)
    return report


# --- rows of the database that the files lack -------------------------------------------


def ids_by_key(session: DbSession, spec: FileSpec) -> dict[tuple, int]:
    """Every database row of one file's table: its key (as in the file) → its id."""
    if spec.name == "citations":
        query = select(Citation.id, Event.slug, Source.slug).join(Citation.event).join(Citation.source)
    else:
        query = select(spec.model.id, spec.model.slug)
    return {tuple(key): id_ for id_, *key in session.execute(query)}


def missing_rows(parsed: dict[str, list[Row]], session: DbSession) -> dict[str, set[tuple]]:
    """Per file read, the keys of the database rows the file does not have."""
    out = {}
    for spec in FILES:
        rows = parsed.get(spec.name)
        if rows is None:
            continue
        in_file = {tuple(row.values.get(k) for k in spec.key) for row in rows}
        out[spec.name] = set(ids_by_key(session, spec)) - in_file
    return out


def _database_rows(session: DbSession, spec: FileSpec):
    """(label, values) of every database row of a table, references as slugs."""
    refs = [selectinload(getattr(spec.model, c.name)) for c in spec.columns if c.type in ("ref", "refs")]
    for obj in session.scalars(select(spec.model).options(*refs)):
        values = row_values(spec, obj)
        label = key_label(tuple(values[k] for k in spec.key))
        yield (
            (f"{spec.name[:-1]} {label!r} in the database ({spec.filename} is not in the directory)"),
            values,
        )


def prune_problems(
    parsed: dict[str, list[Row]], missing: dict[str, set[tuple]], session: DbSession
) -> list[str]:
    """Why the rows the files lack cannot be deleted: rows that stay still refer to them.

    The rows that stay are the files' rows, with their new values, and every database row of
    a table whose file is not in the directory. The database would refuse most of these
    deletions anyway (or cascade some of them); checking first reports every one of them
    with where the reference is, and keeps ``measures.replaces`` from being silently
    emptied by its ON DELETE SET NULL."""
    doomed = {
        name: {key[0] for key in keys} for name, keys in missing.items() if keys and name != "citations"
    }
    if not doomed:
        return []
    out = []
    for spec in FILES:
        columns = [c for c in spec.columns if c.type in ("ref", "refs") and c.ref in doomed]
        if not columns:
            continue
        if spec.name in parsed:
            referrers = ((f"{spec.filename}:{row.line}", row.values) for row in parsed[spec.name])
        else:
            referrers = _database_rows(session, spec)
        for where, values in referrers:
            for col in columns:
                value = values.get(col.name)
                targets = value if col.type == "refs" else [value]
                for target in sorted(set(targets or []) & doomed[col.target]):
                    out.append(
                        f"{BY_NAME[col.target].filename}: slug: cannot delete {target!r}, which is "
                        f"not in the file: {where} still refers to it ({col.name})"
                    )
    return out


def _chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _prune(missing: dict[str, set[tuple]], session: DbSession, report: LoadReport) -> None:
    """Delete the database rows the files lack, dependents first (citations, sources,
    events, measures, actors, technologies), after the upserts so that updated rows no
    longer point at them. Link tables and citations of deleted events go by ON DELETE
    CASCADE. A self-reference (an actor's parent) is cleared first: SQLite checks RESTRICT
    row by row, so a parent and its child deleted together could otherwise fail."""
    for spec in reversed(FILES):
        keys = missing.get(spec.name)
        if not keys:
            continue
        ids = sorted(id_ for key, id_ in ids_by_key(session, spec).items() if key in keys)
        table = spec.model.__table__
        self_refs = {c.name: None for c in table.c if any(fk.column.table is table for fk in c.foreign_keys)}
        for chunk in _chunks(ids) if self_refs else ():
            session.execute(update(table).where(table.c.id.in_(chunk)).values(**self_refs))
        for chunk in _chunks(ids):
            session.execute(delete(table).where(table.c.id.in_(chunk)))
        report.counts.setdefault(spec.name, Counter())["deleted"] = len(ids)
    session.expire_all()


def _given_id(ids: dict[str, dict[tuple, int]] | None, spec: FileSpec, row: Row) -> int | None:
    """The primary key a new row must have (restore), or None to let the database choose."""
    if ids is None:
        return None
    key = tuple(row.values[k] for k in spec.key)
    try:
        return ids[spec.name][key]
    except KeyError:
        raise LoadError(
            [f"{spec.filename}:{row.line}: {spec.key[-1]}: no id given for {key_label(key)!r}"]
        ) from None


def _apply(
    directory: Path,
    parsed: dict[str, list[Row]],
    session: DbSession,
    report: LoadReport,
    ids: dict[str, dict[tuple, int]] | None = None,
) -> None:
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
        counts["rows"] = len(rows)
        if spec.name == "citations":
            existing = {(c.event.slug, c.source.slug): c for c in session.scalars(select(Citation))}
        # Rows may refer to rows further down the same file (an actor's parent, a
        # measure's replacement): create every new object first, then fill them in.
        fresh: set[int] = set()
        if spec.name != "citations":
            for row in rows:
                slug = row.values["slug"]
                if slug not in by_slug[spec.name]:
                    obj = spec.model(slug=slug, id=_given_id(ids, spec, row))
                    by_slug[spec.name][slug] = obj
                    fresh.add(id(obj))
        for row in rows:
            v = dict(row.values)
            if spec.name == "sources":
                v["has_text"] = bool(v.get("has_text"))
            if spec.name == "citations":
                obj = existing.get((v["event"], v["source"]))
                if obj is None:
                    obj = spec.model(id=_given_id(ids, spec, row))
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
