"""A measure's status on any date, derived from its events. Pure functions, no database.

Why derived and never stored: a stored status goes stale the day a sunset passes, and
"as of" questions ("what was in force on 2021-01-01?") need the whole history anyway. The
lists, the "as of" filters, the timeline's in-effect lines and the map's time slider all
call the functions here, so they cannot disagree.

Rules (DESIGN.md, Decisions): events apply in date order, same-day events in lifecycle
order (``vocab.EVENT_KINDS``); a sunset date is the first day the measure is no longer in
force; an `adopted` event gives `adopted` while a later `effective` event is still ahead,
else `in_effect`; an `extended` event sets a new sunset (or none: indefinite).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .vocab import EVENT_KINDS, KIND_EFFECT

IN_FORCE = ("in_effect",)
_SUNSETTABLE = ("in_effect", "adopted")
_ORDER = {code: i for i, code in enumerate(EVENT_KINDS.codes)}


@dataclass(frozen=True)
class Step:
    """The part of an event that matters for status."""

    date: dt.date
    kind: str
    new_sunset: dt.date | None = None


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


def _ordered(steps: Iterable[Step]) -> list[Step]:
    return sorted(steps, key=lambda s: (s.date, _ORDER.get(s.kind, len(_ORDER))))


def lifecycle(steps: Iterable[Step], sunset: dt.date | None = None) -> list[Period]:
    """The measure's whole history as consecutive periods, oldest first.

    The first period starts at the first event of any kind (before it the measure did not
    exist). A scheduled sunset ends an `in_effect` or `adopted` period on its date unless an
    extension moved it first. Consecutive periods never share a status.
    """
    ordered = _ordered(steps)
    if not ordered:
        return []
    effective_dates = [s.date for s in ordered if s.kind == "effective"]
    current_sunset = sunset
    status = "pending"
    changes: list[tuple[dt.date, str]] = [(ordered[0].date, status)]

    def set_status(new: str, day: dt.date) -> None:
        nonlocal status
        status = new
        changes.append((max(day, changes[-1][0]), new))

    for step in ordered:
        if status in _SUNSETTABLE and current_sunset and current_sunset <= step.date:
            set_status("expired", current_sunset)
        effect = KIND_EFFECT.get(step.kind)
        if step.kind == "adopted":
            effect = "adopted" if any(d > step.date for d in effective_dates) else "in_effect"
        if step.kind == "extended":
            current_sunset = step.new_sunset
        if effect is not None:
            set_status(effect, step.date)
    if status in _SUNSETTABLE and current_sunset:
        set_status("expired", current_sunset)
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


def status_on(steps: Iterable[Step], day: dt.date, sunset: dt.date | None = None) -> str | None:
    """The status on ``day``, or None when the measure did not exist yet."""
    return status_in(lifecycle(steps, sunset), day)


def in_effect_periods(steps: Iterable[Step], sunset: dt.date | None = None) -> list[Period]:
    """The periods in which the measure was in force (for the map and the timeline)."""
    return [p for p in lifecycle(steps, sunset) if p.status in IN_FORCE]


def statuses_on(
    measures: dict[int, tuple[Sequence[Step], dt.date | None]], day: dt.date
) -> dict[int, str | None]:
    """Status of many measures at once: ``{id: (steps, sunset)}`` → ``{id: status}``."""
    return {mid: status_on(steps, day, sunset) for mid, (steps, sunset) in measures.items()}


def measures_in_effect(
    measures: dict[int, tuple[Sequence[Step], dt.date | None]], day: dt.date
) -> set[int]:
    """The ids of the measures in force on ``day``."""
    return {mid for mid, st in statuses_on(measures, day).items() if st in IN_FORCE}
