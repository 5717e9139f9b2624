"""Revision history: what each edit changed, recorded in the same transaction as the edit.

A record's state is represented as a *snapshot*: a JSON-able dict of its data-file columns
(references as slugs, dates as ISO text, lists sorted), the same shape as a row of ``data/``.
:func:`diff` compares two snapshots (a pure function); :class:`Recorder` adds a
:class:`~tracker.models.Revision` with one :class:`~tracker.models.RevisionChange` per record
to the session, so the caller's single ``commit`` saves the edit and its history together.

Reverting walks the history backwards from the current state, undoing each later change's
fields with their ``before`` values; that needs no full copy per revision and works for
records that were loaded from ``data/`` before they had any history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from tracker.datafiles.spec import BY_NAME, row_values
from tracker.db.models import (
    Citation,
    DbSession,
    Revision,
    RevisionChange,
    User,
    utcnow,
)
from tracker.read.collections import COLLECTIONS


def collection_of(obj: object) -> str:
    return COLLECTIONS.of_model(type(obj)).name


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: object) -> dict[str, Any]:
    """A record's values as a JSON-able dict, keyed by the data-file column names."""
    collection = collection_of(obj)
    values = row_values(BY_NAME[collection], obj)
    if collection == "sources":
        values.pop("has_text", None)
        values.pop("sha256", None)
        values["text"] = obj.text  # type: ignore[attr-defined]
    return {k: _jsonable(v) for k, v in values.items()}


def record_key(obj: object) -> str:
    """A readable key: the slug, or ``event-slug / source-slug`` for a citation."""
    if isinstance(obj, Citation):
        return f"{obj.event.slug} / {obj.source.slug}"
    return obj.slug  # type: ignore[attr-defined]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ: (their old values, their new values).

    None, "" and [] count as the same "empty", so re-saving a form that turns NULL into an
    empty string is not reported as a change. Fields missing on one side count as empty.
    """
    old, new = {}, {}
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if _empty(a) and _empty(b):
            continue
        if a != b:
            old[key], new[key] = a, b
    return old, new


class Recorder:
    """Collects the changes of one edit into one revision (added to the session, not committed).

    Usage: ``before = snapshot(obj)``; change ``obj``; ``recorder.updated(obj, before)``;
    then ``session.commit()`` once for the edit and its revision.
    """

    def __init__(
        self,
        session: DbSession,
        user: User | None,
        action: str,
        summary: str,
        reverts: Revision | None = None,
    ):
        self.session = session
        self.revision = Revision(
            user=user, action=action, summary=summary[:500], reverts_id=reverts.id if reverts else None
        )

    def _add(self, obj: object, action: str, before: dict, after: dict) -> RevisionChange | None:
        old, new = diff(before, after)
        if action == "create":
            old = {}
        elif action == "delete":
            new = {}
        if action == "update" and not old and not new:
            return None
        if action == "update":
            # A change to a list (technologies) writes only the link table, which would leave
            # the record's version and updated_at alone: a stale form could then overwrite it
            # and caches keyed on updated_at would not see it. Touching the row makes every
            # change, lists included, an UPDATE that bumps the version (and is refused when
            # the version moved meanwhile).
            obj.updated_at = utcnow()  # type: ignore[attr-defined]
        self.session.flush()  # a new record needs its id
        change = RevisionChange(
            collection=collection_of(obj),
            record_id=obj.id,  # type: ignore[attr-defined]
            record_key=record_key(obj)[:400],
            action=action,
            before=old,
            after=new,
        )
        self.revision.changes.append(change)
        if self.revision not in self.session:
            self.session.add(self.revision)
        return change

    def created(self, obj: object) -> RevisionChange | None:
        return self._add(obj, "create", {}, snapshot(obj))

    def updated(self, obj: object, before: dict[str, Any]) -> RevisionChange | None:
        return self._add(obj, "update", before, snapshot(obj))

    def deleted(self, obj: object, before: dict[str, Any] | None = None) -> RevisionChange | None:
        """Call before ``session.delete(obj)`` (or pass the snapshot taken before)."""
        return self._add(obj, "delete", before if before is not None else snapshot(obj), {})

    @property
    def empty(self) -> bool:
        return not self.revision.changes


def history(session: DbSession, collection: str, record_id: int) -> list[RevisionChange]:
    """A record's changes, newest first."""
    return list(
        session.scalars(
            select(RevisionChange)
            .join(RevisionChange.revision)
            .where(RevisionChange.collection == collection, RevisionChange.record_id == record_id)
            .order_by(Revision.id.desc(), RevisionChange.id.desc())
        )
    )


def state_after(
    changes_newest_first: list[RevisionChange], current: dict[str, Any], revision_id: int
) -> dict[str, Any]:
    """The record's values right after revision ``revision_id``: the current values with
    every later change undone (pure; ``changes`` as returned by :func:`history`)."""
    state = dict(current)
    for change in changes_newest_first:
        if change.revision_id <= revision_id:
            break
        for key, value in change.before.items():
            state[key] = value
    return state


def recent(
    session: DbSession, limit: int = 100, before_id: int | None = None, collection: str | None = None
) -> list[Revision]:
    """The newest revisions first; with ``collection``, only those that changed a record of
    it (a revision saving an event and its citations counts for both)."""
    query = select(Revision).order_by(Revision.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Revision.id < before_id)
    if collection is not None:
        query = query.where(
            Revision.id.in_(select(RevisionChange.revision_id).where(RevisionChange.collection == collection))
        )
    return list(session.scalars(query))
