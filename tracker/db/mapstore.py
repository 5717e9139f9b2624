"""The unfiltered ban map, kept as tables (``map_candidates``, ``map_segments``,
``map_change_days``) in step with every write, like the status periods
(:mod:`tracker.db.periods`, which calls this module in the same transaction).

Why: the map on a date chose each place's measure from every measure live that day, and
listed the slider's stops from every period: both grew with the measures (366 ms at
300,000 events on the first request after an edit, 2.3 times the 100,000 figure). Stored,
the unfiltered map on a date reads one segment per place, the first 60 rows of two lists
and a few thousand days, however many measures there are. A filtered map (a type, a
technology, a search, a scope choice) is still worked out from the periods
(:func:`tracker.read.maps.map_day`), with the same rules.

What is kept, from each measure's periods and scope changes (the pure rules are in
:mod:`tracker.core.mapping`):

- ``map_candidates``: its stretches with a status the map draws, cut at scope changes
  (:func:`~tracker.core.mapping.live_pieces`), each in the group it is shown in: on its
  place, in the corporate list, or among the unplaced;
- ``map_segments``: per place, what it shows over time and how many measures are live
  there (:func:`~tracker.core.mapping.place_segments`); a write redoes the places of the
  candidates it removed and of those it wrote;
- ``map_change_days``: per day, how many stretches begin or end then; a write adds the
  difference between the new and the removed stretches.

Where a place is drawn is decided when a candidate is written (its kind, country, region
and coordinates): the flush hook in :mod:`tracker.db.periods` redoes the measures of an
actor whose geography changes. ``tracker rebuild-periods`` rebuilds these tables with the
periods; :func:`differences` compares them with a recount (the tests call it after every
kind of write).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import cast as cast_type

from sqlalchemy import ColumnElement, Table, case, delete, func, or_, select
from sqlalchemy.orm import aliased

from tracker.core import mapping, vocab
from tracker.core.status import Period
from tracker.db.bulk import insert_rows
from tracker.db.models import (
    Actor,
    DbSession,
    Event,
    MapCandidate,
    MapChangeDay,
    MapSegment,
    Measure,
    batches,
    ids_in,
)

BATCH = 5000
CANDIDATES = cast_type(Table, MapCandidate.__table__)
SEGMENTS = cast_type(Table, MapSegment.__table__)
DAYS = cast_type(Table, MapChangeDay.__table__)
STRENGTH = {t: i for i, t in enumerate(vocab.MAP_STRENGTH)}
Candidate = dict  # a map_candidates row as inserted
SEGMENT_COLUMNS = ("place_id", "start_date", "end_date", "measure_id", "n")


def adopter_place(adopter) -> ColumnElement:
    """The adopter (an aliased :class:`Actor`) when it is itself a place, else NULL."""
    return case((adopter.kind.in_(vocab.PLACE_KINDS), adopter.id))


def measure_place(adopter) -> ColumnElement:
    """A measure's place, as SQL over the measure joined to its adopter (``adopter``): its
    jurisdiction, or else its adopter when that is a place. The one rule of where a measure
    is drawn, listed "here" and counted as coming from (:func:`tracker.read.selects.measure_place`
    is its form without the join)."""
    return func.coalesce(Measure.jurisdiction_id, adopter_place(adopter))


def _measure_info(session: DbSession, measure_ids: list[int] | None) -> dict[int, tuple]:
    """``{measure id: (slug, type, scope, place id or None, drawable)}``: the place is the
    jurisdiction, else the adopter when it is a place (:func:`tracker.read.maps.map_day`'s
    rule); drawable is :func:`tracker.core.mapping.drawable` of that place."""
    adopter = aliased(Actor, name="adopter")
    place = aliased(Actor, name="place")
    pid = measure_place(adopter)
    stmt = (
        select(
            Measure.id,
            Measure.slug,
            Measure.measure_type,
            Measure.scope,
            pid.label("pid"),
            place.kind,
            place.country,
            place.region,
            place.latitude,
            place.longitude,
        )
        .join(adopter, adopter.id == Measure.adopted_by_id)
        .outerjoin(place, place.id == pid)
    )
    out = {}
    for chunk in [None] if measure_ids is None else batches(measure_ids, BATCH):
        for r in session.execute(stmt if chunk is None else stmt.where(Measure.id.in_(chunk))):
            geo = (
                None
                if r.pid is None
                else mapping.drawable(r.kind, r.country, r.region, r.latitude, r.longitude)
            )
            out[r.id] = (r.slug, r.measure_type, r.scope, r.pid, geo is not None)
    return out


def _scope_changes(session: DbSession, measure_ids: list[int] | None) -> dict[int, list[tuple[dt.date, str]]]:
    """``{measure id: [(date, new scope), ...]}`` in the order they apply (the later event
    of a day wins, as :func:`tracker.read.maps.scope_changes` says)."""
    stmt = (
        select(Event.measure_id, Event.date, Event.new_scope)
        .where(Event.new_scope.is_not(None), Event.measure_id.is_not(None))
        .order_by(Event.measure_id, Event.date, Event.id)
    )
    out: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for chunk in [None] if measure_ids is None else batches(measure_ids, BATCH):
        for mid, date, scope in session.execute(
            stmt if chunk is None else stmt.where(Event.measure_id.in_(chunk))
        ):
            assert mid is not None and scope is not None  # the WHERE leaves out the others
            out[mid].append((date, scope))
    return out


def candidates(
    lifecycles: Mapping[int, list[Period]],
    info: Mapping[int, tuple],
    scope_changes: Mapping[int, list[tuple[dt.date, str]]],
) -> list[Candidate]:
    """The ``map_candidates`` rows of the given measures."""
    rows = []
    for mid, periods in lifecycles.items():
        if mid not in info:
            continue
        slug, measure_type, scope, pid, drawable = info[mid]
        if measure_type in vocab.CORPORATE_MEASURE_TYPES:
            grp = "corporate"
        elif measure_type in STRENGTH and drawable:
            grp = "place"
        else:
            grp = "unplaced"
        for seq, (status, since, start, end, cls) in enumerate(
            mapping.live_pieces(periods, scope, scope_changes.get(mid, []))
        ):
            rows.append(
                {
                    "measure_id": mid,
                    "seq": seq,
                    "grp": grp,
                    "place_id": pid if grp == "place" else None,
                    "status": status,
                    "since": since,
                    "start_date": start,
                    "end_date": end,
                    "narrow": cls != "general",
                    "strength": STRENGTH.get(measure_type),
                    "slug": slug,
                }
            )
    return rows


def _key(
    status: str, narrow: bool, strength: int | None, since: dt.date, slug: str, measure_id: int
) -> tuple:
    """:func:`tracker.core.mapping.display_key` on a candidate's columns, the measure id last:
    in force first, then general, the stronger type, the earlier start, the slug."""
    return (status != "in_effect", narrow, strength, since, slug, measure_id)


def display_key(c) -> tuple:
    """:func:`_key` of a candidate read from the table (a row or a :class:`MapCandidate`)."""
    return _key(c.status, c.narrow, c.strength, c.since, c.slug, c.measure_id)


def _segment_rows(per_place: Mapping[int, list]) -> list[dict]:
    """The ``map_segments`` rows of places from their candidates ``(start, end, key)``."""
    return [
        {"place_id": pid, "start_date": start, "end_date": end, "measure_id": key and key[-1], "n": n}
        for pid, cs in per_place.items()
        for start, end, key, n in mapping.place_segments(cs)
    ]


def _by_place(rows: Iterable[Candidate]) -> dict[int, list]:
    """The candidates drawn on a place, per place, as :func:`_segment_rows` takes them."""
    per_place: dict[int, list] = defaultdict(list)
    for r in rows:
        if r["grp"] == "place":
            key = _key(r["status"], r["narrow"], r["strength"], r["since"], r["slug"], r["measure_id"])
            per_place[r["place_id"]].append((r["start_date"], r["end_date"], key))
    return per_place


def _write_segments(session: DbSession, place_ids: list[int]) -> None:
    """Redo the segments of the given places from their stored candidates."""
    stmt = select(
        MapCandidate.place_id,
        MapCandidate.start,
        MapCandidate.end,
        MapCandidate.status,
        MapCandidate.narrow,
        MapCandidate.strength,
        MapCandidate.since,
        MapCandidate.slug,
        MapCandidate.measure_id,
    ).where(MapCandidate.grp == "place")
    for chunk in batches(place_ids, BATCH):
        session.execute(delete(MapSegment).where(MapSegment.place_id.in_(chunk)))
        per_place: dict[int, list] = defaultdict(list)
        for c in session.execute(stmt.where(MapCandidate.place_id.in_(chunk))):
            per_place[c.place_id].append((c.start, c.end, display_key(c)))
        for batch in batches(_segment_rows(per_place), BATCH):
            insert_rows(session, SEGMENTS, batch)


def _days(rows: Iterable) -> Counter[dt.date]:
    """How many stretches begin or end on each day (``rows``: their starts and ends)."""
    out: Counter[dt.date] = Counter()
    for start, end in rows:
        out[start] += 1
        if end is not None:
            out[end] += 1
    return out


def rebuild(session: DbSession, lifecycles: Mapping[int, list[Period]]) -> None:
    """Every candidate, segment and change day from scratch (``lifecycles``: every measure's
    periods, as the periods module has just derived them); the segments from the rows in
    hand, not read back."""
    session.execute(delete(MapCandidate))
    session.execute(delete(MapSegment))
    session.execute(delete(MapChangeDay))
    rows = candidates(lifecycles, _measure_info(session, None), _scope_changes(session, None))
    for batch in batches(rows, BATCH):
        insert_rows(session, CANDIDATES, batch)
    for batch in batches(_segment_rows(_by_place(rows)), BATCH):
        insert_rows(session, SEGMENTS, batch)
    days = _days((r["start_date"], r["end_date"]) for r in rows)
    for batch in batches([{"day": d, "n": n} for d, n in sorted(days.items())], BATCH):
        insert_rows(session, DAYS, batch)


def update(session: DbSession, measure_ids: list[int], lifecycles: Mapping[int, list[Period]]) -> None:
    """Rewrite the candidates of the given measures (``lifecycles``: their new periods; a
    measure that is gone has none), redo the segments of the places they leave and reach,
    and add the difference to the change days."""
    if not measure_ids:
        return
    old = session.execute(
        select(MapCandidate.place_id, MapCandidate.start, MapCandidate.end).where(
            ids_in(MapCandidate.measure_id, measure_ids)
        )
    ).all()
    for chunk in batches(measure_ids, BATCH):
        session.execute(delete(MapCandidate).where(MapCandidate.measure_id.in_(chunk)))
    rows = candidates(lifecycles, _measure_info(session, measure_ids), _scope_changes(session, measure_ids))
    for batch in batches(rows, BATCH):
        insert_rows(session, CANDIDATES, batch)
    places = {r.place_id for r in old} | {r["place_id"] for r in rows}
    _write_segments(session, sorted(p for p in places if p is not None))
    change = _days((r["start_date"], r["end_date"]) for r in rows)
    change.subtract(_days((r.start, r.end) for r in old))
    _add_days(session, {d: n for d, n in change.items() if n})


def _add_days(session: DbSession, change: Mapping[dt.date, int]) -> None:
    """Add ``change`` to the change days: read the days it touches, write them back, drop
    those at 0."""
    if not change:
        return
    days = sorted(change)
    now: Counter[dt.date] = Counter()
    for chunk in batches(days, BATCH):
        now.update(
            dict(
                session.execute(
                    select(MapChangeDay.day, MapChangeDay.n).where(MapChangeDay.day.in_(chunk))
                ).all()
            )
        )
        session.execute(delete(MapChangeDay).where(MapChangeDay.day.in_(chunk)))
    now.update(change)
    assert all(now[d] >= 0 for d in days), "a change day counted below zero"
    rows = [{"day": d, "n": now[d]} for d in days if now[d] > 0]
    for batch in batches(rows, BATCH):
        insert_rows(session, DAYS, batch)


def places_of(session: DbSession, actor_ids: Iterable[int]) -> list[int]:
    """The measures whose place (jurisdiction or adopter) is one of ``actor_ids``: the ones
    to redo when those actors' geography changes."""
    ids = sorted(set(actor_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            select(Measure.id).where(
                or_(ids_in(Measure.jurisdiction_id, ids), ids_in(Measure.adopted_by_id, ids))
            )
        )
    )


CANDIDATE_COLUMNS = (
    "measure_id",
    "seq",
    "grp",
    "place_id",
    "status",
    "since",
    "start_date",
    "end_date",
    "narrow",
    "strength",
    "slug",
)


def differences(session: DbSession, lifecycles: Mapping[int, list[Period]]) -> dict[str, tuple[set, set]]:
    """What the stored tables hold that a recount from ``lifecycles`` (every measure's
    periods) would not, and the reverse, per table: ``{table: (stored only, recounted
    only)}``, empty when they agree. For the tests and for checking a database by hand."""
    rows = candidates(lifecycles, _measure_info(session, None), _scope_changes(session, None))
    wanted = {
        "map_candidates": (CANDIDATES, CANDIDATE_COLUMNS, rows),
        "map_segments": (SEGMENTS, SEGMENT_COLUMNS, _segment_rows(_by_place(rows))),
        "map_change_days": (
            DAYS,
            ("day", "n"),
            [{"day": d, "n": n} for d, n in _days((r["start_date"], r["end_date"]) for r in rows).items()],
        ),
    }
    out = {}
    for name, (table, columns, want_rows) in wanted.items():
        have = {tuple(r) for r in session.execute(select(*(table.c[c] for c in columns)))}
        want = {tuple(r[c] for c in columns) for r in want_rows}
        if have != want:
            out[name] = (have - want, want - have)
    return out
