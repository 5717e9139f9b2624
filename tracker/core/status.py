"""A measure's status on any date, derived from its events. Pure functions, no database.

Why derived from the events, never a stored "current status": a status goes stale the day
a sunset passes, and "as of" questions ("what was in force on 2021-01-01?") need the whole
history anyway. What is derived here is a measure's periods (status from a date until a
date); :mod:`tracker.db.periods` stores them in ``measure_periods``, rewritten from these
functions with every change, and the lists, the "as of" filters, the timeline's in-effect
lines and the map's time slider all read those, so they cannot disagree.

The rules (``docs/architecture.md``, "Status rules"; each has a test named after the real
case that made it necessary):

- Events apply in date order, same-day events in lifecycle order (``vocab.EVENT_KINDS``).
  A month- or year-precision date counts from the first day of its period, except for an
  *ending* (below).
- ``adopted`` gives ``adopted`` while a later ``effective`` event is still ahead, else
  ``in_effect``. A ``first_reading`` is not adoption: the measure stays ``pending``.
- A sunset date is the first day the measure is no longer in force; ``extended`` sets a new
  sunset (or none: indefinite).
- **Expiry at precision.** An ending (expired, repealed, struck down, failed, withdrawn,
  vetoed) known only to the month or year takes effect after that period, not on its first
  day; an expiry never ends the measure before the sunset the record states when that
  sunset falls in the period (Baltimore's moratorium, due to lapse "in December 2022", ran
  until its sunset of 1 January 2023).
- **End of session.** A bill still pending or passed-but-unsigned when its legislative
  session ends has failed from the next day (the 116th Congress ended on 3 January 2021).
- **Replacement.** A measure that replaces another ends it on the day the new one first
  takes effect (status ``replaced``), unless the old one had already ended
  (:func:`apply_replacements`).
- **Coverage.** A measure's technologies can change on a date (:func:`coverage`): New
  Orleans' 2020 ban kept predictive policing after face recognition moved to the 2022 rules.
  Questions about one technology look at the lifecycle clipped to when the measure covered
  it (:func:`clip`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracker.core.vocab import EVENT_KINDS, KIND_EFFECT

IN_FORCE = ("in_effect",)
_SUNSETTABLE = ("in_effect", "adopted")
# Statuses a bill can still be in when its session ends, and a measure when it is replaced.
_UNENACTED = ("pending", "passed")
_NOT_ENDED = ("pending", "passed", "adopted", "in_effect")
ENDING_KINDS = frozenset({"expired", "repealed", "struck_down", "failed", "withdrawn", "vetoed"})
_ORDER = {code: i for i, code in enumerate(EVENT_KINDS.codes)}
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Step:
    """The part of an event that matters for status."""

    date: dt.date
    kind: str
    new_sunset: dt.date | None = None
    precision: str = "day"


@dataclass(frozen=True)
class Period:
    """A status held from ``start`` (inclusive) until ``end`` (exclusive; None: still)."""

    status: str
    start: dt.date
    end: dt.date | None

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def today() -> dt.date:
    """The current UTC date: statuses change at midnight UTC, whatever the server's zone."""
    return dt.datetime.now(dt.UTC).date()


def period_end(day: dt.date, precision: str) -> dt.date:
    """The first day after the period a partial date stands for (a day: the next day)."""
    if precision == "year":
        return dt.date(day.year + 1, 1, 1)
    if precision == "month":
        return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return day + ONE_DAY


def applies_on(step: Step, sunset: dt.date | None = None) -> dt.date:
    """The day an event changes the status: its date, or for an ending known only to the
    month or year, the day after that period (or the stated sunset when it falls in it)."""
    if step.kind not in ENDING_KINDS or step.precision == "day":
        return step.date
    after = period_end(step.date, step.precision)
    if step.kind == "expired" and sunset is not None and step.date <= sunset <= after:
        return sunset
    return after


def lifecycle(
    steps: Iterable[Step], sunset: dt.date | None = None, session_end: dt.date | None = None
) -> list[Period]:
    """The measure's whole history as consecutive periods, oldest first.

    The first period starts at the first event of any kind (before it the measure did not
    exist). A scheduled sunset ends an `in_effect` or `adopted` period on its date unless an
    extension moved it first; the end of the legislative session (``session_end``, its last
    day) fails a bill still pending or passed. Consecutive periods never share a status.
    """
    dated = sorted(
        ((applies_on(s, sunset), s) for s in steps),
        key=lambda ds: (ds[0], _ORDER.get(ds[1].kind, len(_ORDER))),
    )
    if not dated:
        return []
    effective_dates = [day for day, s in dated if s.kind == "effective"]
    current_sunset = sunset
    session_over = session_end + ONE_DAY if session_end is not None else None
    status = "pending"
    changes: list[tuple[dt.date, str]] = [(min(dated[0][0], dated[0][1].date), status)]

    def set_status(new: str, day: dt.date) -> None:
        nonlocal status
        status = new
        changes.append((max(day, changes[-1][0]), new))

    def boundaries(until: dt.date | None) -> None:
        """The end of session and the sunset when they fall on or before ``until`` (None: at
        any time). Only one can apply: a session end fails an unenacted bill, a sunset ends
        an enacted measure."""
        nonlocal session_over
        if session_over is not None and (until is None or session_over <= until):
            if status in _UNENACTED:
                set_status("failed", session_over)
            session_over = None
        if status in _SUNSETTABLE and current_sunset and (until is None or current_sunset <= until):
            set_status("expired", current_sunset)

    for day, step in dated:
        boundaries(day)
        effect = KIND_EFFECT.get(step.kind)
        if step.kind == "adopted":
            effect = "adopted" if any(d > day for d in effective_dates) else "in_effect"
        if step.kind == "extended":
            current_sunset = step.new_sunset
        if effect is not None:
            set_status(effect, day)
    boundaries(None)
    return _periods(changes)


def _periods(changes: list[tuple[dt.date, str]]) -> list[Period]:
    """Compress (day, status) changes: the last change of a day wins, equal runs merge."""
    by_day: list[tuple[dt.date, str]] = []
    for day, status in changes:
        if by_day and by_day[-1][0] == day:
            by_day[-1] = (day, status)
        else:
            by_day.append((day, status))
    merged: list[tuple[dt.date, str]] = []
    for day, status in by_day:
        if not merged or merged[-1][1] != status:
            merged.append((day, status))
    return [
        Period(status, day, merged[i + 1][0] if i + 1 < len(merged) else None)
        for i, (day, status) in enumerate(merged)
    ]


def status_in(periods: Iterable[Period], day: dt.date) -> str | None:
    """The status a lifecycle gives on ``day``, or None when the measure did not exist yet."""
    for period in periods:
        if period.contains(day):
            return period.status
    return None


@dataclass(frozen=True)
class Milestones:
    """The dates a reader of a list wants beside a measure's status on ``day``: when its
    record starts (its first step), when it last took effect, and when it ended."""

    first: dt.date | None
    in_effect_since: dt.date | None
    ended: dt.date | None


def milestones(periods: list[Period], day: dt.date) -> Milestones:
    """From a lifecycle, as known on ``day``: the first period's start; the start of the
    latest in-effect period begun by then; and, when the status on ``day`` is an ending
    (expired, repealed, failed, struck down, replaced), the day that ending began."""
    started = [p for p in periods if p.start <= day]
    if not started:
        return Milestones(None, None, None)
    in_effect = [p.start for p in started if p.status == "in_effect"]
    current = started[-1]
    ended = current.start if current.status not in _NOT_ENDED else None
    return Milestones(started[0].start, in_effect[-1] if in_effect else None, ended)


def status_on(
    steps: Iterable[Step], day: dt.date, sunset: dt.date | None = None, session_end: dt.date | None = None
) -> str | None:
    """The status on ``day``, or None when the measure did not exist yet."""
    return status_in(lifecycle(steps, sunset, session_end), day)


def first_in_force(periods: Iterable[Period]) -> dt.date | None:
    """The first day the measure was in force, if it ever was."""
    return next((p.start for p in periods if p.status in IN_FORCE), None)


def end_at(periods: list[Period], day: dt.date, status: str) -> list[Period]:
    """The lifecycle cut on ``day`` and given ``status`` from then on, when the measure had
    not ended by then; unchanged otherwise (it ended on its own first)."""
    current = status_in(periods, day)
    if current not in _NOT_ENDED:
        return periods
    kept = [
        p if p.end is None or p.end <= day else Period(p.status, p.start, day)
        for p in periods
        if p.start < day
    ]
    return _periods([(p.start, p.status) for p in kept] + [(day, status)])


def apply_replacements(
    lifecycles: Mapping[int, list[Period]], replaces: Mapping[int, int]
) -> dict[int, list[Period]]:
    """Lifecycles with every replaced measure ended on the day its replacement first took
    effect (``replaces``: ``{new measure: the measure it replaces}``).

    The replacement day is read from the replacing measure's own lifecycle before any
    replacement is applied, so chains (A replaced by B, B later by C) need no ordering.
    """
    out = dict(lifecycles)
    for new, old in replaces.items():
        if old not in out or new not in lifecycles:
            continue
        day = first_in_force(lifecycles[new])
        if day is not None:
            out[old] = end_at(out[old], day, "replaced")
    return out


# --- coverage: what a measure covers on a date ---------------------------------------------


@dataclass(frozen=True)
class Change:
    """An event that changes its measure's technologies (or scope) from its date."""

    date: dt.date
    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    scope: str | None = None


Interval = tuple[dt.date | None, dt.date | None]


def coverage(technologies: Iterable[str], changes: Iterable[Change]) -> dict[str, list[Interval]]:
    """When the measure covered each technology: ``{slug: [(from, until), ...]}``.

    ``technologies`` are all the measure ever covered. Without changes a technology is
    covered throughout (``(None, None)``); one that a change adds is covered from that date,
    one it removes until that date.
    """
    ordered = sorted(changes, key=lambda c: c.date)
    out: dict[str, list[Interval]] = {}
    for tech in sorted(set(technologies)):
        mine = [(c.date, tech in c.added) for c in ordered if tech in c.added or tech in c.removed]
        covered = not mine or not mine[0][1]
        start: dt.date | None = None
        intervals: list[Interval] = []
        for day, adds in mine:
            if adds and not covered:
                start, covered = day, True
            elif not adds and covered:
                intervals.append((start, day))
                covered = False
        if covered:
            intervals.append((start, None))
        out[tech] = intervals
    return out


def covers(intervals: Iterable[Interval], day: dt.date) -> bool:
    return any((a is None or a <= day) and (b is None or day < b) for a, b in intervals)


def clip(periods: list[Period], intervals: Iterable[Interval]) -> list[Period]:
    """The parts of a lifecycle that fall in the given intervals (when the measure covered a
    technology asked about); outside them the measure does not count for that question."""
    out: list[Period] = []
    for a, b in sorted(intervals, key=lambda i: i[0] or dt.date.min):
        for p in periods:
            start = p.start if a is None else max(p.start, a)
            ends = [e for e in (p.end, b) if e is not None]
            end = min(ends) if ends else None
            if end is None or start < end:
                out.append(Period(p.status, start, end))
    out.sort(key=lambda p: p.start)
    return out


def scope_on(scope: str | None, changes: Iterable[Change], day: dt.date) -> str | None:
    """The measure's scope on ``day``: the latest change's new scope on or before it."""
    latest = scope
    for change in sorted(changes, key=lambda c: c.date):
        if change.date > day:
            break
        if change.scope is not None:
            latest = change.scope
    return latest
