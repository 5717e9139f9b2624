"""The public "needs review" list: measures whose record may have fallen behind, as HTML,
JSON and an Atom feed.

Public on purpose: a reader deciding how far to trust a status should see that nobody has
confirmed it for two years, and a volunteer should see where help is needed. The reasons
are decided in :mod:`tracker.core.freshness`.
"""

from __future__ import annotations

import datetime as dt

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from tracker.core.dates import date_label
from tracker.core.freshness import REASONS
from tracker.core.status import today
from tracker.extensions import db
from tracker.read.parameters import reject_unknown
from tracker.read.review import Review, needs_review

bp = Blueprint("review", __name__)


def _reviews() -> tuple[dt.date, list[Review]]:
    reject_unknown(request.args, set())
    on = today()
    return on, needs_review(db.session, on)


@bp.get("/needs-review")
def needs_review_page():
    on, reviews = _reviews()
    counts = {code: sum(any(r.code == code for r in x.reasons) for x in reviews) for code in REASONS}
    return render_template("browse/needs_review.html", reviews=reviews, on=on, counts=counts, reasons=REASONS)


def review_record(review: Review) -> dict:
    m = review.measure
    return {
        "slug": m.slug,
        "title": m.title,
        "url": url_for("browse.measure_detail", slug=m.slug, _external=True),
        "status": review.status,
        "status_checked_on": m.status_checked_on.isoformat() if m.status_checked_on else None,
        "status_checked_source": m.status_checked_source.slug if m.status_checked_source else None,
        "session_end": m.session_end.isoformat() if m.session_end else None,
        "reasons": [{"code": r.code, "label": r.label, "since": r.since.isoformat()} for r in review.reasons],
    }


@bp.get("/needs-review.json")
def needs_review_json():
    on, reviews = _reviews()
    return jsonify(
        {"as_of": on.isoformat(), "count": len(reviews), "measures": [review_record(r) for r in reviews]}
    )


@bp.get("/needs-review.atom")
def needs_review_atom():
    """One entry per measure and reason, dated the day the reason began to apply: a measure
    that falls stale a year after its check appears as a new entry that day."""
    on, reviews = _reviews()
    fg = FeedGenerator()
    fg.id(url_for("review.needs_review_atom", _external=True))
    fg.title("Surveillance Policy Tracker: measures that need review")
    fg.subtitle(
        "Measures whose status was never checked, not checked in 12 months, or whose bill's session is over."
    )
    fg.link(href=url_for("review.needs_review_page", _external=True), rel="alternate")
    fg.link(href=url_for("review.needs_review_atom", _external=True), rel="self")
    fg.language("en")
    entries = sorted(
        ((reason.since, review, reason) for review in reviews for reason in review.reasons),
        key=lambda t: (t[0], t[1].measure.slug, t[2].code),
    )
    latest = entries[-1][0] if entries else on
    fg.updated(dt.datetime.combine(latest, dt.time(), dt.UTC))
    for since, review, reason in entries:  # feedgen prepends: oldest first gives newest first
        m = review.measure
        url = url_for("browse.measure_detail", slug=m.slug, _external=True)
        entry = fg.add_entry()
        entry.id(f"{url}#review-{reason.code}-{since.isoformat()}")
        entry.link(href=url)
        entry.title(f"{m.title}: {reason.label.lower()}")
        moment = dt.datetime.combine(since, dt.time(), dt.UTC)
        entry.published(moment)
        entry.updated(moment)
        entry.category(term=reason.code, label=reason.label)
        checked = (
            f"Last checked on {date_label(m.status_checked_on)}."
            if m.status_checked_on
            else "Its status has never been checked against a source."
        )
        status = f"Status on {date_label(on)}: {review.status or 'none'}."
        entry.summary(f"{reason.label} since {date_label(since)}. {status} {checked}")
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")
