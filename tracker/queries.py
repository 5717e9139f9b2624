"""The one filters → SQLAlchemy layer, shared by HTML, JSON, CSV, feeds and charts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Event, Measure
from .status import Step


def measure_steps(session: Session, measure_ids: Iterable[int] | None = None) -> dict[int, list[Step]]:
    """The status-relevant part of every event of the given measures (all when None)."""
    stmt = select(Event.measure_id, Event.date, Event.kind, Event.new_sunset).where(
        Event.measure_id.is_not(None)
    )
    if measure_ids is not None:
        stmt = stmt.where(Event.measure_id.in_(list(measure_ids)))
    steps: dict[int, list[Step]] = defaultdict(list)
    for measure_id, date, kind, new_sunset in session.execute(stmt):
        steps[measure_id].append(Step(date, kind, new_sunset))
    return dict(steps)


def measure_sunsets(session: Session) -> dict[int, object]:
    return dict(session.execute(select(Measure.id, Measure.sunset)).all())
