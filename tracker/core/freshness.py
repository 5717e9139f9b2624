"""How fresh the record of a measure is, and why it needs review. Pure functions.

A status derived from events is only as current as the last event someone recorded: a ban
repealed last month still shows "in effect" until an editor adds the repeal. So editors
confirm a measure's status against a source from time to time (``Measure.status_checked_on``
and its source), and the public "needs review" list names the measures whose record may
have fallen behind:

- **never checked**: no editor has confirmed its status against a source;
- **not checked in 12 months**: the last check is more than :data:`REVIEW_AFTER` old;
- **session over, outcome not recorded**: a bill whose legislative session has ended without
  an event saying what became of it. The status rules count it as failed from the day after
  the session's end (``core.status``), which is right for nearly every bill, but that is a
  rule, not a source: someone should confirm it (and record a veto or a carry-over);
- **pending, no session recorded**: a bill pending for more than 12 months whose session end
  is unknown, so the rule above cannot apply and it may stay "pending" forever.

Each reason carries the day from which it applies, so a feed entry for it is new when the
reason is (``tracker.web.feeds``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.core.status import ONE_DAY

# The record of a status counts as stale this long after it was last checked.
REVIEW_MONTHS = 12

REASONS = {
    "never_checked": "Status never checked against a source",
    "stale": "Status not checked in the last 12 months",
    "session_over": "Session over, outcome not recorded",
    "pending_no_session": "Pending for over a year, no session end recorded",
}


@dataclass(frozen=True)
class ReviewReason:
    code: str  # a key of REASONS
    since: dt.date  # the day from which it applies

    @property
    def label(self) -> str:
        return REASONS[self.code]


def months_later(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (29 February → 28 February in a common year, 31
    January + 1 month → 28 or 29 February): a calendar month, not 30 days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


def checked_recently(checked_on: dt.date | None, today: dt.date) -> bool:
    """Whether a status check still counts on ``today`` (within :data:`REVIEW_MONTHS`)."""
    return checked_on is not None and today < months_later(checked_on, REVIEW_MONTHS)


def review_reasons(
    *,
    today: dt.date,
    created: dt.date,
    checked_on: dt.date | None,
    status: str | None,
    status_since: dt.date | None,
    session_end: dt.date | None,
    outcome_recorded: bool,
) -> list[ReviewReason]:
    """Why a measure's record needs review on ``today`` (empty: it does not).

    ``created`` is the day the measure entered the record; ``status`` and ``status_since``
    its status on ``today`` and the day that status began; ``outcome_recorded`` whether one
    of its events ends the bill's passage (adopted, vetoed, failed, withdrawn...), so that a
    status after its session's end rests on a source rather than on the rule.
    """
    reasons = []
    if checked_on is None:
        reasons.append(ReviewReason("never_checked", created))
    elif not checked_recently(checked_on, today):
        reasons.append(ReviewReason("stale", months_later(checked_on, REVIEW_MONTHS)))
    session_checked = checked_on is not None and session_end is not None and checked_on > session_end
    if (
        session_end is not None
        and session_end < today
        and not outcome_recorded
        and not session_checked
        and status == "failed"
    ):
        reasons.append(ReviewReason("session_over", session_end + ONE_DAY))
    if status == "pending" and session_end is None and status_since is not None:
        due = months_later(status_since, REVIEW_MONTHS)
        if due <= today:
            reasons.append(ReviewReason("pending_no_session", due))
    return reasons
