"""Corrections from the public: anyone may report an error on an event or a measure.

Submissions are CSRF-protected and rate-limited per address; they wait in a public queue
(the sender's e-mail is never shown) where editors accept them, which opens the edit form
with the correction beside it, or reject them with a reason that is published too.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.accounts.users import editor_required
from tracker.corrections.forms import AcceptForm, CorrectionForm, RejectForm
from tracker.db.models import Correction, Event, Measure, utcnow
from tracker.extensions import db, limiter
from tracker.read.parameters import BadParameter, reject_unknown

bp = Blueprint("corrections", __name__)

SUBMIT_LIMIT = "5 per hour;20 per day"


def _target() -> tuple[str, Event | Measure]:
    """The event or measure named by ``?event=`` or ``?measure=`` (exactly one)."""
    reject_unknown(request.args, {"event", "measure"})
    event, measure = request.args.get("event"), request.args.get("measure")
    if bool(event) == bool(measure):
        raise BadParameter("event", "name exactly one event (?event=slug) or measure (?measure=slug)")
    slug = event if event else measure
    obj: Event | Measure | None
    if event:
        obj = db.session.scalar(select(Event).where(Event.slug == slug))
    else:
        obj = db.session.scalar(select(Measure).where(Measure.slug == slug))
    if obj is None:
        abort(404, f"There is no {'event' if event else 'measure'} {slug!r}.")
    return ("events" if event else "measures"), obj


@bp.route("/corrections/new", methods=["GET", "POST"])
@limiter.limit(SUBMIT_LIMIT, methods=["POST"])
def new():
    collection, obj = _target()
    form = CorrectionForm()
    if form.validate_on_submit():
        correction = Correction(
            event_slug=obj.slug if collection == "events" else None,
            measure_slug=obj.slug if collection == "measures" else None,
            target_title=obj.title[:400],
            message=form.message.data.strip(),
            source_url=(form.source_url.data or "").strip() or None,
            email=(form.email.data or "").strip().lower() or None,
            status="open",
        )
        db.session.add(correction)
        db.session.commit()
        flash("Thank you: your correction is in the queue. Editors will review it.", "info")
        return redirect(url_for("corrections.detail", correction_id=correction.id))
    return render_template("corrections/new.html", form=form, obj=obj, collection=collection)


@bp.get("/corrections")
def queue():
    """Open corrections first, then decided ones, newest first. Public; no e-mail addresses."""
    status = request.args.get("status")
    reject_unknown(request.args, {"status"})
    query = select(Correction).order_by(Correction.id.desc()).limit(200)
    if status:
        if status not in ("open", "accepted", "rejected"):
            raise BadParameter("status", f"unknown status {status!r} (open, accepted, rejected)")
        query = query.where(Correction.status == status)
    items = db.session.scalars(query).all()
    return render_template("corrections/list.html", items=items, status=status)


def _get(correction_id: int) -> Correction:
    correction = db.session.get(Correction, correction_id)
    if correction is None:
        abort(404, f"There is no correction {correction_id}.")
    return correction


@bp.get("/corrections/<id:correction_id>")
def detail(correction_id: int):
    correction = _get(correction_id)
    return render_template(
        "corrections/detail.html", c=correction, accept_form=AcceptForm(), reject_form=RejectForm()
    )


@bp.post("/corrections/<id:correction_id>/accept")
@editor_required
def accept(correction_id: int):
    """Mark accepted and open the target's edit form with the correction shown beside it."""
    correction = _get(correction_id)
    if not AcceptForm().validate_on_submit():
        abort(400, "The form was not valid; reload the page and try again.")
    if correction.status == "open":
        correction.status = "accepted"
        correction.decided_at = utcnow()
        correction.decided_by = current_user._get_current_object()
        db.session.commit()
    collection = correction.collection
    model = Event if collection == "events" else Measure
    if db.session.scalar(select(model.id).where(model.slug == correction.target_slug)) is None:
        flash("Accepted, but the record no longer exists.", "info")
        return redirect(url_for("corrections.detail", correction_id=correction.id))
    return redirect(
        url_for(f"editor.edit_{collection}", key=correction.target_slug, correction=correction.id)
    )


@bp.post("/corrections/<id:correction_id>/reject")
@editor_required
def reject(correction_id: int):
    correction = _get(correction_id)
    form = RejectForm()
    if correction.status != "open":
        abort(409, "This correction was already decided.")
    if form.validate_on_submit():
        correction.status = "rejected"
        correction.reason = form.reason.data.strip()
        correction.decided_at = utcnow()
        correction.decided_by = current_user._get_current_object()
        db.session.commit()
        flash("Correction rejected.", "info")
        return redirect(url_for("corrections.queue"))
    return render_template(
        "corrections/detail.html", c=correction, accept_form=AcceptForm(), reject_form=form
    ), 400
