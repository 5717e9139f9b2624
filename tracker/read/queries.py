"""Running a list: one page, every row in chunks, and the facet counts, for any collection.

A :class:`~tracker.read.filters.Filters` object goes in; its collection's select
(:mod:`tracker.read.selects`, named by the registry in :mod:`tracker.read.collections`)
finds the rows, and the statuses on ``as_of`` come from :mod:`tracker.read.lifecycles`. The
views only decide how to render the rows (Datasette's "one data function, many renderers"),
so HTML, JSON, CSV, feeds and charts cannot disagree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from tracker.core import vocab
from tracker.core.places import country_name, region_name
from tracker.core.status import (
    milestones,
    status_in,
)
from tracker.core.vocab import MEASURE_TYPES
from tracker.db import measuretallies, search, tallies
from tracker.db.models import (
    Actor,
    Citation,
    DbSession,
    Event,
    Measure,
    Source,
    Technology,
    event_technologies,
    measure_technologies,
)
from tracker.db.periods import ensure_current
from tracker.read.collections import EVENTS, MEASURES, listing
from tracker.read.filters import Filters
from tracker.read.lifecycles import dated_technologies, measure_lifecycles, periods_on
from tracker.read.parameters import PageNotFound
from tracker.read.selects import events_select, selects_everything

CHUNK = 2000


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int
    extra: dict

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


# --- running lists ---------------------------------------------------------------------


def count(session: DbSession, stmt: Select) -> int:
    """Rows of a list select. Only the key column is kept in the subquery: counting rows
    that carry every column (summaries, texts) made SQLite read them all."""
    entity = stmt.column_descriptions[0]["entity"]
    if entity is Event and selects_everything(stmt):
        # Every event: the stored total (a count of 300,000 rows took 13 ms on PostgreSQL).
        ensure_current(session)
        return tallies.event_total(session)
    keyed = stmt.with_only_columns(entity.id).order_by(None) if entity is not None else stmt
    total = session.scalar(select(func.count()).select_from(keyed.subquery()))
    assert total is not None  # COUNT(*) always returns one row
    return total


def _status_extra(session: DbSession, f: Filters, measure_ids: list[int]) -> dict:
    """The statuses on ``as_of`` of the measures a page or chunk shows and, for the measures
    list, their milestones (first step, in effect since, ended), from one lookup of their
    lifecycles."""
    lifecycles = measure_lifecycles(session, measure_ids, dated_technologies(f))
    extra: dict = {"statuses": {mid: status_in(ps, f.as_of) for mid, ps in lifecycles.items()}}
    if f.collection is MEASURES:
        extra["milestones"] = {mid: milestones(ps, f.as_of) for mid, ps in lifecycles.items()}
    return extra


def page(session: DbSession, f: Filters, total: int | None = None) -> Page:
    """One page of a list; a page past the end is a 404 (page 1 of nothing is empty).
    ``total``, when the caller has it (:func:`facets_and_total` counts the same rows), saves
    the count."""
    spec = listing(f.collection)
    stmt = spec.select(session, f)
    if total is None:
        total = count(session, stmt)
    last = max(1, -(-total // f.per_page))
    if f.page > last:
        raise PageNotFound(f"page {f.page} is past the end: there are {last} page(s)")
    items = (
        session.scalars(stmt.options(*spec.load).limit(f.per_page).offset((f.page - 1) * f.per_page))
        .unique()
        .all()
    )
    extra: dict = {}
    if spec.statuses:
        ids = {f.collection.measure_id(i) for i in items}
        extra.update(_status_extra(session, f, [i for i in ids if i]))
    if f.q:
        extra["snippets"] = search.snippets(session, f.collection.name, f.q, [i.id for i in items])
    return Page(list(items), total, f.page, f.per_page, extra)


def chunks(session: DbSession, f: Filters, size: int = CHUNK) -> Iterator[tuple[list, dict]]:
    """Every matching row in list order, ``size`` at a time, each chunk with its statuses.

    Only the ids are streamed from one cursor; each chunk's objects are loaded, used and
    dropped, so memory stays flat however many rows match (no cap, no truncation).
    """
    spec = listing(f.collection)
    stmt = spec.select(session, f)
    model = cast("type[Event | Measure | Source | Actor]", f.collection.model)
    id_stmt = stmt.with_only_columns(model.id)
    result = session.execute(id_stmt.execution_options(yield_per=size, stream_results=True))
    for partition in result.partitions(size):
        ids = [row[0] for row in partition]
        # select() of a union of models types its rows as their common Base.
        loaded = cast(
            "Iterable[Event | Measure | Source | Actor]",
            session.scalars(select(model).where(model.id.in_(ids)).options(*spec.load)).unique(),
        )
        objects: dict[int, Any] = {o.id: o for o in loaded}
        rows = [objects[i] for i in ids]
        extra: dict = {}
        if spec.statuses:
            mids = {f.collection.measure_id(r) for r in rows}
            extra.update(_status_extra(session, f, [m for m in mids if m]))
        yield rows, extra
        session.expunge_all()


@dataclass(frozen=True)
class ExportChunk:
    """A chunk of the events CSV export, as plain data (no ORM objects, no per-row objects).

    ``rows`` are tuples of :data:`EXPORT_COLUMNS`, in list order. ``statuses`` (measure id →
    its status on the filter's date) and ``covered`` (measure id → its technologies' slugs,
    sorted) are the whole export's, shared by every chunk; ``own`` (event id → the event's
    own technology slugs) and ``citations`` (event id → ``(title, publisher, source slug,
    url, quote, role, source kind)`` in citation order) are this chunk's."""

    rows: list[tuple]
    statuses: dict[int, str]
    covered: dict[int, tuple[str, ...]]
    own: dict[int, set[str]]
    citations: dict[int, list[tuple]]


EXPORT_COLUMNS = (
    "id",
    "slug",
    "date",
    "date_precision",
    "certainty",
    "needs_confirmation",
    "kind",
    "title",
    "summary",
    "m_slug",
    "m_title",
    "m_type",
    "measure_id",
    "a_slug",
    "a_name",
    "p_slug",
    "p_name",
    "p_country",
    "p_region",
)
"""The columns of :attr:`ExportChunk.rows`, in order."""


def event_export(session: DbSession, f: Filters, size: int = CHUNK) -> Iterator[ExportChunk]:
    """Every matching event in list order, ``size`` at a time, for the CSV export.

    Why not :func:`chunks`: at 100,000 events, building ORM objects (or look-alikes) and
    then JSON records was most of an export's time. Here the events come from one streamed
    statement: the list's own select (its joins, conditions and order) with the export's
    columns, read as the driver's own tuples (:class:`_RawStream`). Per measure, read
    once per export: the status on the date (SQL over the stored periods) and the
    technologies. The events' citations and own technologies come from two more streamed
    statements in the same order, taken a chunk at a time (:class:`_Follower`), not looked
    up per chunk. Every statement reads one snapshot (:func:`_one_snapshot`), so an edit
    committed during a download never shows in half of it. Memory stays flat. A test checks
    the CSV made from these chunks equals the one made from the JSON records of the same
    events.
    """
    if f.collection is not EVENTS:
        raise ValueError("event_export is for the events list")
    # Aliases of our own: the list's select may already join measures and actors for its
    # filters, under their own names.
    measure = aliased(Measure, name="export_measure")
    place = aliased(Actor, name="export_place")
    actor = aliased(Actor, name="export_actor")
    columns = (
        Event.id,
        Event.slug,
        sql_cast(Event.date, String).label("date"),  # ISO text on both engines; no date objects
        Event.date_precision,
        Event.certainty,
        Event.needs_confirmation,
        Event.kind,
        Event.title,
        Event.summary,
        measure.slug.label("m_slug"),
        measure.title.label("m_title"),
        measure.measure_type.label("m_type"),
        Event.measure_id,
        actor.slug.label("a_slug"),
        actor.name.label("a_name"),
        place.slug.label("p_slug"),
        place.name.label("p_name"),
        place.country.label("p_country"),
        place.region.label("p_region"),
    )
    assert tuple(c.key for c in columns) == EXPORT_COLUMNS
    listed = events_select(session, f, paged=False)  # every row: sorted whole
    stmt = (
        listed.with_only_columns(*columns)
        .outerjoin(measure, measure.id == Event.measure_id)
        .join(actor, actor.id == Event.actor_id)
        .outerjoin(place, place.id == func.coalesce(measure.jurisdiction_id, Event.jurisdiction_id))
    )
    # The list's select with other columns (keeping its FROM: the events and the filters'
    # joins) and the rows it joins to: in list order, then (citations) in citation order.
    own_stmt = (
        listed.with_only_columns(event_technologies.c.event_id, Technology.slug, maintain_column_froms=True)
        .join(event_technologies, event_technologies.c.event_id == Event.id)
        .join(Technology, Technology.id == event_technologies.c.technology_id)
    )
    cite_stmt = (
        listed.with_only_columns(
            Citation.event_id,
            Source.title,
            Source.publisher,
            Source.slug,
            Source.url,
            Citation.quote,
            Citation.role,
            Source.kind,
            maintain_column_froms=True,
        )
        .join(Citation, Citation.event_id == Event.id)
        .join(Source, Source.id == Citation.source_id)
        .order_by(Citation.id)
    )
    periods = periods_on(session, f.as_of, dated_technologies(f))
    with _one_snapshot(session) as connection:
        # The event statement runs first; on SQLite the statements below then start while
        # it is open, in its read transaction (see _one_snapshot).
        events = _RawStream(connection, stmt, size)
        followers: list[_Follower] = []
        try:
            # Per measure, read once (tens of thousands of short rows): the status on the
            # date and the technologies, instead of a join per event or per chunk.
            statuses = dict(_raw_all(connection, periods))
            slugs: dict[int, list[str]] = defaultdict(list)
            for measure_id, slug in _raw_all(
                connection,
                select(measure_technologies.c.measure_id, Technology.slug).join(
                    Technology, Technology.id == measure_technologies.c.technology_id
                ),
            ):
                slugs[measure_id].append(slug)
            covered = {mid: tuple(sorted(set(found))) for mid, found in slugs.items()}
            own_rows = _Follower(connection, own_stmt, size)
            followers.append(own_rows)
            cite_rows = _Follower(connection, cite_stmt, size)
            followers.append(cite_rows)
            for rows in events.partitions():
                ids = {row[0] for row in rows}
                own: dict[int, set[str]] = defaultdict(set)
                for event_id, slug in own_rows.take(ids):
                    own[event_id].add(slug)
                cites: dict[int, list[tuple]] = defaultdict(list)
                for cited in cite_rows.take(ids):
                    cites[cited[0]].append(cited[1:])
                yield ExportChunk(rows, statuses, covered, own, cites)
        finally:
            events.close()
            for follower in followers:
                follower.close()


@contextlib.contextmanager
def _one_snapshot(session: DbSession) -> Iterator[Connection]:
    """A connection on which every statement reads the same snapshot of the data.

    SQLite: the session's own connection. A statement started while another is still open
    on the connection runs in the same read transaction (WAL keeps that snapshot however
    long a slow client takes), which the export relies on by opening its event stream first.
    PostgreSQL: a connection of its own in a REPEATABLE READ transaction (the session's is
    READ COMMITTED, where each statement sees what was committed before it started; its
    transaction has already read, so its level cannot change). It reads committed data."""
    own = session.connection()
    if own.dialect.name != "postgresql":
        yield own
        return
    with own.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


class _Follower:
    """The rows of a statement that lists, in the event stream's order, rows belonging to
    its events (their citations, their technologies), taken a chunk at a time.

    Why: looking each chunk's citations up by its ids was two statements per 2,000 events,
    and matched the ids one by one. Streamed in the list's own order (the list's select,
    joined to the citations; the slug ends every order, so the order is total) the rows
    come in step with the events, and a chunk takes the rows at the head of the stream while
    they belong to its events; the rest belong to later chunks. That holds only when both
    statements read the same rows: :func:`_one_snapshot`."""

    def __init__(self, connection: Connection, stmt: Select, size: int) -> None:
        self._stream = _RawStream(connection, stmt, size)
        self._rows = itertools.chain.from_iterable(self._stream.partitions())
        self._pending = next(self._rows, None)

    def take(self, ids: set[int]) -> list[tuple]:
        """The rows at the head of the stream whose event is one of ``ids``."""
        taken = []
        pending, rows = self._pending, self._rows
        while pending is not None and pending[0] in ids:
            taken.append(pending)
            pending = next(rows, None)
        self._pending = pending
        return taken

    def close(self) -> None:
        self._stream.close()


def _raw_all(connection, stmt: Select) -> list[tuple]:
    """Every row of ``stmt`` as the DBAPI cursor's tuples (see :class:`_RawStream`): a
    plain, unbuffered result, which nothing has read from yet."""
    result = connection.execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


class _RawStream:
    """The rows of ``stmt``, ``size`` at a time, as the DBAPI cursor's own tuples; the
    statement runs when the stream is made (so it is open before any statement after it).

    Why: SQLAlchemy's Row objects and result processing were a third of the export's
    Python time, and these columns need no processing (integers, texts, the date cast to
    text; a boolean may come as 0 or 1, which is read for its truth). PostgreSQL streams
    (a server-side cursor, ``stream_results``), whose fetch strategy reads one row ahead
    when the statement runs: that row comes through the Result, the rest straight from
    the cursor. SQLite's cursor steps lazily by itself."""

    def __init__(self, connection: Connection, stmt: Select, size: int) -> None:
        streaming = connection.dialect.name == "postgresql"
        options = {"stream_results": True, "max_row_buffer": size} if streaming else {}
        self._result = connection.execute(stmt.execution_options(**options))
        self._size = size

    def partitions(self) -> Iterator[list[tuple]]:
        result, size = self._result, self._size
        rows = [tuple(row) for row in result.fetchmany(1)]
        if not rows:
            return
        cursor: Any = result.cursor  # the driver's: its rows are plain tuples
        rows += cursor.fetchmany(size - 1)
        while rows:
            yield rows
            rows = cursor.fetchmany(size)

    def close(self) -> None:
        self._result.close()


# --- facets ----------------------------------------------------------------------------


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


def facets(session: DbSession, f: Filters) -> dict[str, list[FacetValue]]:
    """Counts of the matching rows by each facet, most frequent first."""
    return facets_and_total(session, f)[0]


def facets_and_total(session: DbSession, f: Filters) -> tuple[dict[str, list[FacetValue]], int]:
    """The facet counts and the number of matching rows, from one statement.

    The filtered rows (``facet_columns``: key columns only, sharing every condition of the
    list) are a CTE that every count reads, so the filters run once, not once per facet plus
    once for the total: at 100,000 events each pass over them cost 25-50 ms, and the first
    page after an edit made seven. Both engines materialise a CTE that is read more than
    once (PostgreSQL 12+, SQLite 3.35+). An unfiltered list is the exception (below).

    Each count groups those rows by the narrowest key that answers it, and names are joined
    to the few groups afterwards rather than to every row: type, status and technology count
    rows per measure once and weigh each measure; country and region group by (place,
    fallback actor) pairs and read those actors' codes.
    """
    spec = listing(f.collection)
    selected_rows = spec.select(session, f, facet_columns=True)
    # A bare table (no filter) stays a subquery: each count then reads the table's own
    # indexes (events by kind, by measure) where materialising 100,000 rows and sorting
    # them per count took longer than the filters it saves.
    bare = selects_everything(selected_rows)
    if bare and f.collection is EVENTS:
        return _facets_out(session, spec, f, _tallied_counts(session, f.as_of))
    if f.collection is MEASURES and _measures_on_a_date(f):
        return _facets_out(session, spec, f, _tallied_measure_counts(session, f))
    rows = selected_rows.subquery("facet_rows") if bare else selected_rows.cte("facet_rows")
    wanted = set(spec.facets)
    per_measure = None
    if "measure_id" in rows.c and wanted & {"measure_type", "status", "technology"}:
        per_measure = (
            select(rows.c.measure_id, func.count().label("n"))
            .where(rows.c.measure_id.is_not(None))
            .group_by(rows.c.measure_id)
            .cte("rows_per_measure")
        )
    parts = [_count_row("total", n=func.count()).select_from(rows)]
    if "kind" in wanted:
        parts.append(
            _count_row("kind", code=rows.c.kind, n=func.count())
            .where(rows.c.kind.is_not(None))
            .group_by(rows.c.kind)
        )
    if "measure_type" in wanted:
        assert per_measure is not None
        parts.append(
            _count_row("measure_type", code=Measure.measure_type, n=func.sum(per_measure.c.n))
            .join(per_measure, per_measure.c.measure_id == Measure.id)
            .group_by(Measure.measure_type)
        )
    if "status" in wanted:
        assert per_measure is not None
        on = periods_on(session, f.as_of, dated_technologies(f)).subquery("on_date")
        parts.append(
            _count_row("status", code=on.c.status, n=func.sum(per_measure.c.n))
            .select_from(on)
            .join(per_measure, per_measure.c.measure_id == on.c.measure_id)
            .group_by(on.c.status)
        )
    if "technology" in wanted:
        assert per_measure is not None
        parts.extend(_technology_parts(rows, per_measure, with_event_links=f.collection is EVENTS))
    if {"country", "region"} & wanted:
        parts.append(_event_place_part(rows) if f.collection is EVENTS else _place_part(rows))

    counts: Counts = defaultdict(list)
    for facet, code, code2, key, key2, n in session.execute(union_all(*parts)):
        counts[facet].append((code, code2, key, key2, int(n)))
    return _facets_out(session, spec, f, counts)


Counts = dict[str, list[tuple[str | None, str | None, int | None, int | None, int]]]
"""Facet name → ``(code, code2, key, key2, n)`` rows, as the facet statement returns them."""


def _tallied_counts(session: DbSession, as_of: dt.date) -> Counts:
    """The facet rows of every event, from the stored counts (:mod:`tracker.db.tallies`):
    a few hundred rows however many events, in the shape the facet statement gives."""
    ensure_current(session)
    counts: Counts = defaultdict(list)
    for (facet, code, key, key2), n in tallies.totals(session).items():
        if facet in ("kind", "measure_type", "total"):
            counts[facet].append((code or None, None, None, None, n))
        elif facet == "technology":
            counts[facet].append((None, None, key, None, n))
        else:  # place: (place or 0, acting actor)
            counts[facet].append((None, None, key or None, key2 or None, n))
    counts["total"] = counts["total"] or [(None, None, None, None, 0)]
    for code, n in tallies.status_counts(session, as_of).items():
        counts["status"].append((code, None, None, None, n))
    return counts


def _measures_on_a_date(f: Filters) -> bool:
    """Whether a measures list is "every measure with these statuses on ``as_of``" (or every
    measure recorded by then) and nothing else: the question the stored counts answer."""
    narrowed = (
        f.q,
        f.kind,
        f.measure_type,
        f.technology,
        f.actor,
        f.country,
        f.region,
        f.date_from,
        f.date_to,
    )
    return (bool(f.status) or f.as_of_given) and not any(narrowed)


def _tallied_measure_counts(session: DbSession, f: Filters) -> Counts:
    """The facet rows of every measure with the filter's statuses on ``as_of`` (without a
    status: every measure recorded by then), from the stored counts
    (:mod:`tracker.db.measuretallies`), in the shape the facet statement gives; country and
    region come as codes, not as (place, fallback) pairs."""
    ensure_current(session)
    statuses = f.status or (measuretallies.RECORDED,)
    on = measuretallies.counts_on(session, f.as_of, statuses, () if f.status else vocab.STATUSES.codes)
    counts: Counts = defaultdict(list)
    by_value: dict[tuple[str, str, int], int] = defaultdict(int)
    for (status, facet, code, key), n in on.items():
        if status in statuses:
            by_value[(facet, code, key)] += n
        if facet == "total" and status != measuretallies.RECORDED:
            counts["status"].append((status, None, None, None, n))
    for (facet, code, key), n in by_value.items():
        if facet == "technology":
            counts[facet].append((None, None, key, None, n))
        else:
            counts[facet].append((code or None, None, None, None, n))
    counts["total"] = counts["total"] or [(None, None, None, None, 0)]
    return counts


def _facets_out(
    session: DbSession, spec, f: Filters, counts: Counts
) -> tuple[dict[str, list[FacetValue]], int]:
    """The facet values from the rows per facet: names and labels, most frequent first."""
    wanted = set(spec.facets)
    total = counts["total"][0][4]
    places = None
    if "country" in counts or "region" in counts:  # counted by code (the stored measure counts)
        places = (
            {c: n for c, _, _, _, n in counts["country"] if c is not None},
            {c: n for c, _, _, _, n in counts["region"] if c is not None},
        )
    elif {"country", "region"} & wanted:
        places = _places(session, counts["place"])
    technologies = _technology_names(session, counts) if "technology" in wanted else []

    out: dict[str, list[FacetValue]] = {}
    for name in spec.facets:
        selected = set(getattr(f, name))
        if name == "kind" and spec.kind is not None:
            pairs = [(v, spec.kind.label(v), n) for v, _, _, _, n in counts["kind"] if v is not None]
        elif name == "measure_type":
            pairs = [
                (v, vocab.MEASURE_TYPES.label(v), n)
                for v, _, _, _, n in counts["measure_type"]
                if v is not None
            ]
        elif name == "status":
            pairs = [(v, vocab.STATUSES.label(v), n) for v, _, _, _, n in counts["status"] if v is not None]
        elif name == "country":
            assert places is not None
            pairs = [(v, country_name(v), n) for v, n in places[0].items()]
        elif name == "region":
            assert places is not None
            pairs = [(v, region_name(v), n) for v, n in places[1].items()]
        elif name == "technology":
            pairs = technologies
        else:  # pragma: no cover - the registry lists only the names above
            raise AssertionError(name)
        pairs.sort(key=lambda p: (-p[2], p[1]))
        out[name] = [FacetValue(v, label, n, v in selected) for v, label, n in pairs]
    return out, total


def _count_row(facet: str, code=None, code2=None, key=None, key2=None, *, n) -> Select:
    """One branch of the facet statement: ``(facet, code, code2, key, key2, n)``, the
    string keys (a kind, a type, a status; an actor's country and region) and the integer
    ones (a technology; a place and a fallback actor), typed so the branches unite."""

    def text(c):
        return sql_cast(null(), String) if c is None else c

    def number(c):
        return sql_cast(null(), Integer) if c is None else c

    return select(
        literal(facet, String).label("facet"),
        text(code).label("code"),
        text(code2).label("code2"),
        number(key).label("key"),
        number(key2).label("key2"),
        sql_cast(n, BigInteger).label("n"),
    )


def _place_part(rows) -> Select:
    """Rows per (place, fallback actor): a row's country and region are its place's, or,
    where the place has none (or there is no place), its fallback actor's (the adopting
    actor), as the lists' country and region filters read them. Collections whose rows
    carry their own country and region (actors) are grouped by those. Events:
    :func:`_event_place_part`."""
    if "jurisdiction_id" not in rows.c:
        return _count_row("place", code=rows.c.country, code2=rows.c.region, n=func.count()).group_by(
            rows.c.country, rows.c.region
        )
    place_id = rows.c.jurisdiction_id
    stmt = _count_row("place", key=place_id, key2=rows.c.fallback_id, n=func.count()).select_from(rows)
    return stmt.group_by(place_id, rows.c.fallback_id)


def _event_place_part(rows) -> Select:
    """Events per (place, fallback actor): an event's place is its measure's jurisdiction,
    else its own; its fallback is the acting actor.

    The events are first grouped by (measure, own place, acting actor) (on the bare table
    an index-only scan of ``ix_events_facet_groups``, already in that order), and only the
    groups are joined to their measures: joining 300,000 events to their measures and then
    grouping them was 277 of a first /events' 630 ms; from the groups it is 68 ms."""
    groups = (
        select(rows.c.measure_id, rows.c.jurisdiction_id, rows.c.fallback_id, func.count().label("n"))
        .group_by(rows.c.measure_id, rows.c.jurisdiction_id, rows.c.fallback_id)
        .subquery("row_groups")
    )
    measure = aliased(Measure, name="row_measure")
    place_id = func.coalesce(measure.jurisdiction_id, groups.c.jurisdiction_id)
    return (
        _count_row("place", key=place_id, key2=groups.c.fallback_id, n=func.sum(groups.c.n))
        .select_from(groups)
        .outerjoin(measure, measure.id == groups.c.measure_id)
        .group_by(place_id, groups.c.fallback_id)
    )


def _places(session: DbSession, groups) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per country and per region from the (place, fallback) groups, reading the
    codes of the few actors named."""
    countries: dict[str, int] = defaultdict(int)
    regions: dict[str, int] = defaultdict(int)
    ids = {i for _, _, place_id, fallback_id, _ in groups for i in (place_id, fallback_id) if i is not None}
    where = (
        {
            actor_id: (country, region)
            for actor_id, country, region in session.execute(
                select(Actor.id, Actor.country, Actor.region).where(Actor.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    for own_country, own_region, place_id, fallback_id, n in groups:
        if place_id is None and fallback_id is None:  # rows that carry their own codes
            country, region = own_country, own_region
        else:
            place = where.get(place_id, (None, None))
            fallback = where.get(fallback_id, (None, None))
            country = place[0] if place[0] is not None else fallback[0]
            region = place[1] if place[1] is not None else fallback[1]
        if country is not None:
            countries[country] += n
        if region is not None:
            regions[region] += n
    return dict(countries), dict(regions)


def _technology_parts(rows, per_measure, with_event_links: bool) -> list[Select]:
    """Rows per technology: a row counts once for each technology its measure covers or
    (events) the event itself names. Counted as the rows per measure times the measure's
    technologies, plus the event links their measure does not already give; both without a
    UNION of (row, technology) pairs to deduplicate."""
    parts = [
        _count_row("technology", key=measure_technologies.c.technology_id, n=func.sum(per_measure.c.n))
        .select_from(measure_technologies)
        .join(per_measure, per_measure.c.measure_id == measure_technologies.c.measure_id)
        .group_by(measure_technologies.c.technology_id)
    ]
    if with_event_links:
        given_by_measure = (
            select(measure_technologies.c.measure_id)
            .where(
                measure_technologies.c.measure_id == rows.c.measure_id,
                measure_technologies.c.technology_id == event_technologies.c.technology_id,
            )
            .exists()
        )
        parts.append(
            _count_row("technology", key=event_technologies.c.technology_id, n=func.count())
            .select_from(rows)
            .join(event_technologies, event_technologies.c.event_id == rows.c.id)
            .where(~given_by_measure)
            .group_by(event_technologies.c.technology_id)
        )
    return parts


def _technology_names(session: DbSession, counts) -> list[tuple[str, str, int]]:
    by_id: dict[int, int] = defaultdict(int)
    for _, _, tid, _, n in counts["technology"]:
        by_id[tid] += n
    if not by_id:
        return []
    names = session.execute(
        select(Technology.id, Technology.slug, Technology.name).where(Technology.id.in_(by_id))
    )
    return [(slug, name, by_id[tid]) for tid, slug, name in names]


def in_effect_by_type(session: DbSession, on: dt.date) -> list[tuple[str, int]]:
    """Headline figures: how many measures of each type are in force on a date (one
    GROUP BY over the stored periods)."""
    holding = periods_on(session, on).subquery("on_date")
    counts = {
        kind: n
        for kind, n in session.execute(
            select(Measure.measure_type, func.count())
            .join(holding, holding.c.measure_id == Measure.id)
            .where(holding.c.status == "in_effect")
            .group_by(Measure.measure_type)
        )
    }
    return [(code, counts[code]) for code in MEASURE_TYPES.codes if counts.get(code)]
