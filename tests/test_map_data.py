"""The ban map's data and routes on the real dataset, on SQLite and PostgreSQL: the places of
a date (tracker/read/maps.py), the scope filter, /map, /map.json and /map.csv agreeing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tracker.core import mapping, vocab
from tracker.core.status import scope_on
from tracker.db.models import Actor, Event, Measure, MeasurePeriod
from tracker.db.periods import coverage_changes
from tracker.extensions import db
from tracker.read import maps
from tracker.read.collections import MEASURES
from tracker.read.filters import parse_filters
from tracker.read.lifecycles import measure_statuses

D = dt.date
JSON_BLOCK = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


@pytest.fixture
def session(loaded_app):
    with loaded_app.app_context():
        yield db.session


def _filters(session, **args):
    return parse_filters(MultiDict(args), MEASURES, session)


def _reference(session, day: dt.date, choice: str = "all") -> dict[str, list[tuple]]:
    """Independently of map_day's SQL: every measure live on ``day`` at each drawable place,
    from the statuses (one per measure) and the Python scope rule."""
    statuses = measure_statuses(session, day)
    actors = {a.id: a for a in session.scalars(select(Actor))}
    changes = coverage_changes(session, None)
    out: dict[str, list[tuple]] = defaultdict(list)
    for m in session.scalars(select(Measure)):
        status = statuses.get(m.id)
        if status not in maps.MAP_LIVE or m.measure_type not in vocab.MAP_STRENGTH:
            continue
        scope = scope_on(m.scope, changes.get(m.id, ()), day)
        if not mapping.scope_matches(scope, choice):
            continue
        adopter = actors[m.adopted_by_id]
        place = actors.get(m.jurisdiction_id) if m.jurisdiction_id else None
        place = place or (adopter if adopter.kind in vocab.PLACE_KINDS else None)
        if place is None:
            continue
        geo = mapping.geo_of(place.kind, place.country, place.region)
        if geo is None or (geo[0] == "point" and place.latitude is None):
            continue
        out[place.slug].append((status, mapping.scope_class(scope), m.measure_type, m.slug))
    return out


@pytest.mark.parametrize("choice", ["all", "general", "narrow", "body_cameras"])
def test_each_place_shows_its_strongest_live_measure(session, choice):
    day = D(2021, 1, 1)
    found = maps.map_day(session, _filters(session), day, choice)
    reference = _reference(session, day, choice)
    assert {p.slug for p in found.places} == set(reference)
    for p in found.places:
        assert p.count == len(reference[p.slug]), p.slug
        # the shown one is first by the rule (start dates aside: compare the first three keys)
        best = min(
            reference[p.slug],
            key=lambda r: (r[0] != "in_effect", r[1] != "general", vocab.MAP_STRENGTH.index(r[2])),
        )
        shown = (p.measure.status, p.measure.scope_class, p.measure.measure_type)
        assert shown == best[:3], p.slug


def test_the_map_on_1_january_2021(session):
    found = maps.map_day(session, _filters(session), D(2021, 1, 1))
    by_slug = {p.slug: p for p in found.places}
    for city in ("boston", "cambridge-massachusetts", "brookline", "somerville", "san-francisco", "oakland"):
        assert by_slug[city].geo == "point" and by_slug[city].lat is not None, city
    # Oregon's only statewide measure is the body-camera ban: narrow, never a general ban.
    oregon = by_slug["oregon"].measure
    assert oregon.slug == "oregon-body-camera-face-recognition-prohibition-2015"
    assert oregon.scope_class == "narrow" and by_slug["oregon"].loc == "OR"
    # California: a general oversight law beats the narrow body-camera moratorium.
    assert by_slug["california"].measure.scope_class == "general"
    assert by_slug["california"].count >= 2
    # New Jersey's Attorney General directive is about one vendor (Clearview AI): narrow.
    nj = by_slug["new-jersey"].measure
    assert nj.slug == "new-jersey-clearview-ai-moratorium-2020" and nj.scope_class == "narrow"
    assert any(m.slug.startswith("amazon-") for m in found.corporate)
    assert all(m.measure_type in vocab.CORPORATE_MEASURE_TYPES for m in found.corporate)
    assert len(found.places) == len(by_slug)


def test_a_place_asked_for_lists_every_measure_live_there(session):
    found = maps.map_day(session, _filters(session), D(2021, 1, 1), place="california")
    ca = next(p for p in found.places if p.slug == "california")
    assert len(ca.measures) == ca.count >= 2
    assert ca.measures[0] == ca.measure
    assert "california-body-camera-biometric-moratorium-2019" in {m.slug for m in ca.measures}
    assert all(not p.measures for p in found.places if p.slug != "california")


def test_the_map_follows_the_date_and_the_technology(session):
    before = {p.slug for p in maps.map_day(session, _filters(session), D(2019, 1, 1)).places}
    pending = maps.map_day(session, _filters(session), D(2019, 5, 15)).places
    after = maps.map_day(session, _filters(session), D(2019, 6, 1)).places
    assert "san-francisco" not in before
    assert next(p for p in pending if p.slug == "san-francisco").measure.status == "pending"
    sf = next(p for p in after if p.slug == "san-francisco").measure
    assert sf.status == "in_effect" and sf.since == D(2019, 5, 21)
    ban = "new-orleans-surveillance-technology-ban-2020"
    face = _filters(session, technology="face-recognition")

    def nola(f, day):
        place = next(
            (p for p in maps.map_day(session, f, day, place="new-orleans").places if p.slug == "new-orleans"),
            None,
        )
        return {m.slug for m in place.measures} if place else set()

    assert ban in nola(face, D(2022, 7, 1))
    assert ban not in nola(face, D(2022, 8, 1))  # it stopped covering face recognition on 21 July 2022
    assert ban in nola(_filters(session), D(2022, 8, 1))


def test_change_dates_are_the_days_the_map_changes(session):
    changes = set(maps.change_dates(session, _filters(session)))
    assert {D(2019, 5, 14), D(2019, 5, 21), D(2023, 1, 1)} <= changes
    # Unfiltered, the stored days: every start and end of a period the map draws, and
    # every scope change of a measure while it is drawn.
    periods = session.execute(
        select(MeasurePeriod.measure_id, MeasurePeriod.start, MeasurePeriod.end).where(
            MeasurePeriod.status.in_(maps.MAP_LIVE)
        )
    ).all()
    scoped = session.execute(
        select(Event.measure_id, Event.date).where(
            Event.new_scope.is_not(None), Event.measure_id.is_not(None)
        )
    ).all()
    while_drawn = {
        d for mid, d in scoped if any(m == mid and s < d and (e is None or d < e) for m, s, e in periods)
    }
    assert changes == {s for _, s, _ in periods} | {e for _, _, e in periods if e} | while_drawn
    # Computed by the query that serves a filtered map, the same days and the scope
    # changes of the drawn measures while not drawn.
    computed = set(maps._computed_change_dates(session, _filters(session), "all"))
    assert changes <= computed
    assert computed - changes <= {d for _, d in scoped}
    ma = set(maps.change_dates(session, _filters(session, region="US-MA")))
    assert D(2019, 5, 21) not in ma and ma < changes
    # A search with a technology: the search's CTE is in every part of one statement.
    searched = set(maps.change_dates(session, _filters(session, q="ban", technology="face-recognition")))
    assert searched and searched < changes
    # A search alone (a join, no condition) still keeps only the measures it finds.
    only_searched = set(maps.change_dates(session, _filters(session, q="ban")))
    assert searched <= only_searched < changes
    # Between two consecutive change dates, the map is the same.
    ordered = sorted(d for d in changes if D(2019, 1, 1) <= d <= D(2021, 1, 1))
    for a, b in list(zip(ordered, ordered[1:], strict=False))[:12]:
        if (b - a).days < 2:
            continue
        first = maps.map_day(session, _filters(session), a).places
        later = maps.map_day(session, _filters(session), b - dt.timedelta(days=1)).places
        assert first == later, (a, b)


OREGON = "oregon-body-camera-face-recognition-prohibition-2015"


def _widen_oregon(session, day: dt.date) -> None:
    """An amendment (not in the data) that widens Oregon's body-camera ban to all police
    use from ``day``: the map must follow the scope through time."""
    measure = session.scalars(select(Measure).where(Measure.slug == OREGON)).one()
    session.add(
        Event(
            slug="oregon-ban-widened-test",
            date=day,
            date_precision="day",
            certainty="verified",
            kind="amended",
            actor_id=measure.adopted_by_id,
            measure_id=measure.id,
            title="Oregon widens its ban (test)",
            new_scope="police_use",
        )
    )
    session.commit()


@pytest.mark.parametrize("choice", ["all", "general", "narrow", "body_cameras"])
def test_the_map_reads_each_measure_scope_as_of_its_date(session, choice):
    """A ``new_scope`` changes the measure's shading and whether a scope filter keeps it
    from that day on, not before; the dates between agree with the Python rule."""
    widened = D(2020, 3, 1)
    _widen_oregon(session, widened)
    for day in (D(2019, 1, 1), widened - dt.timedelta(days=1), widened, D(2021, 1, 1)):
        found = maps.map_day(session, _filters(session), day, choice, place="oregon")
        reference = _reference(session, day, choice)
        assert {p.slug for p in found.places} == set(reference), (day, choice)
        oregon = next((p for p in found.places if p.slug == "oregon"), None)
        later = day >= widened
        if choice == "all":
            assert oregon is not None
            assert oregon.measure.slug == OREGON
            assert oregon.measure.scope_class == ("general" if later else "narrow"), day
            assert oregon.measure.scope == (("police_use",) if later else ("body_cameras",)), day
        else:
            shows = {"general": later, "narrow": not later, "body_cameras": not later}[choice]
            assert (oregon is not None) == shows, (day, choice)
    assert widened in maps.change_dates(session, _filters(session), choice)


def test_the_scope_filter_in_sql_is_the_python_rule(session):
    scopes = dict(session.execute(select(Measure.slug, Measure.scope)).all())
    for choice in ("general", "narrow", "body_cameras", "schools", "police_use"):
        condition = maps.scope_condition(choice)
        got = set(session.scalars(select(Measure.slug).where(condition)))
        assert got == {s for s, scope in scopes.items() if mapping.scope_matches(scope, choice)}, choice


# --- over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def client(loaded_app):
    return loaded_app.test_client()


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_is_exactly_what_the_map_shows_on_1_january_2021(client):
    record = client.get("/map.json?as_of=2021-01-01").get_json()
    rows = _csv(client.get("/map.csv?as_of=2021-01-01").get_data(as_text=True))
    assert [(r["place"], r["measure"], r["status"]) for r in rows] == [
        (p["slug"], p["measure"]["slug"], p["measure"]["status"]) for p in record["places"]
    ]
    assert len(rows) == len(record["places"]) > 20
    assert {r["status"] for r in rows} <= set(maps.MAP_LIVE)
    assert not {r["measure_type"] for r in rows} & set(vocab.CORPORATE_MEASURE_TYPES)
    # The page carries the same record and links the CSV with its parameters.
    html = client.get("/map?as_of=2021-01-01").get_data(as_text=True)
    page = json.loads(dict(JSON_BLOCK.findall(html))["map-data"])
    assert page["places"] == record["places"]
    assert 'id="map-csv" href="/map.csv?as_of=2021-01-01"' in html
    scoped = client.get("/map?as_of=2021-01-01&scope=general&technology=face-recognition").get_data(
        as_text=True
    )
    assert 'href="/map.csv?technology=face-recognition&amp;as_of=2021-01-01&amp;scope=general"' in scoped


def test_the_scope_filter_over_http(client):
    general = {
        p["slug"]: p for p in client.get("/map.json?as_of=2021-01-01&scope=general").get_json()["places"]
    }
    narrow = {
        p["slug"]: p for p in client.get("/map.json?as_of=2021-01-01&scope=narrow").get_json()["places"]
    }
    assert "oregon" not in general and "oregon" in narrow
    assert "boston" in general and {p["measure"]["scope_class"] for p in general.values()} == {"general"}
    assert {p["measure"]["scope_class"] for p in narrow.values()} == {"narrow"}
    rows = _csv(client.get("/map.csv?as_of=2021-01-01&scope=body_cameras").get_data(as_text=True))
    assert rows and all("body_cameras" in r["scope"] for r in rows)
    html = client.get("/map?scope=general").get_data(as_text=True)
    assert "Showing only measures that cover government or police use generally." in html
    assert '<option value="general" selected>' in html


def test_the_filter_form_works_without_javascript(client):
    html = client.get(
        "/map?technology=face-recognition&measure_type=ban&as_of=2021-01-01&region=US-MA"
    ).get_data(as_text=True)
    form = html.split('class="map-filters"', 1)[1].split("</form>", 1)[0]
    assert '<form class="map-filters" method="get" action="/map"' in html
    assert '<option value="face-recognition" selected>' in form
    assert '<option value="ban" selected>' in form
    assert '<input type="hidden" name="region" value="US-MA">' in form
    assert 'name="as_of" value="2021-01-01"' in form
    payload = json.loads(dict(JSON_BLOCK.findall(html))["map-data"])
    assert payload["places"] and {p["measure"]["type"] for p in payload["places"]} == {"ban"}


def test_the_panel_asks_for_one_place(client):
    record = client.get("/map.json?as_of=2021-01-01&place=california").get_json()
    ca = next(p for p in record["places"] if p["slug"] == "california")
    assert len(ca["measures"]) == ca["count"] and ca["measures"][0] == ca["measure"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/map?scope=everything", "scope"),
        ("/map.json?scope=general&scope=narrow", "scope"),
        ("/map.csv?scope=", "scope"),
        ("/map.json?place=atlantis", "place"),
        ("/map.json?place=Not%20a%20slug", "place"),
        ("/map.json?place=amazon", "place"),
        ("/map.json?view=us", "view"),
        ("/map.csv?place=boston", "place"),
        ("/map?bom=1", "bom"),
        ("/map.json?as_of=2021-02-30", "as_of"),
        ("/map.csv?sort=title", "sort"),
        ("/map.json?technology=", "technology"),
    ],
)
def test_bad_map_parameters_are_400s_naming_them(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400, url
    assert parameter in response.get_data(as_text=True)


def test_openapi_describes_the_maps_json_and_csv(client):
    spec = client.get("/openapi.json").get_json()
    for path in ("/map.json", "/map.csv"):
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert {"scope", "as_of", "technology", "measure_type"} <= set(params)
        assert (
            "general" in params["scope"]["schema"]["enum"] and "schools" in params["scope"]["schema"]["enum"]
        )
    assert "place" in {p["name"] for p in spec["paths"]["/map.json"]["get"]["parameters"]}
