"""``tracker export``: the database written as data files, in the format ``load`` reads
(raw CSV: exactly the data, for programs and round trips; load → export → load → export is
byte-identical on both engines)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.datafiles.spec import FILES, FileSpec, row_cells, sort_key, text_path_name
from tracker.db.models import Citation, DbSession, Event, Measure, Source


def frame_to_csv(frame: pd.DataFrame, header: bool = True) -> str:
    """The one CSV dialect of the project: RFC 4180 quoting, ``\\n`` line ends, empty NULLs."""
    return frame.to_csv(index=False, header=header, lineterminator="\n", quoting=csv.QUOTE_MINIMAL, na_rep="")


def _options(spec: FileSpec):
    if spec.name == "measures":
        return [
            selectinload(Measure.technologies),
            selectinload(Measure.adopted_by),
            selectinload(Measure.jurisdiction),
            selectinload(Measure.replaces),
        ]
    if spec.name == "events":
        return [
            selectinload(Event.technologies),
            selectinload(Event.measure),
            selectinload(Event.actor),
            selectinload(Event.jurisdiction),
            selectinload(Event.technologies_added),
            selectinload(Event.technologies_removed),
        ]
    if spec.name == "citations":
        return [selectinload(Citation.event), selectinload(Citation.source)]
    return []


def table_rows(session: DbSession, spec: FileSpec) -> list[list[str]]:
    """Every row of one entity as data-file cells, in data-file order (by key)."""
    rows = [row_cells(spec, obj) for obj in session.scalars(select(spec.model).options(*_options(spec)))]
    rows.sort(key=lambda cells: sort_key(spec, cells))
    return rows


def table_csv(session: DbSession, spec: FileSpec) -> str:
    frame = pd.DataFrame(table_rows(session, spec), columns=spec.header, dtype=str)
    return frame_to_csv(frame)


def export_dir(session: DbSession, directory: str | Path) -> dict[str, int]:
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
    for slug, stored in texts:
        assert stored is not None  # selected where the text is not null
        (directory / text_path_name(slug)).write_bytes(stored.encode("utf-8"))
    return counts
