"""Editors' pages: create, edit and delete records, their history, reverts, recent changes.

Views stay thin: the form validates, :mod:`tracker.editing` applies values, and
:mod:`tracker.revisions` records the change in the same transaction. Saves use optimistic
locking: the form carries the version the editor started from, and a save based on an older
version is refused with a 409 conflict page instead of overwriting someone else's work.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker import ingest
from tracker.accounts.users import admin_required, editor_required
from tracker.core import vocab
from tracker.core.status import today
from tracker.datafiles.load import quote_in_text
from tracker.db.models import Citation, Correction, Revision, RevisionChange, Source
from tracker.editing import apply as editing
from tracker.editing.forms import FORMS, DeleteForm, IngestForm, IngestSourceForm, RecordForm, RevertForm
from tracker.editing.revisions import MODELS, Recorder, history, recent, record_key, snapshot, state_after
from tracker.extensions import db
from tracker.read.parameters import id_parameter, parse_id, reject_unknown

bp = Blueprint("editor", __name__)

SLUGGED = ("events", "measures", "actors", "sources")
NOUN = {"events": "event", "measures": "measure", "actors": "actor", "sources": "source",
        "citations": "citation"}


# --- helpers -----------------------------------------------------------------------------------


def editor_url(action: str, collection: str, key: str | None = None, **kwargs) -> str:
    """URL of an editor page: ``editor_url("edit", "events", "some-slug")``."""
    if key is not None:
        kwargs["key"] = key
    return url_for(f"editor.{action}_{collection}", **kwargs)


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"editor_url": editor_url, "show_value": show_value}


def _get(collection: str, key: str):
    """The record, or 404. Citations are keyed by id, the others by slug."""
    if collection == "citations":
        citation_id = parse_id(key)
        obj = db.session.get(Citation, citation_id) if citation_id is not None else None
    else:
        obj = editing.get_by_slug(db.session, collection, key)
    if obj is None:
        abort(404, f"There is no {NOUN[collection]} {key!r}.")
    return obj


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        if isinstance(v, dt.date):
            v = v.isoformat()
        out[k] = v
    return out


def _key(collection: str, obj) -> str:
    return str(obj.id) if collection == "citations" else obj.slug


def _user():
    return current_user._get_current_object()


def _form(collection: str, obj=None, data: dict | None = None) -> RecordForm:
    form = FORMS[collection](data=data) if data is not None else FORMS[collection]()
    form.setup(db.session, obj)
    return form


def _integrity_message(exc: IntegrityError) -> str:
    return ("The database refused the change (a rule on the data was broken: "
            f"{str(exc.orig).splitlines()[0][:200]}).")


def _commit_created(obj: Any, summary: str, saved: str) -> bool:
    """Record the creation and commit both in one transaction; False (with the database's
    reason flashed) when a rule on the data refuses it."""
    recorder = Recorder(db.session, _user(), "create", summary)
    try:
        recorder.created(obj)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        flash(_integrity_message(exc), "error")
        return False
    flash(saved, "info")
    return True


def show_value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)


def field_diff(before: dict, after: dict) -> list[dict]:
    """Rows for a readable diff: long or multi-line text gets a line-by-line comparison."""
    rows = []
    for name in sorted(set(before) | set(after)):
        old, new = show_value(before.get(name)), show_value(after.get(name))
        row: dict[str, Any] = {"field": name, "before": old, "after": new, "lines": None}
        if "\n" in old + new or len(old) + len(new) > 400:
            row["lines"] = [
                line for line in difflib.unified_diff(
                    old.splitlines(), new.splitlines(), lineterm="", n=1)
                if not line.startswith(("---", "+++"))
            ]
        rows.append(row)
    return rows


def _conflict(collection: str, obj, yours: dict[str, Any], base_version: int | None):
    """409: someone saved the record after this editor opened the form. Nothing is written."""
    db.session.rollback()
    obj = _get(collection, _key(collection, obj))
    current = snapshot(obj)
    yours = {k: v for k, v in _jsonable(yours).items() if k in current}
    rows = [r for r in field_diff(current, {**current, **yours}) if r["before"] != r["after"]]
    since = history(db.session, collection, obj.id)
    return render_template(
        "editor/conflict.html", collection=collection, obj=obj, key=_key(collection, obj),
        label=editing.label(collection, obj), rows=rows, base_version=base_version,
        since=since[:10], current=current,
    ), 409


# --- create ------------------------------------------------------------------------------------


def create(collection: str):
    form = _form(collection)
    if form.validate_on_submit():
        values = form.values()
        obj = MODELS[collection]()
        obj.slug = editing.unique_slug(db.session, MODELS[collection],
                                       editing.slug_base(collection, values))
        editing.apply_values(db.session, collection, obj, values)
        db.session.add(obj)
        if _commit_created(obj, f"Created {NOUN[collection]} {obj.slug}",
                           f"Saved {NOUN[collection]} {obj.slug}."):
            return redirect(editing.record_url(collection, obj))
    return render_template("editor/form.html", form=form, collection=collection, obj=None,
                           title=f"New {NOUN[collection]}")


def create_citation(parent: str, key: str):
    """A citation from its event's or its source's page: that side is fixed."""
    owner = _get(parent, key)
    side = "event" if parent == "events" else "source"
    form = _form("citations", data=None if request.method == "POST" else {side: owner.slug})
    if request.method == "POST":
        getattr(form, side).data = owner.slug
    if form.validate_on_submit():
        values = form.values()
        obj = Citation()
        editing.apply_values(db.session, "citations", obj, values)
        db.session.add(obj)
        if _commit_created(obj, f"Cited {obj.source.slug} for {obj.event.slug}", "Citation saved."):
            return redirect(editing.record_url(parent, owner))
    return render_template("editor/form.html", form=form, collection="citations", obj=None,
                           fixed=side, owner=owner,
                           title=f"New citation for {editing.label(parent, owner)}")


# --- edit --------------------------------------------------------------------------------------


def edit(collection: str, key: str):
    obj = _get(collection, key)
    before = snapshot(obj)
    form_cls = FORMS[collection]
    if request.method == "GET":
        form = _form(collection, obj, data={**form_cls.data_from(before), "version": obj.version})
    else:
        form = _form(collection, obj)
    reject_unknown(request.args, {"correction"})
    correction_id = id_parameter("correction", request.args.get("correction"))
    correction = db.session.get(Correction, correction_id) if correction_id is not None else None
    if form.validate_on_submit():
        values = form.values()
        if form.base_version != obj.version:
            return _conflict(collection, obj, values, form.base_version)
        editing.apply_values(db.session, collection, obj, values)
        recorder = Recorder(db.session, _user(), "update",
                            f"Edited {NOUN[collection]} {record_key(obj)}")
        try:
            change = recorder.updated(obj, before)
            if change is None:
                db.session.rollback()
                flash("Nothing changed.", "info")
                return redirect(editing.record_url(collection, obj))
            db.session.commit()
        except StaleDataError:
            return _conflict(collection, obj, values, form.base_version)
        except IntegrityError as exc:
            db.session.rollback()
            flash(_integrity_message(exc), "error")
            obj = _get(collection, key)
        else:
            flash("Saved.", "info")
            return redirect(editing.record_url(collection, obj))
    return render_template("editor/form.html", form=form, collection=collection, obj=obj,
                           key=_key(collection, obj), correction=correction,
                           title=f"Edit {NOUN[collection]}: {editing.label(collection, obj)}")


# --- delete ------------------------------------------------------------------------------------


def delete(collection: str, key: str):
    obj = _get(collection, key)
    deps = editing.dependents(db.session, collection, obj)
    form = DeleteForm(data={"version": obj.version} if request.method == "GET" else None)
    label = editing.label(collection, obj)
    status = 200
    if form.validate_on_submit():
        if str(obj.version) != (form.version.data or ""):
            return _conflict(collection, obj, {}, None)
        if deps.blocking:
            status = 409
        else:
            recorder = Recorder(db.session, _user(), "delete",
                                f"Deleted {NOUN[collection]} {record_key(obj)}")
            # Record everything first (recording flushes), then delete in one go.
            for _, dep in deps.cleared:
                dep_before = snapshot(dep)
                dep.replaces = None
                recorder.updated(dep, dep_before)
            for _, dep in deps.cascade:
                recorder.deleted(dep)
            recorder.deleted(obj)
            parent = obj.event if collection == "citations" else None
            for _, dep in deps.cascade:
                db.session.delete(dep)
            db.session.delete(obj)
            try:
                db.session.commit()
            except (IntegrityError, StaleDataError) as exc:
                db.session.rollback()
                abort(409, f"The record could not be deleted ({type(exc).__name__}). Reload and try again.")
            flash(f"Deleted {NOUN[collection]} {label}.", "info")
            if parent is not None:
                return redirect(editing.record_url("events", parent))
            return redirect(url_for("editor.changes"))
    return render_template("editor/delete.html", form=form, collection=collection, obj=obj,
                           key=_key(collection, obj), label=label, deps=deps,
                           noun=NOUN[collection]), status


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
        .order_by(RevisionChange.id.desc()).limit(1)
    )
    if record_id is None:
        abort(404, f"There is no {NOUN[collection]} {key!r}.")
    return None, record_id


def history_view(collection: str, key: str):
    obj, record_id = _record_id(collection, key)
    changes = history(db.session, collection, record_id)
    if obj is None and not changes:
        abort(404, f"There is no {NOUN[collection]} {key!r}.")
    entries = [{"change": c, "rows": field_diff(c.before, c.after)} for c in changes]
    return render_template(
        "editor/history.html", collection=collection, obj=obj, key=key, entries=entries,
        label=editing.label(collection, obj) if obj is not None else key,
        noun=NOUN[collection], revert_form=RevertForm(),
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
        abort(404, f"Revision {revision_id} did not change this {NOUN[collection]}.")
    if obj is None:
        return _restore(collection, key, record_id, changes, target_revision)
    current = snapshot(obj)
    target = state_after(changes, current, revision_id)
    recorder = Recorder(db.session, _user(), "revert",
                        f"Reverted {NOUN[collection]} {record_key(obj)} "
                        f"to revision {revision_id}", reverts=target_revision)
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
    obj = MODELS[collection]()
    obj.id = record_id
    if collection != "citations":
        obj.slug = target.get("slug") or key
        if editing.get_by_slug(db.session, collection, obj.slug) is not None:
            abort(409, f"Cannot restore: another {NOUN[collection]} now has the slug {obj.slug!r}.")
    try:
        editing.apply_values(db.session, collection, obj, target)
        db.session.add(obj)
        recorder = Recorder(db.session, _user(), "revert",
                            f"Restored {NOUN[collection]} {record_key(obj)} "
                            f"as after revision {target_revision.id}", reverts=target_revision)
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


@bp.get("/changes")
def changes():
    """Recent changes, newest first; public, without e-mail addresses."""
    reject_unknown(request.args, {"before"})
    before = id_parameter("before", request.args.get("before"))
    revisions = recent(db.session, limit=50, before_id=before)
    older = revisions[-1].id if len(revisions) == 50 else None
    return render_template("editor/changes.html", revisions=revisions, older=older,
                           history_key=_history_key)


@bp.get("/revisions/<id:revision_id>")
def revision(revision_id: int):
    rev = db.session.get(Revision, revision_id)
    if rev is None:
        abort(404, f"There is no revision {revision_id}.")
    entries = [{"change": c, "rows": field_diff(c.before, c.after)} for c in rev.changes]
    return render_template("editor/revision.html", rev=rev, entries=entries, history_key=_history_key)


def _history_key(change: RevisionChange) -> str:
    return str(change.record_id) if change.collection == "citations" else change.record_key


# --- routes ------------------------------------------------------------------------------------
# Each collection gets literal rules (/events/new, not /<collection>/new) so that the
# public detail rule /events/<slug> never captures "new".

for _c in SLUGGED:
    bp.add_url_rule(f"/{_c}/new", f"create_{_c}", editor_required(create),
                    defaults={"collection": _c}, methods=["GET", "POST"])
for _c in (*SLUGGED, "citations"):
    conv = "<key>"
    bp.add_url_rule(f"/{_c}/{conv}/edit", f"edit_{_c}", editor_required(edit),
                    defaults={"collection": _c}, methods=["GET", "POST"])
    bp.add_url_rule(f"/{_c}/{conv}/delete", f"delete_{_c}", editor_required(delete),
                    defaults={"collection": _c}, methods=["GET", "POST"])
    bp.add_url_rule(f"/{_c}/{conv}/history", f"history_{_c}", history_view,
                    defaults={"collection": _c})
    bp.add_url_rule(f"/{_c}/{conv}/revert/<id:revision_id>", f"revert_{_c}", revert,
                    defaults={"collection": _c}, methods=["POST"])
for _c in ("events", "sources"):
    bp.add_url_rule(f"/{_c}/<key>/citations/new", f"cite_{_c}", editor_required(create_citation),
                    defaults={"parent": _c}, methods=["GET", "POST"])


# --- statements → source + citations -----------------------------------------------------------


@bp.route("/sources/ingest", methods=["GET", "POST"])
@editor_required
def ingest_statement():
    """Two steps on one URL: (1) text or file + URL → proposed source and citations;
    (2) the editor's ticks → one source, its citations, one revision."""

    step = request.form.get("step", "propose")
    if request.method == "POST" and step == "save":
        form = IngestSourceForm()
        suggestions = _posted_suggestions()
        if form.validate_on_submit():
            text = form.text.data.replace("\r\n", "\n")
            errors = [f"{s['event']}: the quote does not occur in the text" for s in suggestions
                      if s["picked"] and s["quote"] and not quote_in_text(s["quote"], text)]
            errors += [f"{s['event']}: unknown role {s['role']!r}" for s in suggestions
                       if s["picked"] and s["role"] not in vocab_roles()]
            if not errors:
                return _save_ingested(form, text, [s for s in suggestions if s["picked"]])
            for error in errors:
                flash(error, "error")
        return render_template("editor/ingest_review.html", form=form, suggestions=suggestions,
                               roles=vocab_roles()), 400
    form = IngestForm()
    if form.validate_on_submit():
        raw = ""
        html = False
        if form.upload.data:
            data = form.upload.data.read(ingest.STATEMENT_MAX_UPLOAD_BYTES + 1)
            if len(data) > ingest.STATEMENT_MAX_UPLOAD_BYTES:
                form.upload.errors.append(
                    f"The file is larger than {ingest.STATEMENT_MAX_UPLOAD_BYTES // 2**20} MB.")
                return render_template("editor/ingest.html", form=form), 413
            raw = data.decode("utf-8", errors="replace")
            html = form.upload.data.filename.lower().endswith((".html", ".htm"))
        elif form.text.data and form.text.data.strip():
            raw = form.text.data
        if not raw.strip():
            form.text.errors.append("Paste the statement's text or upload a file.")
        else:
            statement = ingest.read_statement(raw, html=html,
                                               publishers=ingest.load_publishers(db.session))
            if len(statement.text) > ingest.STATEMENT_MAX_CHARS:
                field = form.upload if form.upload.data else form.text
                field.errors.append(
                    f"The statement has {len(statement.text):,} characters; the most it can read "
                    f"is {ingest.STATEMENT_MAX_CHARS:,}. Keep the part that speaks of the events.")
                return render_template("editor/ingest.html", form=form), 413
            if form.url.data:
                statement.meta["url"] = form.url.data
            found = ingest.suggest(statement, ingest.load_candidates(db.session), limit=30, min_score=0.3)
            meta = statement.meta
            # formdata=None: the review form shows what the statement says, not the fields
            # of the request that carried it (which holds the raw text, header included, or
            # nothing at all when the statement was uploaded).
            review = IngestSourceForm(formdata=None, data={
                "text": statement.text, "title": meta.get("title"), "publisher": meta.get("publisher"),
                "kind": meta.get("kind") if meta.get("kind") in vocab_source_kinds() else "statement",
                "url": meta.get("url"), "published": statement.published,
            })
            suggestions = [{"event": s.event, "title": s.title, "date": s.date, "role": s.role,
                            "score": s.score, "quote": s.quote, "reasons": s.reasons,
                            "picked": s.score >= ingest.DEFAULT_MIN_SCORE} for s in found]
            return render_template("editor/ingest_review.html", form=review, suggestions=suggestions,
                                   roles=vocab_roles())
    return render_template("editor/ingest.html", form=form)


def vocab_roles() -> list[str]:
    return vocab.CITATION_ROLES.codes


def vocab_source_kinds() -> list[str]:

    return vocab.SOURCE_KINDS.codes


def _posted_suggestions() -> list[dict]:
    """The review table's rows as posted: s-<n>-event, -role, -quote, and the tick."""
    rows = []
    picked = set(request.form.getlist("pick"))
    n = 0
    while f"s-{n}-event" in request.form and n < 200:
        rows.append({
            "event": request.form[f"s-{n}-event"], "role": request.form.get(f"s-{n}-role", ""),
            "quote": request.form.get(f"s-{n}-quote", "").strip(),
            "title": request.form.get(f"s-{n}-title", ""), "date": request.form.get(f"s-{n}-date", ""),
            "score": request.form.get(f"s-{n}-score", ""), "picked": str(n) in picked, "reasons": [],
        })
        n += 1
    return rows


def _save_ingested(form, text: str, picked: list[dict]):

    values = {
        "title": (form.title.data or "").strip() or None,
        "publisher": (form.publisher.data or "").strip() or None,
        "kind": form.kind.data, "url": (form.url.data or "").strip() or None,
        "published": form.published.data[0] if form.published.data else None,
        "published_precision": form.published.data[1] if form.published.data else None,
        "accessed": today(), "text": text,
    }
    source = Source()
    source.slug = editing.unique_slug(db.session, Source, editing.slug_base("sources", values))
    editing.apply_values(db.session, "sources", source, values)
    db.session.add(source)
    recorder = Recorder(db.session, _user(), "create",
                        f"Ingested statement {source.slug} with {len(picked)} citation(s)")
    try:
        recorder.created(source)
        for row in picked:
            citation = Citation()
            editing.apply_values(db.session, "citations", citation, {
                "event": row["event"], "source": source.slug, "role": row["role"],
                "quote": row["quote"] or None, "note": None})
            db.session.add(citation)
            recorder.created(citation)
        db.session.commit()
    except editing.EditError as exc:
        db.session.rollback()
        abort(400, f"Cannot save: {exc}.")
    except IntegrityError as exc:
        db.session.rollback()
        abort(409, _integrity_message(exc))
    flash(f"Saved source {source.slug} with {len(picked)} citation(s).", "info")
    return redirect(editing.record_url("sources", source))
