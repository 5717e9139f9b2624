"""Load ``data/`` CSV files into the database: validated first, then upserted by slug in one
transaction.

Why validate everything before writing: a half-written import is worse than none. The loader
reads every file, checks every cell, reference and cross-field rule, and reports *all*
problems as ``FILE:LINE: column: reason``; only a clean dataset reaches the database, and
then in a single transaction, so a failure there rolls back too.

The standard library's csv reader is used here rather than pandas because errors must name
the physical line of each record (records may span lines), which pandas does not expose.

The rows are written with SQLAlchemy Core, not the ORM: one file at a time in dependency
order, in batches compared with what the database holds for the same keys, keeping only
``{slug: id}`` maps between batches. Why: ORM objects for the 100,000-event synthetic set,
all held in one session, took over a minute and about 2 GB; the batches take a fraction of
that, and what they add to the memory of the parsed files does not grow with the files.
Core writes bypass the ORM's bookkeeping, so the loader does it itself: timestamps and the
version counter of each row it inserts or updates, and the data version, bumped once per
load that changed anything (:func:`_after_bulk_write`). The full-text indexes need nothing:
SQLite's follow the tables by triggers, PostgreSQL's are expression indexes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, delete, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import selectinload

from tracker.datafiles.edits import Edits
from tracker.datafiles.spec import BY_NAME, FILES, CellError, FileSpec, format_cell, parse_cell, row_values
from tracker.datafiles.spec import text_path_name as text_name
from tracker.db import periods
from tracker.db.bulk import insert_rows
from tracker.db.models import (
    Citation,
    DbSession,
    Event,
    Measure,
    Source,
    batches,
    bump_data_version,
    text_sha256,
    utcnow,
)


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
    #: With edits to keep (:mod:`tracker.datafiles.edits`): why rows of the files were not
    #: written (an edit made through the forms since the last load comes first), one message
    #: each; the edits the files' rows replaced (``overwrite_edits``); the (collection,
    #: record id) pairs of protected records the files now agree with, or were made to; the
    #: revision changes still to protect at the next load; the ids updated or deleted.
    conflicts: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    resolved: set[tuple[str, int]] = field(default_factory=set)
    kept_changes: list[int] = field(default_factory=list)
    touched: dict[str, set[int]] = field(default_factory=dict)
    missing_edited: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = []
        for spec in FILES:
            c = self.counts.get(spec.name, Counter())
            line = (
                f"{spec.filename}: {c['inserted']} inserted, {c['updated']} updated, "
                f"{c['unchanged']} unchanged"
            )
            if c["kept"]:
                line += f", {c['kept']} kept as edited through the forms"
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
        out = []
        for spec in FILES:
            keys = self.missing.get(spec.name)
            if not keys:
                continue
            line = (
                f"{spec.filename}: {len(keys)} rows of the database are not in the file and were "
                f"kept (was the file cut short? `tracker load DIR --prune` deletes them): "
                f"{_named(keys)}"
            )
            if edited := self.missing_edited.get(spec.name):
                line += (
                    f"; {edited} of them created or edited through the forms since the last load, "
                    "which --prune keeps unless --overwrite-edits is given"
                )
            out.append(line)
        return out

    def deletions(self) -> list[str]:
        """What ``prune`` deleted, per file."""
        if not self.pruned:
            return []
        return [
            f"{spec.filename}: deleted {len(keys)} rows not in the file: {_named(keys)}"
            for spec in FILES
            if (keys := self.missing.get(spec.name))
        ]

    def conflicts_summary(self) -> str | None:
        """What to do about the rows kept as edited through the forms, if there are any."""
        if not self.conflicts:
            return None
        return (
            f"{len(self.conflicts)} row(s) kept as edited through the forms: bring the files in "
            "line with the edits (`tracker export DIR` writes the database's rows), or take the "
            "files' version with `tracker load DIR --overwrite-edits`."
        )

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] + c["deleted"] for c in self.counts.values())

    def counts_json(self) -> dict[str, dict[str, int]]:
        """The counts per file as plain dicts (what ``data_loads.counts`` keeps)."""
        return {name: dict(sorted(c.items())) for name, c in self.counts.items()}


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
        refs = [
            (col.name, col.type == "refs", known[col.target], col.target[:-1])
            for col in spec.columns
            if col.type in ("ref", "refs")
        ]
        for row in parsed.get(spec.name, []):
            v = row.values
            for name, many, targets, noun in refs:
                value = v.get(name)
                for target in (value if many else (value,)) if value else ():
                    if target not in targets:
                        problems.append(f"{spec.filename}:{row.line}: {name}: unknown {noun} {target!r}")
            if rules := _row_rules(spec.name, v):
                problems.extend(f"{spec.filename}:{row.line}: {msg}" for msg in rules)
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
    if name == "measures" and (v.get("status_checked_on") is None) != (
        v.get("status_checked_source") is None
    ):
        out.append("status_checked_source: give the day the status was checked and its source, or neither")
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
    edits: Edits | None = None,
    overwrite_edits: bool = False,
) -> LoadReport:
    """:func:`load` without the commit, for callers that write more in the same transaction
    (``tracker restore``, :mod:`tracker.datafiles.sync`). ``ids`` gives new rows their
    primary keys, per file and key: a restore must bring back the ids that revisions refer
    to.

    ``edits`` (:func:`tracker.datafiles.edits.read_edits`) are the edits made through the
    forms since the last load: a file's row that differs from a record they changed is not
    written, nor one whose record they deleted (nor the rows referring to such a row), and
    ``prune`` does not delete their records; each is reported (:attr:`LoadReport.conflicts`)
    and the rest of the load goes ahead. A file's row equal to the edited record is simply
    unchanged. ``overwrite_edits`` writes the files' rows anyway, reporting every edit it
    replaces. A file's row under a slug the forms renamed since is matched to the renamed
    record, not inserted as a second one."""
    directory = Path(directory)
    parsed, problems = validate(directory, session)
    if problems:
        raise LoadError(problems)
    keys = {spec.name: ids_by_key(session, spec) for spec in FILES if spec.name in parsed}
    report = LoadReport(pruned=prune)
    guard = _Guard.make(parsed, keys, edits, overwrite_edits, report) if edits is not None else None
    missing = _missing(parsed, keys)
    kept: dict[str, set[tuple]] = {}
    if guard is not None:
        kept = guard.not_in_files(missing, prune)
    if prune:
        problems = prune_problems(parsed, missing, session, kept)
        if problems:
            raise LoadError(problems)
    report.missing = {name: [key_label(k) for k in sorted(keys)] for name, keys in missing.items()}
    written = _Written()
    _apply(directory, parsed, session, report, ids, written, guard)
    if guard is not None and (problems := guard.quote_problems(session)):
        raise LoadError(problems)
    if prune:
        _prune(missing, session, report, written)
        if guard is not None:
            guard.pruned(missing)
    if report.changed:
        _after_bulk_write(session, _measures_concerned(session, written), written.actors)
    if guard is not None:
        report.kept_changes = guard.edits.change_ids(guard.edits.records() - report.resolved)
    return report


# --- edits made through the forms since the last load -------------------------------------


def _file_key(spec: FileSpec, row: Row) -> tuple:
    return tuple(row.values.get(k) for k in spec.key)


@dataclass
class _Guard:
    """What a load does about the edits made through the forms since the last one
    (:mod:`tracker.datafiles.edits`), decided before anything is written.

    ``aliases``: per file, a key the forms renamed since, still in the file (and the renamed
    record's new key not in it) → that record's id: the file's row is that record, in its
    version before the rename. ``withheld``: per file, the keys of rows not written: records
    deleted through the forms since, and rows that refer to a withheld row (writing them
    would need it). ``current``: per file, each database row's key by id."""

    edits: Edits
    overwrite: bool
    report: LoadReport
    current: dict[str, dict[int, tuple]]
    aliases: dict[str, dict[tuple, int]] = field(default_factory=dict)
    withheld: dict[str, set[tuple]] = field(default_factory=dict)
    kept: dict[str, set[int]] = field(default_factory=dict)  # ids of the rows kept as edited

    @classmethod
    def make(
        cls,
        parsed: dict[str, list[Row]],
        keys: dict[str, dict[tuple, int]],
        edits: Edits,
        overwrite: bool,
        report: LoadReport,
    ) -> _Guard:
        current = {name: {id_: key for key, id_ in by_key.items()} for name, by_key in keys.items()}
        guard = cls(edits, overwrite, report, current)
        for spec in FILES:
            rows = parsed.get(spec.name)
            if rows is None:
                continue
            in_file = {_file_key(spec, row): row for row in rows}
            aliases = guard.aliases.setdefault(spec.name, {})
            for old, id_ in edits.renamed.get(spec.name, {}).items():
                if old in in_file and old not in keys[spec.name] and current[spec.name][id_] not in in_file:
                    aliases[old] = id_
            withheld = guard.withheld.setdefault(spec.name, set())
            for key, id_ in edits.deleted.get(spec.name, {}).items():
                if key in keys[spec.name]:
                    # Another record has the key now: the file's row is compared with it.
                    report.resolved.add((spec.name, id_))
                    continue
                if key not in in_file or overwrite:
                    report.resolved.add((spec.name, id_))  # the file agrees, or wins
                    if key in in_file:
                        report.overwritten.append(
                            f"{spec.filename}:{in_file[key].line}: {key_label(key)}: deleted through "
                            f"the forms in revision {edits.revision_of(spec.name, id_)}; inserted "
                            "again from the file (--overwrite-edits)"
                        )
                    continue
                withheld.add(key)
                report.conflicts.append(
                    f"{spec.filename}:{in_file[key].line}: {key_label(key)}: deleted through the "
                    f"forms since the last load (revision {edits.revision_of(spec.name, id_)}); "
                    "not loaded again"
                )
            guard._withhold_referrers(spec, rows)
        return guard

    def _withhold_referrers(self, spec: FileSpec, rows: list[Row]) -> None:
        """Withhold the rows of one file that refer to a withheld row, until none is left
        (a reference may be to a row of the same file: an actor's parent)."""
        columns = [c for c in spec.columns if c.type in ("ref", "refs")]
        withheld = self.withheld.setdefault(spec.name, set())
        found = True
        while found:
            found = False
            for row in rows:
                key = _file_key(spec, row)
                if key in withheld:
                    continue
                for col in columns:
                    value = row.values.get(col.name)
                    targets: list[str] = (value or []) if col.type == "refs" else [value] if value else []
                    gone = sorted(t for t in targets if (t,) in self.withheld.get(col.target, ()))
                    if gone:
                        withheld.add(key)
                        found = True
                        self.report.conflicts.append(
                            f"{spec.filename}:{row.line}: {key_label(key)}: not loaded: its "
                            f"{col.name} {gone[0]!r} is not loaded (deleted through the forms "
                            "since the last load, or referring to one that was)"
                        )
                        break

    def withholds(self, spec: FileSpec, row: Row) -> bool:
        return _file_key(spec, row) in self.withheld.get(spec.name, ())

    def not_in_files(self, missing: dict[str, set[tuple]], prune: bool) -> dict[str, set[tuple]]:
        """Take out of ``missing`` the records a file has under their old key (aliases), and,
        when pruning without ``overwrite``, the records edited through the forms since:
        these are kept (reported). Returns the kept keys per file."""
        kept: dict[str, set[tuple]] = {}
        for name, keys in missing.items():
            for id_ in self.aliases.get(name, {}).values():
                keys.discard(self.current[name][id_])
            ids = {key: id_ for id_, key in self.current[name].items()}
            if not prune:
                if edited := sum(self.edits.protects(name, ids[key]) for key in keys):
                    self.report.missing_edited[name] = edited
                continue
            if self.overwrite:
                continue
            spec = BY_NAME[name]
            for key in sorted(keys):
                if self.edits.protects(name, ids[key]):
                    kept.setdefault(name, set()).add(key)
                    self.report.conflicts.append(
                        f"{spec.filename}: {key_label(key)}: not in the file, but created or edited "
                        f"through the forms since the last load (revision "
                        f"{self.edits.revision_of(name, ids[key])}); not deleted"
                    )
            keys -= kept.get(name, set())
        return kept

    def pruned(self, missing: dict[str, set[tuple]]) -> None:
        """Report the records edited through the forms that ``overwrite`` let prune delete."""
        for name, keys in missing.items():
            ids = {key: id_ for id_, key in self.current[name].items()}
            for key in sorted(keys):
                if self.edits.protects(name, ids[key]):
                    self.report.resolved.add((name, ids[key]))
                    self.report.overwritten.append(
                        f"{BY_NAME[name].filename}: {key_label(key)}: created or edited through the "
                        f"forms in revision {self.edits.revision_of(name, ids[key])}; deleted, as "
                        "the file lacks it (--overwrite-edits)"
                    )

    def compared(self, spec: FileSpec, row: Row, id_: int, differences: list[str]) -> bool:
        """Whether the file's row may be written over record ``id_``, which it differs from
        in ``differences`` (empty: the same); reports a kept or an overwritten edit."""
        if not self.edits.protects(spec.name, id_):
            return True
        if not differences:
            self.report.resolved.add((spec.name, id_))
            return True
        key = _file_key(spec, row)
        now = self.current.get(spec.name, {}).get(id_)
        edited = (
            f"renamed to {key_label(now)!r}" if now is not None and now != key else "edited"
        ) + f" through the forms in revision {self.edits.revision_of(spec.name, id_)}"
        fields = ", ".join(differences)
        where = f"{spec.filename}:{row.line}: {key_label(key)}"
        if self.overwrite:
            self.report.resolved.add((spec.name, id_))
            self.report.overwritten.append(f"{where}: {edited}; overwritten with the file's {fields}")
            return True
        self.report.conflicts.append(
            f"{where}: {edited}, after the last load; kept as edited (the file differs in {fields})"
        )
        self.kept.setdefault(spec.name, set()).add(id_)
        return False

    def quote_problems(self, session: DbSession) -> list[str]:
        """Quotes no longer in their source's stored text, once written: a source kept as
        edited while the files change its citations, or a citation kept while the files
        change its source's text. The validation saw the files' texts only; a stored
        quote must occur in the stored text (a backup refuses one that does not)."""
        sources, citations = self.kept.get("sources", set()), self.kept.get("citations", set())
        if not sources and not citations:
            return []
        query = (
            select(Event.slug, Source.slug, Citation.quote, Source.text)
            .join(Citation.event)
            .join(Citation.source)
            .where(
                Citation.quote.is_not(None),
                Source.text.is_not(None),
                Citation.source_id.in_(sources) | Citation.id.in_(citations),
            )
        )
        return [
            f"citations.csv: {event} / {source}: quote: not in the stored text of {source!r} once "
            "the files' rows are written and the rows edited through the forms kept; bring the "
            "files in line with the edits, or take the files' version (`tracker load DIR "
            "--overwrite-edits`)"
            for event, source, quote, text in session.execute(query)
            if not quote_in_text(quote or "", text or "")
        ]


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
    return _missing(parsed, {spec.name: ids_by_key(session, spec) for spec in FILES if spec.name in parsed})


def _missing(parsed: dict[str, list[Row]], keys: dict[str, dict[tuple, int]]) -> dict[str, set[tuple]]:
    """:func:`missing_rows` from the database's keys per file (:func:`ids_by_key`)."""
    out = {}
    for spec in FILES:
        rows = parsed.get(spec.name)
        if rows is None:
            continue
        out[spec.name] = set(keys[spec.name]) - {_file_key(spec, row) for row in rows}
    return out


def _database_rows(session: DbSession, spec: FileSpec, only: set[tuple] | None = None):
    """(label, values) of every database row of a table (or of those with a key in
    ``only``: rows kept as edited through the forms), references as slugs."""
    refs = [selectinload(getattr(spec.model, c.name)) for c in spec.columns if c.type in ("ref", "refs")]
    why = f"{spec.filename} is not in the directory" if only is None else "kept as edited through the forms"
    for obj in session.scalars(select(spec.model).options(*refs)):
        values = row_values(spec, obj)
        key = tuple(values[k] for k in spec.key)
        if only is None or key in only:
            yield (f"{spec.name[:-1]} {key_label(key)!r} in the database ({why})", values)


def prune_problems(
    parsed: dict[str, list[Row]],
    missing: dict[str, set[tuple]],
    session: DbSession,
    kept: dict[str, set[tuple]] | None = None,
) -> list[str]:
    """Why the rows the files lack cannot be deleted: rows that stay still refer to them.

    The rows that stay are the files' rows, with their new values, every database row of a
    table whose file is not in the directory, and the rows a file lacks that are kept as
    edited through the forms (``kept``, per file). The database would refuse most of these
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
        referrers: Iterable[tuple[str, dict]]
        if spec.name in parsed:
            referrers = ((f"{spec.filename}:{row.line}", row.values) for row in parsed[spec.name])
            if kept and kept.get(spec.name):
                referrers = chain(referrers, _database_rows(session, spec, kept[spec.name]))
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


def _prune(missing: dict[str, set[tuple]], session: DbSession, report: LoadReport, written: _Written) -> None:
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
        if spec.name == "events":
            for chunk in batches(ids, BATCH_SIZE):
                for measure_id, actor_id in session.execute(
                    select(table.c.measure_id, table.c.actor_id).where(table.c.id.in_(chunk))
                ):
                    if measure_id is not None:
                        written.measures.add(measure_id)
                    else:
                        written.actors.add(actor_id)
        if spec.name == "measures":
            written.measures.update(ids)
            for chunk in batches(ids, BATCH_SIZE):
                written.replaced_before.update(
                    session.scalars(
                        select(table.c.replaces_id).where(
                            table.c.id.in_(chunk), table.c.replaces_id.is_not(None)
                        )
                    )
                )
        self_refs = {c.name: None for c in table.c if any(fk.column.table is table for fk in c.foreign_keys)}
        for chunk in batches(ids, BATCH_SIZE) if self_refs else ():
            session.execute(update(table).where(table.c.id.in_(chunk)).values(**self_refs))
        for chunk in batches(ids, BATCH_SIZE):
            session.execute(delete(table).where(table.c.id.in_(chunk)))
        report.counts.setdefault(spec.name, Counter())["deleted"] = len(ids)
        report.touched.setdefault(spec.name, set()).update(ids)


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


# --- writing: SQLAlchemy Core, a batch at a time -----------------------------------------

#: Rows compared and written together. Why batches, and Core rather than the ORM: ORM
#: objects for 100,000 events and their sources and citations, held in one session, took
#: over a minute and about 2 GB; a batch of plain dicts, written in a few statements
#: (:func:`tracker.db.bulk.insert_rows`), needs the same memory whatever the size of the files.
BATCH_SIZE = 2000


def _among(session: DbSession, column: ColumnElement[Any], ids: list[int]) -> ColumnElement[bool]:
    """``column IN (ids)`` for a batch of ids. On PostgreSQL as ``column = ANY(array)``: one
    parameter instead of thousands, each of which psycopg would parse in Python."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("b_ids", ids, type_=ARRAY(column.type)))
    return column.in_(ids)


@dataclass(frozen=True)
class _Layout:
    """Where one file's columns are stored: its table, the columns stored as they are, the
    foreign key of each ``ref`` column and the link table of each ``refs`` column (read
    from the model's relationships, so the models stay the one statement of the schema)."""

    table: Table
    plain: tuple[str, ...]
    refs: dict[str, str]  # column -> its foreign-key column
    links: dict[str, tuple[Table, str, str]]  # column -> (link table, owner column, target column)
    key: tuple[str, ...]  # the columns of the file's key: slug, or event_id and source_id
    texts: bool  # has_text and sha256: the stored text of a source


def _layout(spec: FileSpec) -> _Layout:
    table = spec.model.__table__
    relationships = sa_inspect(spec.model).relationships
    plain, refs, links = [], {}, {}
    for col in spec.columns:
        if col.type == "ref":
            [fk] = relationships[col.name].local_columns
            refs[col.name] = fk.name
        elif col.type == "refs":
            relationship = relationships[col.name]
            link = relationship.secondary
            assert isinstance(link, Table)
            owner = relationship.synchronize_pairs[0][1].name
            target = relationship.secondary_synchronize_pairs[0][1].name
            links[col.name] = (link, owner, target)
        elif col.name not in ("has_text", "sha256"):
            plain.append(col.name)
    key = tuple(refs.get(name, name) for name in spec.key)
    return _Layout(table, tuple(plain), refs, links, key, "has_text" in spec.header)


@dataclass
class _Written:
    """What the write phase changed that derived data depends on: the measures whose own row
    or events were inserted, updated or deleted, and the measures these replaced before."""

    measures: set[int] = field(default_factory=set)
    replaced_before: set[int] = field(default_factory=set)
    # The acting actors of events without a measure, before and after (their facet counts).
    actors: set[int] = field(default_factory=set)


class _FileWriter:
    """Writes the rows of one file: each batch is compared with what the database holds for
    the same keys (read in the same batch), then new rows are inserted, changed rows
    updated (``version`` + 1, ``updated_at`` now, as the ORM does) and link rows added or
    removed. References into the file itself (an actor's parent, a measure's ``replaces``)
    may point further down the file: they are set once the whole file is in."""

    def __init__(
        self,
        session: DbSession,
        spec: FileSpec,
        directory: Path,
        id_of: dict[str, dict[Any, int]],
        ids: dict[str, dict[tuple, int]] | None,
        report: LoadReport,
        written: _Written,
        now: dt.datetime,
        guard: _Guard | None = None,
    ):
        self.session, self.spec, self.directory = session, spec, directory
        self.given, self.report, self.written, self.now, self.guard = ids, report, written, now, guard
        self.counts = report.counts.setdefault(spec.name, Counter())
        self.layout = layout = _layout(spec)
        self.columns = {col.name: col for col in spec.columns}
        self.flags = [name for name in layout.plain if self.columns[name].type == "bool"]
        # The {slug: id} map each reference resolves in (the same dicts as ``id_of``, which
        # this writer extends with the rows it inserts, so later files find them).
        self.ref_ids = [(name, fk, id_of[self.columns[name].target]) for name, fk in layout.refs.items()]
        self.link_ids = [(name, id_of[self.columns[name].target]) for name in layout.links]
        self.stored_columns = (*layout.plain, *layout.refs.values())
        # Whether the ids of new rows are needed: for links, later files and references
        # within the file.
        self.referred_to = bool(layout.links) or any(
            col.ref == spec.name for other in FILES for col in other.columns
        )
        table = layout.table
        if spec.name == "citations":
            self.keys: dict[Any, int] = {
                (e, s): i
                for i, e, s in session.execute(select(table.c.id, table.c.event_id, table.c.source_id))
            }
        else:
            self.keys = id_of[spec.name]
        if guard is not None:
            # A key renamed through the forms since the last load names its record still.
            # In ``id_of`` (for files other than citations): references to it find it too.
            for old, id_ in guard.aliases.get(spec.name, {}).items():
                if spec.name != "citations":
                    self.keys[old[0]] = id_
                elif (e := id_of["events"].get(old[0])) and (s := id_of["sources"].get(old[1])):
                    self.keys.setdefault((e, s), id_)
        self.deferred: list[tuple[int, str, str]] = []  # (row id, foreign key, target slug)

    # -- one row ---------------------------------------------------------------------------

    def _resolve(self, v: dict) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """A file row as stored: plain values, foreign keys as ids and link lists as id
        lists; plus the foreign keys into this file whose target is not in the database yet."""
        new = {name: v[name] for name in self.layout.plain}
        for name in self.flags:  # an empty 0/1 cell is 0: the column is NOT NULL
            new[name] = bool(new[name])
        deferred = []
        for name, fk, targets in self.ref_ids:
            slug = v[name]
            target = targets.get(slug) if slug is not None else None
            if slug is not None and target is None:
                deferred.append((fk, slug))  # validated: a row further down this file
            new[fk] = target
        for name, targets in self.link_ids:
            new[name] = [targets[slug] for slug in v[name]]
        return new, deferred

    def _key(self, new: dict[str, Any]):
        """A row's key in ``self.keys``: its slug, or (event id, source id) for a citation."""
        key = self.layout.key
        return new[key[0]] if len(key) == 1 else tuple(new[name] for name in key)

    def _differences(self, v: dict, stored: dict[str, Any], new: dict[str, Any], deferred: list) -> list[str]:
        """The file's columns in which a row differs from the database's (``text`` for a
        source's stored text), in the file's order; empty when it is the same."""
        layout = self.layout
        late = {fk for fk, _ in deferred}  # a reference to a row further down: not in yet
        out = []
        for col in self.spec.columns:
            name = col.name
            if name in layout.plain:
                a, b = stored[name], new[name]
                if a != b and format_cell(col, a) != format_cell(col, b):
                    out.append(name)
            elif name in layout.refs:
                fk = layout.refs[name]
                if fk in late or stored[fk] != new[fk]:
                    out.append(name)
            elif name in layout.links and stored[name] != set(new[name]):
                out.append(name)
        if layout.texts and (
            bool(stored["has_text"]) != bool(v.get("has_text")) or stored["sha256"] != v.get("sha256")
        ):
            out.append("text")
        return out

    def _row(self, v: dict, new: dict[str, Any]) -> dict[str, Any]:
        """The table's columns of a row to insert or update (link lists left out)."""
        out = {name: new[name] for name in self.stored_columns}
        if self.layout.texts:
            text = None
            if v.get("has_text"):
                text = (self.directory / text_name(v["slug"])).read_bytes().decode("utf-8")
            out["text"] = text
            out["sha256"] = text_sha256(text) if text is not None else None
        return out

    # -- one batch -------------------------------------------------------------------------

    def _stored(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """What the database holds for these rows, in the form :meth:`_resolve` gives (link
        lists as sets)."""
        if not ids:
            return {}
        layout, table = self.layout, self.layout.table
        columns: list[ColumnElement[Any]] = [table.c.id, *(table.c[n] for n in self.stored_columns)]
        if layout.texts:
            columns += [table.c.text.is_not(None).label("has_text"), table.c.sha256]
        stored = {
            row.id: dict(row._mapping)
            for row in self.session.execute(select(*columns).where(_among(self.session, table.c.id, ids)))
        }
        for name, (link, owner, target) in layout.links.items():
            for row in stored.values():
                row[name] = set()
            for owner_id, target_id in self.session.execute(
                select(link.c[owner], link.c[target]).where(_among(self.session, link.c[owner], ids))
            ):
                stored[owner_id][name].add(target_id)
        return stored

    def write_batch(self, rows: list[Row]) -> None:
        resolved = []
        for row in rows:
            new, deferred = self._resolve(row.values)
            resolved.append((row, new, deferred, self._key(new)))
        stored = self._stored([self.keys[key] for *_, key in resolved if key in self.keys])
        inserts: list[tuple[Row, dict, list, Any]] = []
        updates: list[tuple[int, Row, dict, list, dict]] = []
        guard = self.guard
        for row, new, deferred, key in resolved:
            if guard is not None and guard.withholds(self.spec, row):
                self.counts["kept"] += 1  # reported by the guard
                continue
            id_ = self.keys.get(key)
            if id_ is None:
                inserts.append((row, new, deferred, key))
                continue
            differences = self._differences(row.values, stored[id_], new, deferred)
            if guard is not None and not guard.compared(self.spec, row, id_, differences):
                self.counts["kept"] += 1
            elif not differences:
                self.counts["unchanged"] += 1
            else:
                updates.append((id_, row, new, deferred, stored[id_]))
        self._insert(inserts)
        self._update(updates)

    def _insert(self, inserts: list[tuple[Row, dict, list, Any]]) -> None:
        if not inserts:
            return
        layout, table = self.layout, self.layout.table
        params = []
        for row, new, _, _ in inserts:
            values = self._row(row.values, new)
            given = _given_id(self.given, self.spec, row)
            if given is not None:
                values["id"] = given
            params.append(values)
        stamps = {"created_at": self.now, "updated_at": self.now, "version": 1}
        if not self.referred_to:
            # Citations: no row refers to them and they have no links, so their ids would
            # be fetched back for nothing.
            insert_rows(self.session, table, params, (), stamps)
            self.counts["inserted"] += len(inserts)
            return
        returned = insert_rows(self.session, table, params, layout.key, stamps)
        new_ids = {tuple(key) if len(key) > 1 else key[0]: id_ for id_, *key in returned}
        links: dict[str, list[dict]] = {name: [] for name in layout.links}
        for _, new, deferred, key in inserts:
            id_ = self.keys[key] = new_ids[key]
            self.deferred += [(id_, fk, slug) for fk, slug in deferred]
            for name, pairs in links.items():
                pairs.extend({"owner": id_, "target": t} for t in new[name])
            self._note(id_, new, None)
        self._add_links(links)
        self.counts["inserted"] += len(inserts)

    def _update(self, updates: list[tuple[int, Row, dict, list, dict]]) -> None:
        if not updates:
            return
        layout, table = self.layout, self.layout.table
        params = []
        added: dict[str, list[dict]] = {name: [] for name in layout.links}
        removed: dict[str, list[dict]] = {name: [] for name in layout.links}
        for id_, row, new, deferred, stored in updates:
            params.append({"b_id": id_, **{f"b_{k}": v for k, v in self._row(row.values, new).items()}})
            self.deferred += [(id_, fk, slug) for fk, slug in deferred]
            for name in layout.links:
                now_linked = set(new[name])
                added[name].extend({"owner": id_, "target": t} for t in now_linked - stored[name])
                removed[name].extend({"owner": id_, "target": t} for t in stored[name] - now_linked)
            self._note(id_, new, stored)
        names = [k[2:] for k in params[0] if k != "b_id"]
        self.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in names})
            .values(version=table.c.version + 1, updated_at=self.now),
            params,
        )
        for name, pairs in removed.items():
            link, owner, target = layout.links[name]
            if pairs:
                self.session.execute(
                    delete(link).where(
                        link.c[owner] == bindparam("owner"), link.c[target] == bindparam("target")
                    ),
                    pairs,
                )
        self._add_links(added)
        self.counts["updated"] += len(updates)
        self.report.touched.setdefault(self.spec.name, set()).update(id_ for id_, *_ in updates)

    def _add_links(self, pairs_by_column: dict[str, list[dict]]) -> None:
        for name, pairs in pairs_by_column.items():
            link, owner, target = self.layout.links[name]
            for chunk in batches(pairs, BATCH_SIZE):
                insert_rows(self.session, link, [{owner: p["owner"], target: p["target"]} for p in chunk])

    def _note(self, id_: int, new: dict[str, Any], stored: dict[str, Any] | None) -> None:
        """Record the measures this row's change concerns (see :class:`_Written`)."""
        if self.spec.name == "measures":
            self.written.measures.add(id_)
            if stored is not None and stored["replaces_id"] is not None:
                self.written.replaced_before.add(stored["replaces_id"])
        elif self.spec.name == "events":
            for row in (new, stored):
                if row is None:
                    continue
                if row["measure_id"] is not None:
                    self.written.measures.add(row["measure_id"])
                else:
                    self.written.actors.add(row["actor_id"])

    # -- the whole file --------------------------------------------------------------------

    def finish(self) -> None:
        """Set the references into this file that pointed further down it (now all in):
        part of the row's insert or update, so its version stays as that left it."""
        by_column: dict[str, list[dict]] = {}
        for id_, fk, slug in self.deferred:
            by_column.setdefault(fk, []).append({"b_id": id_, "b_target": self.keys[slug]})
        table = self.layout.table
        for fk, params in by_column.items():
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({fk: bindparam("b_target"), "updated_at": self.now}),
                params,
            )


def _apply(
    directory: Path,
    parsed: dict[str, list[Row]],
    session: DbSession,
    report: LoadReport,
    ids: dict[str, dict[tuple, int]] | None,
    written: _Written,
    guard: _Guard | None = None,
) -> None:
    """Write the files one at a time in dependency order (technologies, actors, sources,
    measures, events, citations: ``FILES``' order), a batch at a time. Only ``{slug: id}`` maps of the tables
    are kept between batches; no ORM object is made."""
    now = utcnow()
    id_of: dict[str, dict[Any, int]] = {
        spec.name: {slug: id_ for slug, id_ in session.execute(select(spec.model.slug, spec.model.id))}
        for spec in FILES
        if spec.name != "citations"
    }
    for spec in FILES:
        rows = parsed.get(spec.name)
        if rows is None:
            continue
        writer = _FileWriter(session, spec, directory, id_of, ids, report, written, now, guard)
        writer.counts["rows"] = len(rows)
        for batch in batches(rows, BATCH_SIZE):
            writer.write_batch(batch)
        writer.finish()


def _measures_concerned(session: DbSession, written: _Written) -> set[int] | None:
    """The measures whose derived data a write may have changed: those whose own row or
    events were inserted, updated or deleted, and the measures they replace, before and
    after (a replaced measure ends on the day its replacement first takes effect). None
    when that is every measure in the database (a first load)."""
    table = Measure.__table__
    concerned = set(written.measures) | written.replaced_before
    for chunk in batches(sorted(written.measures), BATCH_SIZE):
        concerned.update(
            session.scalars(
                select(table.c.replaces_id).where(table.c.id.in_(chunk), table.c.replaces_id.is_not(None))
            )
        )
    remaining = set(session.scalars(select(table.c.id)))
    return None if remaining <= concerned else concerned


def _after_bulk_write(
    session: DbSession, changed_measure_ids: set[int] | None, changed_actor_ids: Iterable[int] = ()
) -> None:
    """What follows a load that changed the record, once, in the same transaction.

    The Core writes bypass the ORM's ``before_flush`` hook, so the data version is bumped
    here (once per load, not per row). ``changed_measure_ids`` names the measures whose
    derived data may have changed (their own row or events inserted, updated or deleted,
    and the measures they replace); None means all of them. Objects the session loaded
    before are expired: the database changed under them. The measures' derived status
    periods are rewritten before the commit (:func:`tracker.db.periods.touch`), and the
    facet counts of those measures and of the measure-less events of ``changed_actor_ids``
    (:func:`tracker.db.periods.touch_actors`)."""
    bump_data_version(session)
    periods.touch(session, changed_measure_ids)
    periods.touch_actors(session, changed_actor_ids)
    session.expire_all()
