"""Loads that are recorded, so ``tracker setup`` can bring later changes of ``data/`` into a
database that already has data, without overwriting what editors changed since.

Why a record of each load: ``data/`` changes in the repository after a deployment first
loaded it; every later start (``scripts/serve`` runs ``tracker setup``) must see whether it
did, cheaply, and upsert only then. What changed is told by the files' SHA-256, per file
(:func:`data_hash`), against the one the last load recorded in ``data_loads``. Editors
meanwhile change the record through the forms: the load keeps those edits where the files
disagree, and says so (:mod:`tracker.datafiles.edits`, :func:`tracker.datafiles.load.stage`).

Everything happens in one transaction: the upsert, the check that no editor saved a row the
load wrote while it ran, and the load's record. A load that fails leaves the database and
the recorded hash as they were, so the next ``tracker setup`` tries again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from tracker.datafiles.edits import Edits, read_edits
from tracker.datafiles.load import LoadError, LoadReport, stage
from tracker.datafiles.spec import FILES, TEXT_DIR
from tracker.db.models import DataLoad, DbSession, RevisionChange

#: How many changed files a message names (the count is always given).
NAMED_FILES = 10


@dataclass(frozen=True)
class DataHash:
    """The content of a data directory: each file the loader reads, by its path in the
    directory, with its SHA-256, and one SHA-256 over all of them."""

    sha256: str
    files: dict[str, str]

    def changed_since(self, files: dict[str, str]) -> list[str]:
        """The files added, changed or removed since ``files`` (a load's record)."""
        names = set(files) | set(self.files)
        return sorted(name for name in names if files.get(name) != self.files.get(name))


def data_hash(directory: str | Path) -> DataHash:
    """Hash the data files of ``directory`` and the stored texts in its ``sources/``.

    Every ``.txt`` file there counts, not only those ``sources.csv`` names: a text nobody
    cites makes one load that finds every row unchanged, which costs less than parsing the
    files to know which texts they name. Other files (the codebook) are not read by the
    loader and do not count."""
    directory = Path(directory)
    paths = [directory / spec.filename for spec in FILES]
    if (directory / "sources.csv").is_file() and (directory / TEXT_DIR).is_dir():
        paths += sorted((directory / TEXT_DIR).glob("*.txt"))
    files = {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in paths
        if path.is_file()
    }
    whole = hashlib.sha256("".join(f"{name}\0{digest}\n" for name, digest in sorted(files.items())).encode())
    return DataHash(whole.hexdigest(), files)


def last_load(session: DbSession) -> DataLoad | None:
    return session.scalars(select(DataLoad).order_by(DataLoad.id.desc()).limit(1)).first()


def named_files(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED_FILES])
    more = len(names) - NAMED_FILES
    return f"{shown}, and {more} more" if more > 0 else shown


def load_and_record(
    directory: str | Path,
    session: DbSession,
    *,
    command: str,
    prune: bool = False,
    overwrite_edits: bool = False,
    digest: DataHash | None = None,
) -> LoadReport:
    """Upsert ``directory`` keeping the edits made through the forms since the last load
    (unless ``overwrite_edits``), and record the load, in one transaction.

    ``digest`` is the directory's :func:`data_hash` when the caller already took it (so the
    recorded hash is the one it compared). Raises LoadError, with nothing written, when the
    files have problems or an editor saved a row the load wrote while it ran."""
    directory = Path(directory)
    digest = digest or data_hash(directory)
    try:
        edits = read_edits(session, last_load(session))
        report = stage(directory, session, prune=prune, edits=edits, overwrite_edits=overwrite_edits)
        _refuse_edits_during_the_load(session, edits, report)
        session.add(
            DataLoad(
                command=command,
                directory=str(directory.resolve()),
                data_sha256=digest.sha256,
                files=digest.files,
                revision_id=edits.revision_id,
                kept_changes=report.kept_changes,
                counts=report.counts_json(),
            )
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _refuse_edits_during_the_load(session: DbSession, edits: Edits, report: LoadReport) -> None:
    """Raise LoadError when an edit saved through the forms after the load read the history
    changed a row the load then updated or deleted: committing would overwrite it unseen.

    Why this closes the gap: the load reads rows before it writes them, and an editor may
    save in between. Such an edit is committed before the load's own write to that row (on
    PostgreSQL a later one waits for the load's row lock and is then refused by the row's
    version; SQLite lets no one write while the load does), and its revision is committed
    with it, so reading the revisions after the writes finds it."""
    rc = RevisionChange
    query = select(rc.collection, rc.record_id, rc.record_key, rc.revision_id)
    if edits.revision_id is not None:
        query = query.where(rc.revision_id > edits.revision_id)
    clashes = [
        f"{row.collection} {row.record_key!r}: saved through the forms during the load (revision "
        f"{row.revision_id})"
        for row in session.execute(query.order_by(rc.revision_id, rc.id))
        if row.record_id in report.touched.get(row.collection, ())
    ]
    if clashes:
        raise LoadError([*clashes, "Run the load again: it will keep these edits."])
