"""The edits made through the forms that a load of data files must not overwrite unannounced.

Editors change the record through the forms, and each save is a :class:`Revision` with one
:class:`RevisionChange` per record. ``data/`` is maintained apart from them, so a later load
of it can carry an older value of a row an editor has corrected since. Which edits count:
every change after the highest revision the last recorded load had seen
(:class:`~tracker.db.models.DataLoad`), and the changes that load kept against the files
(conflicts not resolved yet, so they stay protected until the files agree or someone takes
the files' version on purpose). With no load recorded (a database loaded before loads were
recorded, or by a tool), every change counts: the loader cannot tell which ones the files
already have, and keeping an edit the files also have costs nothing (the row then compares
unchanged).

This module only reads; :func:`tracker.datafiles.load.stage` decides, row by row, what the
edits mean for a load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from tracker.datafiles.spec import BY_NAME
from tracker.db.models import DataLoad, DbSession, Revision, RevisionChange, batches

# The columns of a file's key as revisions store them: a citation's key is its event and its
# source, every other record's its slug (``RevisionChange.record_key`` joins them with " / ").
KEY_SEPARATOR = " / "


@dataclass(frozen=True)
class Change:
    """One recorded change of a record (a row of ``revision_changes``)."""

    id: int
    revision_id: int
    action: str


@dataclass
class Edits:
    """Per collection (the data file's name), the records changed through the forms that a
    load must not overwrite: their changes, oldest first; the keys of those deleted since
    (key → record id), and the keys those still present had before a rename (old key →
    record id)."""

    #: The highest revision when the history was read (None: no revision yet).
    revision_id: int | None
    changes: dict[str, dict[int, list[Change]]] = field(default_factory=dict)
    deleted: dict[str, dict[tuple, int]] = field(default_factory=dict)
    renamed: dict[str, dict[tuple, int]] = field(default_factory=dict)

    def protects(self, collection: str, record_id: int) -> bool:
        return record_id in self.changes.get(collection, {})

    def revision_of(self, collection: str, record_id: int) -> int:
        """The latest revision that changed the record."""
        return self.changes[collection][record_id][-1].revision_id

    def change_ids(self, records: set[tuple[str, int]]) -> list[int]:
        """The change ids of these (collection, record id) pairs, sorted."""
        return sorted(
            change.id
            for collection, record_id in records
            for change in self.changes.get(collection, {}).get(record_id, [])
        )

    def records(self) -> set[tuple[str, int]]:
        return {(collection, id_) for collection, by_id in self.changes.items() for id_ in by_id}


def _key(record_key: str, collection: str) -> tuple:
    return tuple(record_key.split(KEY_SEPARATOR)) if collection == "citations" else (record_key,)


def read_edits(session: DbSession, last: DataLoad | None) -> Edits:
    """The edits a load after ``last`` (None: no load recorded) must keep; see the module."""
    top = session.scalar(select(func.max(Revision.id)))
    edits = Edits(revision_id=top)
    if top is None:
        return edits
    rc = RevisionChange
    columns = (rc.id, rc.revision_id, rc.collection, rc.record_id, rc.record_key, rc.action, rc.before)
    rows = {}
    since = select(*columns).where(rc.revision_id <= top)
    if last is not None and last.revision_id is not None:
        since = since.where(rc.revision_id > last.revision_id)
    for row in session.execute(since):
        rows[row.id] = row
    for chunk in batches(sorted(set(last.kept_changes) if last is not None else ()), 1000):
        for row in session.execute(select(*columns).where(rc.id.in_(chunk))):
            rows[row.id] = row
    history: dict[str, dict[int, list]] = {}
    for row in sorted(rows.values(), key=lambda r: (r.revision_id, r.id)):
        history.setdefault(row.collection, {}).setdefault(row.record_id, []).append(row)
    for collection, by_id in history.items():
        model = BY_NAME[collection].model
        present: set[int] = set()
        for chunk in batches(sorted(by_id), 1000):
            present.update(session.scalars(select(model.id).where(model.id.in_(chunk))))
        changes = edits.changes.setdefault(collection, {})
        deleted = edits.deleted.setdefault(collection, {})
        renamed = edits.renamed.setdefault(collection, {})
        key_columns = BY_NAME[collection].key
        for id_, rows_ in by_id.items():
            if id_ not in present:
                # Gone: deleted through the forms (a file's row must not bring it back), or
                # by a load's prune (nothing of it left to keep).
                if rows_[-1].action != "delete":
                    continue
                deleted[_key(rows_[-1].record_key, collection)] = id_
            changes[id_] = [Change(r.id, r.revision_id, r.action) for r in rows_]
            if id_ not in present:
                continue
            current = _key(rows_[-1].record_key, collection)
            for r in rows_:
                if r.action != "update" or not any(k in r.before for k in key_columns):
                    continue
                # The key before this change: its columns in ``before``, the rest as after.
                after = _key(r.record_key, collection)
                old = tuple(r.before.get(k, part) for k, part in zip(key_columns, after, strict=True))
                if old != current:
                    renamed[old] = id_
    return edits
