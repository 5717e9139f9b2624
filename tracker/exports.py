"""Serializers: the data files (``tracker export``), web CSV downloads, JSON and the data
package. Pure functions over rows; the views only pick one (Redash's habit).

Two CSV flavours, on purpose:
- *raw* (``tracker export``, the data package): exactly the data, for programs and round
  trips (load → export → load → export is byte-identical);
- *safe* (web downloads): cells a spreadsheet would run as a formula are neutralised with a
  leading apostrophe, because advocates open these files in Excel.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .datafiles import FILES, FileSpec, row_cells, sort_key, text_path_name
from .models import Citation, Event, Measure, Source

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def frame_to_csv(frame: pd.DataFrame, header: bool = True) -> str:
    """The one CSV dialect of the project: RFC 4180 quoting, ``\\n`` line ends, empty NULLs."""
    return frame.to_csv(index=False, header=header, lineterminator="\n",
                        quoting=csv.QUOTE_MINIMAL, na_rep="")


def _options(spec: FileSpec):
    if spec.name == "measures":
        return [selectinload(Measure.technologies), selectinload(Measure.adopted_by),
                selectinload(Measure.jurisdiction), selectinload(Measure.replaces)]
    if spec.name == "events":
        return [selectinload(Event.technologies), selectinload(Event.measure),
                selectinload(Event.actor), selectinload(Event.jurisdiction)]
    if spec.name == "citations":
        return [selectinload(Citation.event), selectinload(Citation.source)]
    return []


def table_rows(session: Session, spec: FileSpec) -> list[list[str]]:
    """Every row of one entity as data-file cells, in data-file order (by key)."""
    rows = [row_cells(spec, obj)
            for obj in session.scalars(select(spec.model).options(*_options(spec)))]
    rows.sort(key=lambda cells: sort_key(spec, cells))
    return rows


def table_csv(session: Session, spec: FileSpec) -> str:
    frame = pd.DataFrame(table_rows(session, spec), columns=spec.header, dtype=str)
    return frame_to_csv(frame)


def export_dir(session: Session, directory: str | Path) -> dict[str, int]:
    """Write every entity as ``<name>.csv`` plus stored source texts; returns row counts."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for spec in FILES:
        text = table_csv(session, spec)
        (directory / spec.filename).write_bytes(text.encode("utf-8"))
        counts[spec.name] = text.count("\n") - 1 if text else 0
    texts = session.execute(
        select(Source.slug, Source.text).where(Source.text.is_not(None)).order_by(Source.slug)
    ).all()
    if texts:
        (directory / "sources").mkdir(exist_ok=True)
    for slug, text in texts:
        (directory / text_path_name(slug)).write_bytes(text.encode("utf-8"))
    return counts


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


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def csv_chunks(chunks, columns: list[str], bom: bool = False, safe: bool = True):
    """Stream CSV text from an iterable of row-lists: the header, then one piece per chunk.

    Memory stays flat: only one chunk (a few thousand rows) is held at a time.
    """
    if bom:
        yield "\ufeff"
    yield frame_to_csv(pd.DataFrame([], columns=columns))
    for rows in chunks:
        if not rows:
            continue
        frame = pd.DataFrame(rows, columns=columns, dtype=object)
        if safe:
            frame = neutralise_frame(frame)
        yield frame_to_csv(frame, header=False)


def rows_to_csv(rows: list[list], columns: list[str], bom: bool = False, safe: bool = True) -> str:
    return "".join(csv_chunks([rows], columns, bom=bom, safe=safe))


def io_text(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))
