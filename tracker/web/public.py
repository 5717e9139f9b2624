"""Home page and health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from tracker.core.status import today
from tracker.db.models import Citation, Event
from tracker.extensions import db
from tracker.read import details, queries, review

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    latest = db.session.scalars(
        select(Event)
        .options(
            selectinload(Event.citations).selectinload(Citation.source),
            selectinload(Event.actor),
            selectinload(Event.measure),
        )
        .order_by(Event.date.desc(), Event.slug)
        .limit(20)
    ).all()
    on = today()
    return render_template(
        "home.html",
        latest=latest,
        on=on,
        headline=queries.in_effect_by_type(db.session, on),
        currency=review.currency(db.session, on),
        places=details.place_choices(db.session),
    )


@bp.get("/favicon.ico")
def favicon():
    """Browsers and feed readers ask for /favicon.ico whatever the page says: send them the
    icon the pages link to, instead of a 404 on every first visit."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def healthz():
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify({"status": "error", "database": type(exc).__name__}), 503
    return jsonify({"status": "ok", "database": "ok"})
