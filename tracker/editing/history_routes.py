"""A record's history, a revision, the public list of recent changes, and reverts (admins):
the editor blueprint's pages about what changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker.accounts.users import admin_required
from tracker.db.models import Citation, Revision, RevisionChange
from tracker.editing import apply as editing
from tracker.editing.forms import RevertForm
from tracker.editing.revisions import Recorder, history, recent, record_key, snapshot, state_after
from tracker.editing.routes import (
    SLUGGED,
    _integrity_message,
    _key,
    _user,
    bp,
    editor_url,
    field_diff,
    noun,
)
from tracker.extensions import db
from tracker.read.collections import COLLECTIONS
from tracker.read.parameters import BadParameter, id_parameter, parse_id, reject_unknown
from tracker.web.feeds import as_utc

# --- history and revert ------------------------------------------------------------------------


def _record_id(collection: str, key: str) -> tuple[Any, int]:
    """The record (None when deleted) and its id; a deleted record is found by its last key."""
    if collection == "citations":
        citation_id = parse_id(key)
        if citation_id is None:
            abort(404, f"There is no citation {key!r}.")
        obj = db.session.get(Citation, citation_id)
        if obj is None:
            return None, citation_id
    else:
        obj = editing.get_by_slug(db.session, collection, key)
    if obj is not None:
        return obj, obj.id
    record_id = db.session.scalar(
        select(RevisionChange.record_id)
        .where(RevisionChange.collection == collection, RevisionChange.record_key == key)
        .order_by(RevisionChange.id.desc())
        .limit(1)
    )
    if record_id is None:
        abort(404, f"There is no {noun(collection)} {key!r}.")
    return None, record_id


def history_view(collection: str, key: str):
    obj, record_id = _record_id(collection, key)
    changes = history(db.session, collection, record_id)
    if obj is None and not changes:
        abort(404, f"There is no {noun(collection)} {key!r}.")
    entries = [{"change": c, "rows": field_diff(c.before, c.after)} for c in changes]
    return render_template(
        "editor/history.html",
        collection=collection,
        obj=obj,
        key=key,
        entries=entries,
        label=editing.label(collection, obj) if obj is not None else key,
        noun=noun(collection),
        revert_form=RevertForm(),
        record_url=editing.record_url(collection, obj) if obj is not None else None,
    )


@admin_required
def revert(collection: str, key: str, revision_id: int):
    """Bring a record back to its values right after an earlier revision, as a new revision.

    A deleted record is restored the same way (its deletion kept every value), under its old
    id, so its history continues on the same page."""
    form = RevertForm()
    if not form.validate_on_submit():
        abort(400, "The revert form was not valid; reload the history page and try again.")
    obj, record_id = _record_id(collection, key)
    changes = history(db.session, collection, record_id)
    target_revision = db.session.get(Revision, revision_id)
    if target_revision is None or all(c.revision_id != revision_id for c in changes):
        abort(404, f"Revision {revision_id} did not change this {noun(collection)}.")
    if obj is None:
        return _restore(collection, key, record_id, changes, target_revision)
    current = snapshot(obj)
    target = state_after(changes, current, revision_id)
    recorder = Recorder(
        db.session,
        _user(),
        "revert",
        f"Reverted {noun(collection)} {record_key(obj)} to revision {revision_id}",
        reverts=target_revision,
    )
    try:
        editing.apply_values(db.session, collection, obj, target)
        change = recorder.updated(obj, current)
        if change is None:
            db.session.rollback()
            flash("The record already has these values.", "info")
        else:
            db.session.commit()
            flash(f"Reverted to revision {revision_id}.", "info")
    except editing.EditError as exc:
        db.session.rollback()
        abort(409, f"Cannot revert: {exc} (it was deleted since).")
    except (StaleDataError, IntegrityError) as exc:
        db.session.rollback()
        abort(409, f"Cannot revert: {type(exc).__name__}; reload and try again.")
    return redirect(editor_url("history", collection, _key(collection, obj)))


def _restore(collection: str, key: str, record_id: int, changes: list, target_revision: Revision):
    """Re-create a deleted record with its values right after ``target_revision``."""
    # From the deletion itself: the values it removed, i.e. just before it.
    after = target_revision.id - 1 if target_revision.id >= changes[0].revision_id else target_revision.id
    target = state_after(changes, {}, after)
    obj = COLLECTIONS[collection].model()
    obj.id = record_id
    if collection != "citations":
        obj.slug = target.get("slug") or key
        if editing.get_by_slug(db.session, collection, obj.slug) is not None:
            abort(409, f"Cannot restore: another {noun(collection)} now has the slug {obj.slug!r}.")
    try:
        editing.apply_values(db.session, collection, obj, target)
        db.session.add(obj)
        recorder = Recorder(
            db.session,
            _user(),
            "revert",
            f"Restored {noun(collection)} {record_key(obj)} as after revision {target_revision.id}",
            reverts=target_revision,
        )
        recorder.created(obj)
        db.session.commit()
    except editing.EditError as exc:
        db.session.rollback()
        abort(409, f"Cannot restore: {exc}; restore or re-create it first.")
    except IntegrityError as exc:
        db.session.rollback()
        abort(409, f"Cannot restore: {_integrity_message(exc)}")
    flash(f"Restored as after revision {target_revision.id}.", "info")
    return redirect(editor_url("history", collection, _key(collection, obj)))


CHANGE_COLLECTIONS = ("events", "measures", "sources", "actors", "citations")
FEED_SIZE = 50


def _change_filters(allowed: set[str]) -> tuple[int | None, str | None]:
    """``before`` (a revision id, for paging) and ``collection`` (only revisions that
    changed a record of it); any other parameter, or a bad value, is a 400 naming it."""
    reject_unknown(request.args, allowed)
    before = id_parameter("before", request.args.get("before"))
    collection = request.args.get("collection") or None
    if collection is not None and collection not in CHANGE_COLLECTIONS:
        raise BadParameter(
            "collection", f"unknown collection {collection!r} (one of: {', '.join(CHANGE_COLLECTIONS)})"
        )
    return before, collection


@bp.get("/changes")
def changes():
    """Recent changes, newest first; public, without e-mail addresses."""
    before, collection = _change_filters({"before", "collection"})
    revisions = recent(db.session, limit=50, before_id=before, collection=collection)
    older = revisions[-1].id if len(revisions) == 50 else None
    return render_template(
        "editor/changes.html",
        revisions=revisions,
        older=older,
        collection=collection,
        collections=CHANGE_COLLECTIONS,
        history_key=_history_key,
    )


@bp.get("/changes.atom")
def changes_atom():
    """The newest edits to the record as Atom, so a researcher can follow corrections and new
    entries; ``collection`` as on /changes. Each entry is one revision, linked to its
    before/after page; the editor is named by public name only."""
    _, collection = _change_filters({"collection"})
    revisions = recent(db.session, limit=FEED_SIZE, collection=collection)
    self_url = url_for(
        "editor.changes_atom", _external=True, **({"collection": collection} if collection else {})
    )
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(
        "Surveillance Policy Tracker: changes to the record" + (f" ({collection})" if collection else "")
    )
    fg.subtitle("Every edit to the record, newest first: corrections, new entries, deletions.")
    page = url_for("editor.changes", _external=True, **({"collection": collection} if collection else {}))
    fg.link(href=page, rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.language("en")
    fg.rights("Data: CC BY 4.0")
    fg.updated(as_utc(revisions[0].created_at) if revisions else dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    for rev in reversed(revisions):  # feedgen prepends entries; keep newest first
        url = url_for("editor.revision", revision_id=rev.id, _external=True)
        entry = fg.add_entry()
        entry.id(url)
        entry.link(href=url)
        entry.title(f"Revision {rev.id}: {rev.summary}")
        entry.published(as_utc(rev.created_at))
        entry.updated(as_utc(rev.created_at))
        entry.author(name=rev.user.public_name if rev.user else "unknown")
        entry.category(term=rev.action)
        records = "; ".join(f"{c.collection[:-1]} {c.record_key} ({c.action})" for c in rev.changes[:20])
        more = f" and {len(rev.changes) - 20} more" if len(rev.changes) > 20 else ""
        entry.summary(f"{rev.summary}. Records: {records}{more}.")
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


@bp.get("/revisions/<id:revision_id>")
def revision(revision_id: int):
    rev = db.session.get(Revision, revision_id)
    if rev is None:
        abort(404, f"There is no revision {revision_id}.")
    entries = [{"change": c, "rows": field_diff(c.before, c.after)} for c in rev.changes]
    return render_template("editor/revision.html", rev=rev, entries=entries, history_key=_history_key)


def _history_key(change: RevisionChange) -> str:
    return str(change.record_id) if change.collection == "citations" else change.record_key


for _c in (*SLUGGED, "citations"):
    bp.add_url_rule(f"/{_c}/<key>/history", f"history_{_c}", history_view, defaults={"collection": _c})
    bp.add_url_rule(
        f"/{_c}/<key>/revert/<id:revision_id>",
        f"revert_{_c}",
        revert,
        defaults={"collection": _c},
        methods=["POST"],
    )
