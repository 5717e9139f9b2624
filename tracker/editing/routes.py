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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker.accounts.users import editor_required
from tracker.db.models import Citation, Correction
from tracker.editing import apply as editing
from tracker.editing.forms import FORMS, DeleteForm, RecordForm
from tracker.editing.revisions import Recorder, history, record_key, snapshot
from tracker.extensions import db
from tracker.read.collections import COLLECTIONS, LISTED
from tracker.read.parameters import id_parameter, parse_id, reject_unknown

bp = Blueprint("editor", __name__)

# Records with a slug in their URL: the listed collections (a citation is known by its id).
SLUGGED = tuple(LISTED)


def noun(collection: str) -> str:
    return COLLECTIONS[collection].singular


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
        abort(404, f"There is no {noun(collection)} {key!r}.")
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
    return (
        "The database refused the change (a rule on the data was broken: "
        f"{str(exc.orig).splitlines()[0][:200]})."
    )


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
                line
                for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)
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
        "editor/conflict.html",
        collection=collection,
        obj=obj,
        key=_key(collection, obj),
        label=editing.label(collection, obj),
        rows=rows,
        base_version=base_version,
        since=since[:10],
        current=current,
    ), 409


# --- create ------------------------------------------------------------------------------------


def create(collection: str):
    form = _form(collection)
    if form.validate_on_submit():
        values = form.values()
        model = COLLECTIONS[collection].model
        obj = model()
        obj.slug = editing.unique_slug(db.session, model, editing.slug_base(collection, values))
        editing.apply_values(db.session, collection, obj, values)
        db.session.add(obj)
        if _commit_created(
            obj, f"Created {noun(collection)} {obj.slug}", f"Saved {noun(collection)} {obj.slug}."
        ):
            return redirect(editing.record_url(collection, obj))
    return render_template(
        "editor/form.html", form=form, collection=collection, obj=None, title=f"New {noun(collection)}"
    )


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
    return render_template(
        "editor/form.html",
        form=form,
        collection="citations",
        obj=None,
        fixed=side,
        owner=owner,
        title=f"New citation for {editing.label(parent, owner)}",
    )


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
        recorder = Recorder(db.session, _user(), "update", f"Edited {noun(collection)} {record_key(obj)}")
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
    return render_template(
        "editor/form.html",
        form=form,
        collection=collection,
        obj=obj,
        key=_key(collection, obj),
        correction=correction,
        title=f"Edit {noun(collection)}: {editing.label(collection, obj)}",
    )


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
            recorder = Recorder(
                db.session, _user(), "delete", f"Deleted {noun(collection)} {record_key(obj)}"
            )
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
            flash(f"Deleted {noun(collection)} {label}.", "info")
            if parent is not None:
                return redirect(editing.record_url("events", parent))
            return redirect(url_for("editor.changes"))
    return render_template(
        "editor/delete.html",
        form=form,
        collection=collection,
        obj=obj,
        key=_key(collection, obj),
        label=label,
        deps=deps,
        noun=noun(collection),
    ), status


# --- routes ------------------------------------------------------------------------------------
# Each collection gets literal rules (/events/new, not /<collection>/new) so that the
# public detail rule /events/<slug> never captures "new".

for _c in SLUGGED:
    bp.add_url_rule(
        f"/{_c}/new",
        f"create_{_c}",
        editor_required(create),
        defaults={"collection": _c},
        methods=["GET", "POST"],
    )
for _c in (*SLUGGED, "citations"):
    bp.add_url_rule(
        f"/{_c}/<key>/edit",
        f"edit_{_c}",
        editor_required(edit),
        defaults={"collection": _c},
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        f"/{_c}/<key>/delete",
        f"delete_{_c}",
        editor_required(delete),
        defaults={"collection": _c},
        methods=["GET", "POST"],
    )
for _c in ("events", "sources"):
    bp.add_url_rule(
        f"/{_c}/<key>/citations/new",
        f"cite_{_c}",
        editor_required(create_citation),
        defaults={"parent": _c},
        methods=["GET", "POST"],
    )
