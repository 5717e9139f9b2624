"""The query layer: cached lifecycles follow edits, the CSV export's plain rows match the
JSON records."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from tests.editor_helpers import hypothetical_event
from tracker.db.models import Citation, Event, Measure, Source
from tracker.extensions import db
from tracker.read import lifecycles, queries
from tracker.read.collections import EVENTS, LISTED, listing
from tracker.read.filters import CSV_PARAMS, parse_filters
from tracker.render.exports import event_csv_row, event_export_csv_rows
from tracker.web import browse

SF = "san-francisco-face-recognition-ban-2019"


def test_cached_statuses_follow_an_edit(loaded_app):
    with loaded_app.app_context():
        measure = db.session.scalars(select(Measure).where(Measure.slug == SF)).one()
        day = dt.date(2030, 1, 1)
        assert lifecycles.measure_statuses(db.session, day)[measure.id] == "in_effect"
        db.session.add(hypothetical_event(measure, "repealed", dt.date(2029, 1, 1), "sf-hypothetical-repeal"))
        db.session.commit()
        assert lifecycles.measure_statuses(db.session, day)[measure.id] == "repealed"
        assert lifecycles.measure_statuses(db.session, dt.date(2028, 1, 1))[measure.id] == "in_effect"
        # The cached path (many ids) and the direct path (few ids) agree.
        all_ids = list(db.session.scalars(select(Measure.id)))
        assert len(all_ids) > lifecycles.SMALL / 4
        many = lifecycles.measure_statuses(db.session, day, all_ids * 5)
        assert many[measure.id] == lifecycles.measure_statuses(db.session, day, [measure.id])[measure.id]


def test_the_events_csv_rows_equal_the_csv_of_the_json_records(loaded_app):
    """The export's plain-SQL rows (queries.event_export) give, for every event and filter,
    exactly the cells of the CSV made from the JSON records of the ORM events, so the two
    formats cannot disagree. Small chunks, so rows cross chunk boundaries."""
    cases = [
        {},
        {"as_of": "2021-01-01", "technology": "face-recognition"},
        {"technology": "predictive-policing", "status": "in_effect", "as_of": "2023-06-01"},
        {"status": "repealed"},
        {"q": "ban"},
        {"sort": "title", "country": "US"},
    ]
    with loaded_app.test_request_context():
        for args in cases:
            f = parse_filters(MultiDict(args), EVENTS, db.session, per_page_max=500, extra_params=CSV_PARAMS)
            as_of = f.as_of.isoformat()
            head, tail = browse._abs("browse.event_detail", slug="SLUG").rsplit("SLUG", 1)
            slow = [
                event_csv_row(record)
                for items, extra in queries.chunks(db.session, f, size=41)
                for record in browse.records(items, extra, f)
            ]
            assert slow, args
            # One event a chunk: the citations' stream then runs ahead of chunks whose
            # events have none, and rows are taken across every boundary.
            for size in (37, 1) if not args or "q" in args else (37,):
                fast = [
                    row
                    for chunk in queries.event_export(db.session, f, size=size)
                    for row in event_export_csv_rows(chunk, as_of, head, tail)
                ]
                assert fast == slow, (args, size)


def _export(f, size: int = 10) -> list[list]:
    as_of = f.as_of.isoformat()
    head, tail = browse._abs("browse.event_detail", slug="SLUG").rsplit("SLUG", 1)
    return [
        row
        for chunk in queries.event_export(db.session, f, size=size)
        for row in event_export_csv_rows(chunk, as_of, head, tail)
    ]


def test_an_edit_committed_during_an_export_is_not_in_it(loaded_app):
    """An editor's commit between two chunks of a download (a new title, and a new
    citation, for an event in a later chunk) is in the next download, not in half of this
    one. (Every statement of a download starts with its first chunk; that they all read one
    snapshot, which keeps the citations' stream in step with the events', is the next test.)"""
    with loaded_app.test_request_context():
        f = parse_filters(MultiDict(), EVENTS, db.session, per_page_max=500, extra_params=CSV_PARAMS)
        before = _export(f)
        last_slug = before[-1][0]
        export = queries.event_export(db.session, f, size=10)
        first = next(export)
        with Session(db.engine) as editor:
            event = editor.scalars(select(Event).where(Event.slug == last_slug)).one()
            cited = {c.source_id for c in event.citations}
            source = editor.scalars(select(Source).where(Source.id.not_in(cited)).limit(1)).one()
            event.title = "Retitled during the download"
            editor.add(Citation(event=event, source=source, role="mention", quote="Added meanwhile"))
            editor.commit()
        as_of = f.as_of.isoformat()
        head, tail = browse._abs("browse.event_detail", slug="SLUG").rsplit("SLUG", 1)
        during = [
            row for chunk in [first, *export] for row in event_export_csv_rows(chunk, as_of, head, tail)
        ]
        assert during == before
        db.session.rollback()  # a new transaction: the next download sees the commit
        after = _export(f)
        assert after[-1][8] == "Retitled during the download"
        assert "Added meanwhile" in after[-1][24]
        assert after[:-1] == before[:-1]


def test_statements_on_one_snapshot_miss_a_commit_made_between_them(loaded_app):
    """What the export's streams rely on: on the snapshot connection a statement started
    after another's commit still reads the data as it was (SQLite while a statement is
    open on the connection; PostgreSQL in REPEATABLE READ), so the event stream and the
    streams beside it list the same events."""
    with loaded_app.app_context():
        with queries._one_snapshot(db.session) as connection:
            stream = connection.execute(select(Event.id).execution_options(stream_results=True))
            assert stream.fetchmany(1)
            counted = connection.execute(select(func.count()).select_from(Event)).scalar_one()
            with Session(db.engine) as editor:
                measure = editor.scalars(select(Measure).where(Measure.slug == SF)).one()
                editor.add(hypothetical_event(measure, "amended", dt.date(2024, 1, 1), "sf-meanwhile"))
                editor.commit()
            assert connection.execute(select(func.count()).select_from(Event)).scalar_one() == counted
            stream.close()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Event)) == counted + 1


def test_an_export_runs_the_same_statements_however_many_chunks(loaded_app):
    """Citations and technologies are streamed beside the events, not looked up per chunk:
    a download in chunks of 5 runs exactly the statements of one in a single chunk."""
    with loaded_app.test_request_context():
        f = parse_filters(MultiDict(), EVENTS, db.session, per_page_max=500, extra_params=CSV_PARAMS)
        counts = []
        for size in (5, 100_000):
            statements: list[str] = []

            def note(conn, cursor, statement, parameters, context, executemany, statements=statements):
                statements.append(statement)

            sa_event.listen(db.engine, "before_cursor_execute", note)
            try:
                rows = _export(f, size=size)
            finally:
                sa_event.remove(db.engine, "before_cursor_execute", note)
            counts.append(len(statements))
            assert len(rows) > 100
        assert counts[0] == counts[1]


def test_an_export_closed_early_leaves_the_session_usable(loaded_app):
    """A download abandoned after its first chunk (the reader closes the export): its cursor
    is closed (a server-side one on PostgreSQL, read past SQLAlchemy's Result), and the same
    session goes on answering queries."""
    with loaded_app.test_request_context():
        f = parse_filters(MultiDict(), EVENTS, db.session, per_page_max=500, extra_params=CSV_PARAMS)
        export = queries.event_export(db.session, f, size=10)
        first = next(export)
        assert len(first.rows) == 10
        export.close()
        assert db.session.scalars(select(Measure.slug).where(Measure.slug == SF)).one() == SF
        again = [row for chunk in queries.event_export(db.session, f, size=100) for row in chunk.rows]
        assert [r[1] for r in again[:10]] == [r[1] for r in first.rows]


FACET_FILTERS = [
    "",
    "country=US",
    "technology=face-recognition",
    "measure_type=ban&as_of=2021-01-01",
    "q=ban",
    "status=in_effect&as_of=2021-01-01",
    "actor=massachusetts",
]


def _counted(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return counts


@pytest.mark.parametrize("collection", ["events", "measures"])
@pytest.mark.parametrize("query", FACET_FILTERS)
def test_facet_counts_equal_a_count_of_the_matching_rows(shared_loaded_app, collection, query):
    """queries.facets groups keys in SQL and joins names to the groups; here the same counts
    are made row by row from the ORM objects the list's select finds."""
    coll = LISTED[collection]
    with shared_loaded_app.app_context():
        session = db.session
        f = parse_filters(MultiDict(parse_qsl(query)), coll, session)
        rows = list(session.scalars(listing(coll).select(session, f)).unique())
        statuses = {
            m: s
            for m, s, *_ in session.execute(
                lifecycles.periods_on(session, f.as_of, lifecycles.dated_technologies(f))
            )
        }

        def parts(row):
            measure = row if collection == "measures" else row.measure
            place = (
                measure.jurisdiction
                if measure and measure.jurisdiction
                else getattr(row, "jurisdiction", None)
            )
            fallback = row.adopted_by if collection == "measures" else row.actor
            techs = {t.slug for t in measure.technologies} if measure else set()
            if collection == "events":
                techs |= {t.slug for t in row.technologies}
            return {
                "kind": getattr(row, "kind", None) if collection == "events" else None,
                "measure_type": measure.measure_type if measure else None,
                "status": statuses.get(measure.id) if measure else None,
                "country": (place.country if place and place.country else None) or fallback.country,
                "region": (place.region if place and place.region else None) or fallback.region,
                "techs": techs,
            }

        found = [parts(row) for row in rows]
        facets, total = queries.facets_and_total(session, f)
    assert found, query
    assert total == len(rows), query
    for name in listing(coll).facets:
        got = {v.value: v.count for v in facets[name]}
        if name == "technology":
            expected = _counted(t for p in found for t in p["techs"])
        else:
            expected = _counted(p[name] for p in found)
        assert got == expected, (name, query)


@pytest.mark.parametrize(
    "collection, query",
    [
        ("sources", ""),
        ("sources", "kind=news_article"),
        ("actors", ""),
        ("actors", "kind=city"),
        ("actors", "country=US"),
    ],
)
def test_facets_of_sources_and_actors_equal_a_count_of_their_rows(shared_loaded_app, collection, query):
    """Sources count by kind; actors by kind and their own country and region (no place or
    fallback actor to read): the same one statement, checked row by row."""
    coll = LISTED[collection]
    with shared_loaded_app.app_context():
        session = db.session
        f = parse_filters(MultiDict(parse_qsl(query)), coll, session)
        rows = list(session.scalars(listing(coll).select(session, f)).unique())
        facets, total = queries.facets_and_total(session, f)
    assert rows, query
    assert total == len(rows)
    for name in listing(coll).facets:
        got = {v.value: v.count for v in facets[name]}
        assert got == _counted(getattr(row, name) for row in rows), (name, query)
