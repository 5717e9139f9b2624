"""What changed when (issue 12, item 5): /changes-in?from=...&to=... (and .json, .csv)
groups the measures that were introduced, passed, adopted, took effect, expired, were
repealed, failed, were struck down or replaced in a period, from the stored status periods.
On the real data, on both engines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from tracker.core import status
from tracker.db.models import Measure
from tracker.extensions import db
from tracker.read import transitions

SF = "san-francisco-face-recognition-ban-2019"


def _json(client, query: str) -> dict:
    response = client.get(f"/changes-in.json?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _triples_json(data: dict) -> list[tuple[str, str, str]]:
    return [(c["change"], c["measure"]["slug"], c["date"]) for g in data["groups"] for c in g["items"]]


def _triples_html(client, query: str) -> list[tuple[str, str, str]]:
    html = client.get(f"/changes-in?{query}").get_data(as_text=True)
    return re.findall(r'<li data-change="([^"]+)" data-measure="([^"]+)" data-date="([^"]+)">', html)


def _csv_rows(client, query: str) -> list[dict]:
    response = client.get(f"/changes-in.csv?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_san_francisco_was_adopted_and_took_effect_in_2019_as_status_py_derives(shared_loaded_app):
    client = shared_loaded_app.test_client()
    data = _json(client, "from=2019-01-01&to=2019-12-31")
    groups = {g["change"]: g for g in data["groups"]}
    assert [g["change"] for g in data["groups"]] == list(transitions.CHANGE_CODES)
    adopted = {c["measure"]["slug"]: c for c in groups["adopted"]["items"]}
    took_effect = {c["measure"]["slug"]: c for c in groups["took_effect"]["items"]}
    assert SF in adopted and SF in took_effect
    assert groups["adopted"]["count"] == len(groups["adopted"]["items"]) == data["counts"]["adopted"]
    # The day is the one core.status derives from the ban's events (its final vote; the
    # first reading of 14 May left it pending).
    with shared_loaded_app.app_context():
        m = db.session.scalars(select(Measure).where(Measure.slug == SF)).one()
        steps = [status.Step(e.date, e.kind, e.new_sunset, e.date_precision) for e in m.events]
        periods = status.lifecycle(steps, m.sunset, m.session_end)
    first_in_force = status.first_in_force(periods)
    assert first_in_force == dt.date(2019, 5, 21)
    assert adopted[SF]["date"] == took_effect[SF]["date"] == first_in_force.isoformat()
    assert adopted[SF]["status_before"] == "pending" and adopted[SF]["status"] == "in_effect"
    assert (
        adopted[SF]["event"]["slug"] == "san-francisco-board-gives-final-approval-to-surveillance-ordinance"
    )
    assert adopted[SF]["place"]["slug"] == "san-francisco" and adopted[SF]["level"] == "city level"
    # Not adopted again in 2020.
    later = _json(client, "from=2020&to=2020")
    assert SF not in {c["measure"]["slug"] for g in later["groups"] for c in g["items"]}


def test_every_change_is_the_start_of_a_period_of_its_measure(shared_client):
    """Over the whole record: each change is a stored period that starts that day with that
    status (the measure's own page shows its history), and every period starting in the
    range with a status that is a change is listed."""
    data = _json(shared_client, "from=1900&to=2100")
    listed = {
        (c["measure"]["slug"], c["date"], c["status"]) for c in _changes(data) if c["change"] != "introduced"
    }
    history: dict[str, list[dict]] = {}
    for slug in {s for s, _, _ in listed}:
        history[slug] = shared_client.get(f"/measures/{slug}.json").get_json()["history"]
        for _, day, state in [t for t in listed if t[0] == slug]:
            assert {"status": state, "start": day} in [
                {"status": p["status"], "start": p["start"]} for p in history[slug]
            ]
    everything = shared_client.get("/measures.json?per_page=500").get_json()["items"]
    for m in everything:
        periods = (
            history.get(m["slug"]) or shared_client.get(f"/measures/{m['slug']}.json").get_json()["history"]
        )
        for p in periods:
            if p["status"] != "pending":
                assert (m["slug"], p["start"], p["status"]) in listed, (m["slug"], p)


def _changes(data: dict) -> list[dict]:
    return [c for g in data["groups"] for c in g["items"]]


def test_introductions_and_failures_at_the_end_of_a_session(shared_client):
    introduced = _json(shared_client, "from=2020&to=2020")["groups"][0]
    assert introduced["change"] == "introduced"
    slugs = {c["measure"]["slug"]: c for c in introduced["items"]}
    assert slugs["justice-in-policing-act-2020"]["date"] == "2020-06-08"
    assert slugs["justice-in-policing-act-2020"]["event"]["kind"] == "introduced"
    failed = {
        c["measure"]["slug"]: c for c in _json(shared_client, "from=2021-01&to=2021-01")["groups"][6]["items"]
    }
    bill = failed["justice-in-policing-act-2020"]
    assert bill["date"] == "2021-01-04"  # the 116th Congress ended on 3 January 2021
    assert bill["event"] is None and "116th Congress" in bill["note"]


@pytest.mark.parametrize(
    "query",
    [
        "from=2019-01-01&to=2019-12-31",
        "from=2020&to=2021&measure_type=ban",
        "from=2015&to=2026&actor=massachusetts",
        "from=2021&technology=face-recognition&level=city&level=county",
        "from=2019&to=2023&level=region",
        "from=2018&to=2026&q=police",
    ],
)
def test_json_csv_and_page_show_the_same_changes(shared_client, query):
    data = _json(shared_client, query)
    triples = _triples_json(data)
    assert triples == _triples_html(shared_client, query)
    rows = _csv_rows(shared_client, query)
    assert [(r["change"], r["measure"], r["date"]) for r in rows] == triples
    assert data["total"] == len(triples) == sum(data["counts"].values())
    html = shared_client.get(f"/changes-in?{query}").get_data(as_text=True)
    for g in data["groups"]:
        assert f'data-change="{g["change"]}" data-count="{g["count"]}"' in html
    # Each row of the CSV flattens its JSON record.
    for row, change in zip(rows, _changes(data), strict=True):
        assert row["measure_title"] == change["measure"]["title"]
        assert row["date_label"] == change["date_label"]
        assert row["level"] == (change["level"] or "")


def test_the_filters_select_what_the_measures_list_selects(shared_client):
    for query in ("measure_type=ban", "actor=massachusetts", "technology=alpr", "country=EU"):
        changed = {c["measure"]["slug"] for c in _changes(_json(shared_client, f"from=1900&to=2100&{query}"))}
        listed = {
            m["slug"] for m in shared_client.get(f"/measures.json?{query}&per_page=500").get_json()["items"]
        }
        assert changed and changed <= listed, query
    bans = _changes(_json(shared_client, "from=2019&to=2020&measure_type=ban"))
    assert bans and {c["measure"]["measure_type"] for c in bans} == {"ban"}
    cities = _changes(_json(shared_client, "from=2019&to=2020&level=city"))
    assert cities and {c["place"]["slug"] for c in cities} >= {"san-francisco", "boston"}
    assert {c["level"] for c in cities} == {"city level"}
    states = _changes(_json(shared_client, "from=2019&to=2019&level=region"))
    assert {c["place"]["slug"] for c in states} == {"california"}


def test_partial_dates_and_defaults(shared_client):
    def slugs(query):
        return {c["measure"]["slug"] for c in _changes(_json(shared_client, query))}

    assert SF in slugs("from=2019-05&to=2019-05")
    assert SF not in slugs("from=2019-06&to=2019-12")
    assert SF not in slugs("from=2019-05-22&to=2019-05-31")
    data = _json(shared_client, "from=2019")
    assert (data["from"], data["to"]) == ("2019-01-01", "2019-12-31")
    data = _json(shared_client, "to=2019-06")
    assert (data["from"], data["to"]) == ("2019-01-01", "2019-06-30")
    data = _json(shared_client, "")
    year = dt.datetime.now(dt.UTC).year
    assert (data["from"], data["to"]) == (f"{year}-01-01", f"{year}-12-31")
    assert data["caption"] == f"measures, {year}"


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/changes-in?from=2019-13", "from"),
        ("/changes-in.json?from=2019-02-30", "from"),
        ("/changes-in.json?to=soon", "to"),
        ("/changes-in.json?from=2022&to=2021", "from"),
        ("/changes-in.json?from=1899", "from"),
        ("/changes-in.json?from=٢٠١٩", "from"),
        ("/changes-in.json?from=2019&from=2020", "from"),
        ("/changes-in.json?from=", "from"),
        ("/changes-in.csv?to=", "to"),
        ("/changes-in.json?level=town", "level"),
        ("/changes-in.json?level=", "level"),
        ("/changes-in.json?measure_type=nope", "measure_type"),
        ("/changes-in.json?technology=nope", "technology"),
        ("/changes-in.json?actor=Atlantis", "actor"),
        ("/changes-in.json?country=USA", "country"),
        ("/changes-in.json?status=in_effect", "status"),
        ("/changes-in.json?as_of=2021", "as_of"),
        ("/changes-in.json?date_from=2021", "date_from"),
        ("/changes-in.json?sort=title", "sort"),
        ("/changes-in.json?page=2", "page"),
        ("/changes-in.json?bom=1", "bom"),
        ("/changes-in?bom=1", "bom"),
        ("/changes-in.csv?bom=2", "bom"),
        ("/changes-in.json?year=2021", "year"),
        ("/year/2021?from=2020", "from"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(shared_client, url, parameter):
    response = shared_client.get(url)
    assert response.status_code == 400, url
    if url.split("?")[0].endswith(".json"):
        assert response.get_json()["error"]["parameter"] == parameter
    else:
        assert parameter in response.get_data(as_text=True)


def test_the_pages_form_fields_may_be_left_empty(shared_client):
    response = shared_client.get("/changes-in?from=&to=&q=")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("/year/2019", "/changes-in?from=2019&to=2019"),
        (
            "/year/2021?measure_type=ban&level=city",
            "/changes-in?from=2021&to=2021&measure_type=ban&level=city",
        ),
    ],
)
def test_year_is_an_alias(shared_client, url, target):
    response = shared_client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("url", ["/year/19", "/year/1800", "/year/2101", "/year/２０１９", "/year/twenty"])
def test_a_year_that_is_no_year_is_a_404(shared_client, url):
    assert shared_client.get(url).status_code == 404


def test_whole_years_link_to_the_next_and_previous_and_the_timeline_links_here(shared_client):
    html = shared_client.get("/changes-in?from=2020&to=2020&measure_type=ban").get_data(as_text=True)
    assert 'href="/changes-in?from=2019&amp;to=2019&amp;measure_type=ban"' in html
    assert 'href="/changes-in?from=2021&amp;to=2021&amp;measure_type=ban"' in html
    timeline = shared_client.get("/timeline?technology=face-recognition&kind=adopted").get_data(as_text=True)
    assert 'href="/changes-in?technology=face-recognition&amp;from=2019&amp;to=2019"' in timeline
    assert "kind=adopted" not in timeline.split('class="years"', 1)[1].split("</nav>", 1)[0]


def test_the_csv_is_safe_for_excel(loaded_app):
    with loaded_app.app_context():
        m = db.session.scalars(select(Measure).where(Measure.slug == SF)).one()
        m.title = '=HYPERLINK("http://evil.example/","Click")'
        db.session.commit()
    client = loaded_app.test_client()
    body = client.get("/changes-in.csv?from=2019&to=2019").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body and '"=HYPERLINK' not in body
    excel = client.get("/changes-in.csv?from=2019&to=2019&bom=1")
    assert excel.get_data().startswith("\ufeff".encode())
    assert 'filename="changes-in-measures-2019-' in excel.headers["Content-Disposition"]


def test_without_a_period_the_page_is_the_current_years_and_its_tag_follows_the_date(loaded_app, monkeypatch):
    client = loaded_app.test_client()
    answers = []
    for day in (dt.date(2019, 12, 31), dt.date(2020, 1, 1)):
        monkeypatch.setattr("tracker.web.caching.today", lambda day=day: day)
        monkeypatch.setattr("tracker.read.transitions.today", lambda day=day: day)
        first = client.get("/changes-in.json")
        again = client.get("/changes-in.json")  # from the shared response cache
        assert first.get_json() == again.get_json()
        answers.append((first.headers["ETag"], first.get_json()))
    (tag_2019, in_2019), (tag_2020, in_2020) = answers
    assert tag_2019 != tag_2020
    assert (in_2019["from"], in_2020["from"]) == ("2019-01-01", "2020-01-01")
    assert SF in {c["measure"]["slug"] for c in _changes(in_2019)}
    assert SF not in {c["measure"]["slug"] for c in _changes(in_2020)}


def test_an_edit_changes_the_answer(loaded_app):
    """The answer is kept per data version: an edit that moves the final vote moves the change."""
    client = loaded_app.test_client()
    assert SF in {c["measure"]["slug"] for c in _changes(_json(client, "from=2019&to=2019"))}
    with loaded_app.app_context():
        m = db.session.scalars(select(Measure).where(Measure.slug == SF)).one()
        for e in m.events:
            if e.kind in ("adopted", "first_reading"):
                e.date = e.date.replace(year=2020)
        db.session.commit()
    assert SF not in {c["measure"]["slug"] for c in _changes(_json(client, "from=2019&to=2019"))}
    assert SF in {c["measure"]["slug"] for c in _changes(_json(client, "from=2020&to=2020"))}


def test_the_form_offers_checkboxes_and_keeps_what_was_ticked(shared_client):
    """Repeatable filters are checkboxes (no Ctrl-click), as on the lists."""
    url = "/changes-in?from=2019&to=2019&measure_type=ban&level=city"
    html = shared_client.get(url).get_data(as_text=True)
    assert "<select" not in html
    assert 'name="measure_type" value="ban" checked' in html
    assert 'name="level" value="city" checked' in html
    assert 'name="measure_type" value="moratorium"' in html and 'value="moratorium" checked' not in html
