"""How current the record is: the measures that need review, and the home page's summary.

The reasons are decided by :func:`tracker.core.freshness.review_reasons` (pure, tested on
its own); this module gathers what it needs in a few statements, for the HTML list, its JSON
and its Atom feed alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from tracker.core.freshness import REVIEW_MONTHS, ReviewReason, months_later, review_reasons
from tracker.db.models import DbSession, Event, Measure, MeasurePeriod
from tracker.db.periods import ensure_current

# Events that settle what became of a bill, so a status after its session ends rests on a
# source and not on the end-of-session rule.
OUTCOME_KINDS = ("adopted", "effective", "vetoed", "veto_overridden", "failed", "withdrawn")


@dataclass(frozen=True)
class Review:
    measure: Measure
    status: str | None
    reasons: list[ReviewReason]


@dataclass(frozen=True)
class Currency:
    """What the home page says of the record's freshness."""

    latest_verified: Event | None  # the latest event, on or before today, with a verified date
    checked_recently: int  # measures whose status was checked in the last 12 months
    measures: int


def needs_review(session: DbSession, day: dt.date) -> list[Review]:
    """Every measure whose record needs review on ``day``, with why, most urgent first
    (sessions over and long-pending bills before plain staleness), then by title."""
    ensure_current(session)
    rows = session.execute(
        select(Measure, MeasurePeriod.status, MeasurePeriod.start)
        .outerjoin(
            MeasurePeriod,
            and_(
                MeasurePeriod.measure_id == Measure.id,
                MeasurePeriod.start <= day,
                or_(MeasurePeriod.end.is_(None), MeasurePeriod.end > day),
            ),
        )
        .options(selectinload(Measure.jurisdiction), selectinload(Measure.status_checked_source))
        .order_by(Measure.title, Measure.slug)
    ).all()
    settled = set(
        session.scalars(
            select(Event.measure_id)
            .where(Event.kind.in_(OUTCOME_KINDS), Event.measure_id.is_not(None))
            .distinct()
        )
    )
    out = []
    for measure, status, since in rows:
        reasons = review_reasons(
            today=day,
            created=measure.created_at.date(),
            checked_on=measure.status_checked_on,
            status=status,
            status_since=since,
            session_end=measure.session_end,
            outcome_recorded=measure.id in settled,
        )
        if reasons:
            out.append(Review(measure, status, reasons))
    urgent = {"session_over", "pending_no_session"}
    out.sort(key=lambda r: not any(x.code in urgent for x in r.reasons))  # stable: titles kept
    return out


def currency(session: DbSession, day: dt.date) -> Currency:
    latest = session.scalar(
        select(Event)
        .where(Event.certainty == "verified", Event.date <= day)
        .order_by(Event.date.desc(), Event.slug)
        .limit(1)
    )
    # Checked within the last REVIEW_MONTHS: on or after the day that many months back,
    # computed the way checked_recently counts forward.
    since = months_later(day, -REVIEW_MONTHS)
    if months_later(since, REVIEW_MONTHS) <= day:
        since += dt.timedelta(days=1)
    recent = session.scalar(
        select(func.count()).select_from(Measure).where(Measure.status_checked_on >= since)
    )
    total = session.scalar(select(func.count()).select_from(Measure))
    return Currency(latest, recent or 0, total or 0)
