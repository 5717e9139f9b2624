"""The ban map's data for one date, as SQL over the stored lifecycles.

Why one date at a time: the map used to send every place's whole display timeline and work
it out per request in Python over the events (≈1.2 s uncached at 100,000 events). Each date
is now one query over ``measure_periods`` (:func:`tracker.read.lifecycles.periods_on`) joined
to the filtered measures and their places; the slider asks ``/map.json`` for the date it
stops on. The page, its JSON, its CSV and the list under it all come from :func:`map_day`,
so they list the same places.

Which measure a place shows, and which scopes count as general, are the pure rules of
:mod:`tracker.core.mapping`; this module only feeds them rows. A measure's scope is read as
of the date (:func:`scope_changes`): an event's ``new_scope`` changes it from that day on,
as :func:`tracker.core.status.scope_on` says.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    String,
    and_,
    case,
    func,
    not_,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.orm import aliased

from tracker.core import mapping, vocab
from tracker.core.mapping import GENERAL_SCOPES, NARROWING_SCOPES, scope_class
from tracker.core.places import EU_MEMBERS, country_alpha3
from tracker.db import mapstore
from tracker.db.models import (
    Actor,
    DbSession,
    Event,
    MapCandidate,
    MapChangeDay,
    MapSegment,
    Measure,
    MeasureCoverage,
    MeasurePeriod,
    batches,
)
from tracker.db.periods import BATCH, ensure_current
from tracker.read.filters import Filters
from tracker.read.lifecycles import periods_on
from tracker.read.selects import measures_select, selects_everything

MAP_LIVE = mapping.LIVE
"""Statuses that put a place on the map (the rule lives in core, where the stored map reads it too)."""

LIST_LIMIT = 60
"""At most this many corporate (and unplaced) measures are listed beside the map."""

GEOS = ("state", "point", "country", "eu")

# The map's own parameters beside the /measures filters (less sort and paging); the routes
# and the OpenAPI description read these.
MAP_PAGE_PARAMS = frozenset({"view", "scope"})
MAP_JSON_PARAMS = frozenset({"scope", "place"})
MAP_CSV_PARAMS = frozenset({"scope", "bom"})


@dataclass(frozen=True)
class MapMeasure:
    """One measure live at a place on the date."""

    slug: str
    title: str
    measure_type: str
    status: str
    since: dt.date
    since_precision: str
    scope: tuple[str, ...]
    scope_class: str
    adopter: str


@dataclass(frozen=True)
class MapPlace:
    """A place on the map and the measure it shows (``measure``); ``count`` measures of the
    filter are live there, all of them in ``measures`` when the place was asked for."""

    slug: str
    name: str
    kind: str
    geo: str  # state, point, country, eu
    loc: str | None  # state code, ISO alpha-3, 'EU'; None for points
    lat: float | None
    lon: float | None
    measure: MapMeasure
    count: int
    measures: tuple[MapMeasure, ...] = ()


@dataclass
class MapDay:
    """The map on one date: the places (sorted by name), the corporate measures in force or
    pending (the :data:`LIST_LIMIT` most recently begun, with their total) and the measures
    that cannot be drawn."""

    day: dt.date
    scope: str
    places: list[MapPlace]
    corporate: list[MapMeasure] = field(default_factory=list)
    corporate_total: int = 0
    unplaced: list[MapMeasure] = field(default_factory=list)
    unplaced_total: int = 0


def eu_members() -> list[str]:
    """ISO alpha-3 codes of the EU member states (an EU-wide measure shades them all)."""
    return [a for a in (country_alpha3(c) for c in EU_MEMBERS) if a]


def scope_condition(choice: str, scope: ColumnElement | None = None) -> ColumnElement[bool] | None:
    """The SQL form of :func:`tracker.core.mapping.scope_matches` on a scope column
    (``Measure.scope`` unless told; the stored ``'; '``-separated codes; no code is a part
    of another, so LIKE is exact); None for ``all``, which keeps every measure."""
    return None if choice == "all" else _scope_match(choice, Measure.scope if scope is None else scope)


def _scope_match(choice: str, scope) -> ColumnElement[bool]:
    general = and_(
        or_(*(scope.like(f"%{code}%") for code in sorted(GENERAL_SCOPES))),
        *(not_(scope.like(f"%{code}%")) for code in sorted(NARROWING_SCOPES)),
    )
    if choice == "general":
        return general
    if choice == "narrow":
        return or_(scope.is_(None), not_(general))
    return scope.like(f"%{choice}%")


def scope_changes(day: dt.date):
    """Per measure whose scope an event changed on or before ``day``, the latest new scope
    (``measure_id``, ``new_scope``): :func:`tracker.core.status.scope_on` in SQL. Outer-join
    it and read :func:`scope_on_day`.

    Few events change a scope, and ``ix_events_new_scope`` holds only those, so this reads
    a handful of index entries, not the events."""
    latest = (
        select(
            Event.measure_id,
            Event.new_scope,
            func.row_number()
            .over(partition_by=Event.measure_id, order_by=(Event.date.desc(), Event.id.desc()))
            .label("nth"),
        )
        .where(Event.new_scope.is_not(None), Event.date <= day)
        .subquery("scope_changes")
    )
    return select(latest.c.measure_id, latest.c.new_scope).where(latest.c.nth == 1).subquery("scope_now")


def scope_on_day(changes) -> ColumnElement:
    """The measure's scope on the day of ``changes`` (:func:`scope_changes`)."""
    return func.coalesce(changes.c.new_scope, Measure.scope)


def _measure_ids(session: DbSession, f: Filters, scope: str = "all"):
    """The filtered measures; under a scope choice, those whose scope matches it on some day
    (their own scope or any new scope an event gives them): the candidates for
    :func:`change_dates`. :func:`map_day` applies the scope on its own day itself."""
    stmt = measures_select(session, f).order_by(None).with_only_columns(Measure.id)
    if scope != "all":
        # A UNION, not "own scope OR EXISTS (a new scope)": PostgreSQL plans the OR as a
        # filter over every measure with a subplan, estimated so high that JIT compiles it.
        ever: CompoundSelect = union(
            select(Measure.id).where(_scope_match(scope, Measure.scope)),
            select(Event.measure_id).where(
                Event.new_scope.is_not(None), _scope_match(scope, Event.new_scope)
            ),
        )
        stmt = stmt.where(Measure.id.in_(ever))
    return stmt.subquery("ms")


def _places(session: DbSession) -> dict[int, tuple]:
    """``{actor id: (slug, name, kind, geo, loc, lat, lon)}`` of every place that can be drawn
    (a few hundred actors: the geography rule stays in Python, :func:`geo_of`)."""
    out = {}
    for r in session.execute(
        select(
            Actor.id,
            Actor.slug,
            Actor.name,
            Actor.kind,
            Actor.country,
            Actor.region,
            Actor.latitude,
            Actor.longitude,
        ).where(Actor.kind.in_(vocab.PLACE_KINDS))
    ):
        geo = mapping.drawable(r.kind, r.country, r.region, r.latitude, r.longitude)
        if geo is None:
            continue
        lat = None if r.latitude is None else round(float(r.latitude), 4)
        lon = None if r.longitude is None else round(float(r.longitude), 4)
        out[r.id] = (r.slug, r.name, r.kind, geo[0], geo[1], lat, lon)
    return out


def map_day(
    session: DbSession, f: Filters, day: dt.date, scope: str = "all", place: str | None = None
) -> MapDay:
    """The map on ``day``: the filter's measures live then (pending, passed, adopted or in
    effect, :data:`MAP_LIVE`), as ``/measures?as_of=<day>`` lists them, grouped by place;
    each place shows one (:func:`tracker.core.mapping.display_key`).

    ``place`` (a place's slug): also return every measure live there (the map's panel).

    Unfiltered (every measure, every scope), from the stored map (:mod:`tracker.db.mapstore`):
    a few hundred rows however many measures there are. Filtered, from the periods
    (:func:`_computed_map_day`). The tests check that both give the same map.
    """
    g = replace(f, as_of=day, as_of_given=False, sort="title", sort_given=True)
    if scope == "all" and selects_everything(measures_select(session, g)):
        return _stored_map_day(session, day, place)
    return _computed_map_day(session, f, day, scope, place)


def _computed_map_day(session: DbSession, f: Filters, day: dt.date, scope: str, place: str | None) -> MapDay:
    """:func:`map_day` from the periods, joined to the filtered measures and their places:
    one narrow row per live measure, the choices made in one pass over them, and only the
    few hundred measures shown read in full."""
    # The status and technology rules "as of" the day; the period join below already
    # implies the measure had begun by then, and sorting is not needed.
    g = replace(f, as_of=day, as_of_given=False, sort="title", sort_given=True)
    ms = _measure_ids(session, g)
    # NOT IN the other statuses rather than IN MAP_LIVE: the same rows (statuses are a
    # vocabulary), but SQLite then scans the periods instead of looking up each of them from
    # the (status, start) index, 5 times quicker at 100,000 events.
    others = [s for s in vocab.STATUSES.codes if s not in MAP_LIVE]
    on = (
        periods_on(session, day, f.technology)
        .add_columns(MeasurePeriod.start)
        .where(MeasurePeriod.status.not_in(others))
        .subquery("on_day")
    )
    adopter = aliased(Actor, name="adopter")
    pid = mapstore.measure_place(adopter)
    # Each measure's scope on the day: for the shading (general or narrow) and the scope
    # choice, from one lookup of the scope changes.
    changes = scope_changes(day)
    scope_now = scope_on_day(changes)
    general = _scope_match("general", scope_now)
    strength = {t: i for i, t in enumerate(vocab.MAP_STRENGTH)}
    # Narrow rows, one per live measure: the choices are made on these in one pass, and
    # only the few hundred measures shown are read in full below.
    rows = (
        session.connection()
        .execute(
            select(
                Measure.id,
                pid.label("pid"),
                Measure.measure_type,
                on.c.status,
                case((general, 0), else_=1).label("narrow"),
                # compared, never shown: the raw value (ISO text on SQLite) skips 20,000 date parses
                type_coerce(on.c.start, String).label("start"),
                Measure.slug,
            )
            .join(ms, ms.c.id == Measure.id)
            .join(on, on.c.measure_id == Measure.id)
            .join(adopter, adopter.id == Measure.adopted_by_id)
            .outerjoin(changes, changes.c.measure_id == Measure.id)
            .where(*([] if scope == "all" else [_scope_match(scope, scope_now)]))
        )
        .all()
    )
    drawable = _places(session)
    best: dict[int, tuple] = {}
    counts: dict[int, int] = defaultdict(int)
    corporate: list[tuple] = []
    unplaced: list[tuple] = []
    place_id = next((i for i, p in drawable.items() if p[0] == place), None) if place else None
    here: list[tuple] = []
    for mid, at, measure_type, status, narrow, since, slug in rows:
        if measure_type in vocab.CORPORATE_MEASURE_TYPES:
            corporate.append((since, slug, mid))
        elif measure_type in strength and at in drawable:
            # tracker.core.mapping.display_key, on the columns at hand
            key = (status != "in_effect", narrow, strength[measure_type], since, slug, mid)
            counts[at] += 1
            if at not in best or key < best[at]:
                best[at] = key
            if at == place_id:
                here.append(key)
        else:
            unplaced.append((since, slug, mid))
    corporate.sort(reverse=True)
    unplaced.sort(reverse=True)
    return _map_day_of(
        session,
        day,
        scope,
        drawable,
        {at: (key[-1], counts[at]) for at, key in best.items()},
        [c[-1] for c in corporate[:LIST_LIMIT]],
        len(corporate),
        [u[-1] for u in unplaced[:LIST_LIMIT]],
        len(unplaced),
        place_id,
        [k[-1] for k in sorted(here)],
    )


def _stored_map_day(session: DbSession, day: dt.date, place: str | None) -> MapDay:
    """:func:`map_day` of every measure under every scope, from the stored map
    (:mod:`tracker.db.mapstore`): each place's segment on the day (one index lookup per
    place), the first :data:`LIST_LIMIT` live rows of the corporate and unplaced lists (the
    most recently begun), their numbers, and the live candidates of the place asked for."""
    ensure_current(session)
    drawable = _places(session)

    # Each place's segment on the day is the last that starts by then: one index lookup per
    # place, driven from the places (a join from the segments made SQLite read them all).
    def held(column):
        return (
            select(column)
            .where(MapSegment.place_id == Actor.id, MapSegment.start <= day)
            .order_by(MapSegment.start.desc())
            .limit(1)
            .scalar_subquery()
        )

    shown = {
        at: (mid, n)
        for at, mid, n in session.execute(
            select(Actor.id, held(MapSegment.measure_id), held(MapSegment.n)).where(
                Actor.kind.in_(vocab.PLACE_KINDS)
            )
        )
        if at in drawable and mid is not None
    }
    live = and_(MapCandidate.start <= day, or_(MapCandidate.end.is_(None), MapCandidate.end > day))

    def listed(grp: str) -> tuple[list[int], int]:
        """The list's first rows (the most recently begun) and its length. The order of the
        slugs within a day is Python's, as on the computed map, not the database's collation:
        the last day's rows are read whole and sorted here."""
        where = (MapCandidate.grp == grp, live)
        columns = (MapCandidate.since, MapCandidate.slug, MapCandidate.measure_id)
        rows = session.execute(
            select(*columns).where(*where).order_by(MapCandidate.since.desc()).limit(LIST_LIMIT)
        ).all()
        if len(rows) == LIST_LIMIT:
            rows = session.execute(select(*columns).where(*where, MapCandidate.since >= rows[-1].since)).all()
        ordered = sorted(((r.since, r.slug, r.measure_id) for r in rows), reverse=True)
        first = [mid for _, _, mid in ordered[:LIST_LIMIT]]
        total = session.scalar(select(func.count()).where(*where)) or 0
        return first, total

    corporate, corporate_total = listed("corporate")
    unplaced, unplaced_total = listed("unplaced")
    place_id = next((i for i, p in drawable.items() if p[0] == place), None) if place else None
    here: list[int] = []
    if place_id is not None:
        here = [
            mapstore.display_key(c)[-1]
            for c in sorted(
                session.execute(
                    select(MapCandidate).where(MapCandidate.place_id == place_id, live)
                ).scalars(),
                key=mapstore.display_key,
            )
        ]
    return _map_day_of(
        session,
        day,
        "all",
        drawable,
        shown,
        corporate,
        corporate_total,
        unplaced,
        unplaced_total,
        place_id,
        here,
    )


def _map_day_of(
    session: DbSession,
    day: dt.date,
    scope: str,
    drawable: dict[int, tuple],
    shown_at: dict[int, tuple[int, int]],
    corporate_ids: list[int],
    corporate_total: int,
    unplaced_ids: list[int],
    unplaced_total: int,
    place_id: int | None,
    here_ids: list[int],
) -> MapDay:
    """The :class:`MapDay` of the chosen measures: each place's (``shown_at``: place id →
    (measure id, how many live)), the lists' and the asked-for place's (``here_ids``, in
    display order), read in full."""
    shown = [mid for mid, _ in shown_at.values()] + corporate_ids + unplaced_ids + here_ids
    details = _details(session, shown, day)
    precision = _precisions(session, {(mid, r.start) for mid, r in details.items()})

    def measure(mid: int) -> MapMeasure:
        r = details[mid]
        scopes = tuple(s.strip() for s in (r.scope or "").split(";") if s.strip())
        return MapMeasure(
            r.slug,
            r.title,
            r.measure_type,
            r.status,
            r.start,
            precision.get((mid, r.start), "day"),
            scopes,
            scope_class(scopes),
            r.adopter,
        )

    places = []
    for at, (mid, count) in shown_at.items():
        slug, name, kind, geo, loc, lat, lon = drawable[at]
        everything = tuple(measure(m) for m in here_ids) if at == place_id else ()
        places.append(MapPlace(slug, name, kind, geo, loc, lat, lon, measure(mid), count, everything))
    places.sort(key=lambda p: (GEOS.index(p.geo), p.name, p.slug))
    return MapDay(
        day,
        scope,
        places,
        [measure(m) for m in corporate_ids],
        corporate_total,
        [measure(m) for m in unplaced_ids],
        unplaced_total,
    )


def _details(session: DbSession, ids: list[int], day: dt.date) -> dict:
    """The shown measures in full (title, scope on ``day``, adopter) with their period then."""
    adopter = aliased(Actor, name="adopter")
    changes = scope_changes(day)
    out = {}
    for chunk in batches(sorted(set(ids)), BATCH):
        for r in session.execute(
            select(
                Measure.id,
                Measure.slug,
                Measure.title,
                Measure.measure_type,
                scope_on_day(changes).label("scope"),
                adopter.name.label("adopter"),
                MeasurePeriod.status,
                MeasurePeriod.start,
            )
            .join(adopter, adopter.id == Measure.adopted_by_id)
            .outerjoin(changes, changes.c.measure_id == Measure.id)
            .join(MeasurePeriod, MeasurePeriod.measure_id == Measure.id)
            .where(
                Measure.id.in_(chunk),
                MeasurePeriod.start <= day,
                or_(MeasurePeriod.end.is_(None), MeasurePeriod.end > day),
            )
        ):
            out[r.id] = r
    return out


def _precisions(session: DbSession, wanted: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], str]:
    """``{(measure id, date): precision}`` of the events on the periods' first days, so a
    stretch that began in "July 2015" is shown as such (the coarsest wins)."""
    if not wanted:
        return {}
    rank = {"day": 0, "month": 1, "year": 2}
    out: dict[tuple[int, dt.date], str] = {}
    ids = sorted({mid for mid, _ in wanted})
    for mid, date, precision in session.execute(
        select(Event.measure_id, Event.date, Event.date_precision).where(Event.measure_id.in_(ids))
    ):
        assert mid is not None  # the IN filter leaves out events without a measure
        key = (mid, date)
        if key in wanted and rank[precision] >= rank[out.get(key, "day")]:
            out[key] = precision
    return out


def change_dates(session: DbSession, f: Filters, scope: str = "all") -> list[dt.date]:
    """Every date on which a measure the map may draw starts or stops being drawn (the
    starts and ends of its periods with a :data:`MAP_LIVE` status), changes scope (an
    event's ``new_scope``: its shading, or whether the scope filter keeps it) or, under a
    technology filter, starts or stops covering one: the dates on which what the map shows
    can change. Unfiltered, the stored days (:class:`MapChangeDay`: the same starts and ends
    and the scope changes while drawn); otherwise one SQL query (``DISTINCT`` over the
    periods)."""
    g = replace(f, as_of_given=False, status=(), sort="title", sort_given=True)
    if scope == "all" and selects_everything(measures_select(session, g)):
        # The stored days (tracker.db.mapstore): a few thousand rows, not a pass over every period.
        ensure_current(session)
        return list(session.scalars(select(MapChangeDay.day).order_by(MapChangeDay.day)))
    return _computed_change_dates(session, f, scope)


def _computed_change_dates(session: DbSession, f: Filters, scope: str) -> list[dt.date]:
    """:func:`change_dates` from the periods, the scope changes and the coverage."""
    g = replace(f, as_of_given=False, status=(), sort="title", sort_given=True)
    every = scope == "all" and selects_everything(measures_select(session, g))
    # Every measure drawn (no filter): no list of them to match each period against (at
    # 300,000 events that took the query from 70 to 170 ms). No index of the days either:
    # SQLite, without statistics, then reads every "as of" period through it. One list for
    # every part (a search's CTE may appear once in a statement).
    ids = None if every else select(_measure_ids(session, g, scope).c.id)

    def drawn(column) -> list[ColumnElement[bool]]:
        return [column.is_not(None)] if ids is None else [column.in_(ids)]

    drawn_status = MeasurePeriod.status.in_(MAP_LIVE)
    parts = [
        select(MeasurePeriod.start.label("day"))
        .distinct()
        .where(*drawn(MeasurePeriod.measure_id), drawn_status),
        select(MeasurePeriod.end.label("day"))
        .distinct()
        .where(*drawn(MeasurePeriod.measure_id), drawn_status, MeasurePeriod.end.is_not(None)),
        select(Event.date.label("day")).where(*drawn(Event.measure_id), Event.new_scope.is_not(None)),
    ]
    if f.technology:
        parts += [
            select(MeasureCoverage.start.label("day")).where(
                *drawn(MeasureCoverage.measure_id), MeasureCoverage.start.is_not(None)
            ),
            select(MeasureCoverage.until.label("day")).where(
                *drawn(MeasureCoverage.measure_id), MeasureCoverage.until.is_not(None)
            ),
        ]
    days = union(*parts).subquery("days")
    # The raw values (ISO text on SQLite, dates on PostgreSQL): thousands of dates parsed
    # by fromisoformat cost a tenth of SQLAlchemy's generic date processing.
    raw = session.scalars(select(type_coerce(days.c.day, String)))
    return sorted(d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in raw)
