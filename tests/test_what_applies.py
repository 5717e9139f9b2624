"""What applies in a place (issue 12, item 4): a place's page and its JSON list, for any
``as_of``, every measure in force or pending there and in every place above it, with its
status on that date, the level it comes from and its strongest source. On the real data,
on both engines; the home page's form and the map's place list lead there."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest

from tracker.core import vocab
from tracker.extensions import db
from tracker.read import details

LIVE = ("in_effect", "adopted", "passed", "pending")


def _applies(client, slug: str, as_of: str) -> list[dict]:
    response = client.get(f"/actors/{slug}.json?as_of={as_of}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["applies"]


def _html_rows(client, url: str) -> list[tuple[str, str, str]]:
    """(measure, level, status) of each row of the page's "what applies here" section."""
    html = client.get(url).get_data(as_text=True)
    return re.findall(r'<li data-measure="([^"]+)" data-level="([^"]+)" data-status="([^"]+)">', html)


def test_boston_on_1_january_2021_has_its_ban_and_the_massachusetts_rules(shared_client):
    rows = {a["measure"]["slug"]: a for a in _applies(shared_client, "boston", "2021-01-01")}
    ban = rows["boston-face-surveillance-ban-2020"]
    assert ban["status"] == "in_effect"
    assert ban["since"] == "2020-06-24"
    assert (ban["level"]["slug"], ban["level"]["depth"], ban["level"]["label"]) == ("boston", 0, "city level")
    rules = rows["massachusetts-police-reform-face-recognition-rules-2020"]
    assert rules["status"] == "in_effect"  # signed on 31 December 2020
    assert (rules["level"]["slug"], rules["level"]["depth"], rules["level"]["label"]) == (
        "massachusetts",
        1,
        "state level",
    )
    # The statewide ban the governor refused is not in force nor pending: it is not listed.
    assert "massachusetts-face-recognition-ban-proposal-2020" not in rows
    # The page shows the same rows, in the same order, as its JSON.
    json_rows = [
        (a["measure"]["slug"], a["level"]["slug"], a["status"])
        for a in _applies(shared_client, "boston", "2021-01-01")
    ]
    assert _html_rows(shared_client, "/actors/boston?as_of=2021-01-01") == json_rows
    html = shared_client.get("/actors/boston?as_of=2021-01-01").get_data(as_text=True)
    assert "What applies here on 1 January 2021" in html


def test_before_the_ban_boston_has_nothing_of_its_own(shared_client):
    rows = _applies(shared_client, "boston", "2020-06-01")
    assert "boston-face-surveillance-ban-2020" not in {a["measure"]["slug"] for a in rows}
    assert not [a for a in rows if a["level"]["depth"] == 0]
    html = shared_client.get("/actors/boston?as_of=2020-06-01").get_data(as_text=True)
    assert "Nothing in force or pending at this level" in html


def test_a_citys_list_includes_its_states_and_countrys_measures(shared_client):
    """Each level's rows are what that level's own page lists at depth 0, and what the
    measures list says of that place on that date: one answer, not a second derivation."""
    data = shared_client.get("/actors/boston.json?as_of=2021-01-01").get_json()
    assert [lv["slug"] for lv in data["levels"]] == ["boston", "massachusetts", "united-states"]
    by_level: dict[str, set[str]] = {}
    for a in data["applies"]:
        by_level.setdefault(a["level"]["slug"], set()).add(a["measure"]["slug"])
    assert by_level.keys() == {"boston", "massachusetts", "united-states"}  # every level has some
    assert "justice-in-policing-act-2020" in by_level["united-states"]  # pending until 3 January 2021
    for level in data["levels"]:
        own = {
            a["measure"]["slug"]
            for a in _applies(shared_client, level["slug"], "2021-01-01")
            if a["level"]["depth"] == 0
        }
        assert own == by_level.get(level["slug"], set()), level["slug"]
        query = "&".join(f"status={s}" for s in LIVE)
        listed = shared_client.get(
            f"/measures.json?actor={level['slug']}&as_of=2021-01-01&{query}&per_page=500"
        ).get_json()["items"]
        at_place = {
            m["slug"]
            for m in listed
            if (m["jurisdiction"] or {}).get("slug", m["adopted_by"]["slug"]) == level["slug"]
        }
        assert own == at_place, level["slug"]


def test_statuses_are_those_of_the_measures_own_pages(shared_client):
    for slug, on in (("boston", "2021-01-01"), ("san-francisco", "2019-06-01"), ("oakland", "2024-01-01")):
        for a in _applies(shared_client, slug, on):
            measure = shared_client.get(f"/measures/{a['measure']['slug']}.json?as_of={on}").get_json()
            assert measure["status"] == a["status"] in LIVE
            current = [
                p for p in measure["history"] if p["start"] <= on and (p["end"] is None or on < p["end"])
            ]
            assert [p["start"] for p in current] == [a["since"]]


def test_the_source_given_is_the_strongest_of_the_steps_up_to_the_date(shared_loaded_app):
    """The event pages order evidence strongest first: the source given beats or equals the
    first citation of every event of the measure dated on or before the date."""
    on = dt.date(2021, 1, 1)
    with shared_loaded_app.app_context():
        d = details.actor_detail(db.session, "boston", on)
        assert d.applies
        for a in d.applies:
            cited = [c for e in a.measure.events if e.date <= on for c in e.citations]
            if not cited:
                assert a.citation is None
                continue
            assert a.citation is not None and a.citation.event.date <= on
            strengths = [vocab.evidence_strength(c.source.kind, c.role, c.quote) for c in cited]
            chosen = vocab.evidence_strength(a.citation.source.kind, a.citation.role, a.citation.quote)
            assert chosen == min(strengths), a.measure.slug


def test_a_place_in_an_eu_member_state_gets_the_eus_measures(shared_client):
    data = shared_client.get("/actors/hamburg.json?as_of=2025-01-01").get_json()
    assert [lv["slug"] for lv in data["levels"]] == ["hamburg", "germany", "european-union"]
    eu = [a for a in data["applies"] if a["level"]["slug"] == "european-union"]
    assert "eu-artificial-intelligence-act" in {a["measure"]["slug"] for a in eu}
    assert {a["level"]["label"] for a in eu} == {"EU level"}
    # Outside the EU, nothing of the EU applies.
    assert "european-union" not in [
        lv["slug"] for lv in shared_client.get("/actors/boston.json").get_json()["levels"]
    ]


def test_actors_that_are_not_places_have_no_such_list(shared_client):
    data = shared_client.get("/actors/amazon.json?as_of=2021-01-01").get_json()
    assert data["levels"] == [] and data["applies"] == []
    assert 'id="h-applies"' not in shared_client.get("/actors/amazon").get_data(as_text=True)


def test_the_pages_date_field_may_be_left_empty_but_the_json_refuses_it(shared_client):
    assert shared_client.get("/actors/boston?as_of=").status_code == 200
    for url in ("/actors/boston.json?as_of=", "/actors/boston?as_of=2021-02-30", "/actors/boston?on=2021"):
        response = shared_client.get(url)
        assert response.status_code == 400, url
        assert ("as_of" if "as_of" in url else "on") in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("place=boston&as_of=2021-01-01", "/actors/boston?as_of=2021-01-01"),
        ("place=boston&as_of=2021", "/actors/boston?as_of=2021-01-01"),
        ("place=boston&as_of=", "/actors/boston"),
        ("place=Boston", "/actors/boston"),
        ("place=commonwealth+of+massachusetts", "/actors/massachusetts"),
        ("place=Hamburg&as_of=2025-01-01", "/actors/hamburg?as_of=2025-01-01"),
    ],
)
def test_the_home_pages_form_leads_to_the_places_page(shared_client, query, target):
    response = shared_client.get(f"/what-applies?{query}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path + (f"?{location.query}" if location.query else "") == target
    assert location.fragment == "h-applies"


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("place=nowhere-at-all", 404, "no place called"),
        ("place=Springfield", 400, "springfield-massachusetts"),
        ("place=", 400, "choose a place"),
        ("place=boston-city-council", 400, "not a place"),
        ("place=boston&place=oakland", 400, "once"),
        ("place=boston&as_of=2021-13-01", 400, "as_of"),
        ("place=boston&date=2021", 400, "date"),
    ],
)
def test_the_form_says_what_is_wrong(shared_client, query, status, says):
    response = shared_client.get(f"/what-applies?{query}")
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert says in body
    assert "place" in body or "as_of" in body or "date" in body


def test_without_a_place_the_address_leads_to_the_form(shared_client):
    response = shared_client.get("/what-applies")
    assert response.status_code == 302
    assert response.headers["Location"] == "/#h-what-applies"


def test_the_home_page_offers_every_place_without_javascript(shared_client):
    html = shared_client.get("/").get_data(as_text=True)
    form = html.split('class="place-form"', 1)[1].split("</form>", 1)[0]
    assert 'action="/what-applies"' in form and 'method="get"' in form
    assert '<option value="boston">Boston, Massachusetts</option>' in form
    assert '<option value="springfield-oregon">Springfield, Oregon</option>' in form
    assert "<script" not in form


def test_the_maps_place_list_leads_to_each_place_on_its_date(shared_client):
    html = shared_client.get("/map?as_of=2021-01-01").get_data(as_text=True)
    assert 'href="/actors/boston?as_of=2021-01-01#h-applies"' in html
    assert 'href="/actors/massachusetts?as_of=2021-01-01#h-applies"' in html


def test_without_a_date_the_page_is_todays_and_its_tag_changes_with_the_date(loaded_app, monkeypatch):
    """The page without as_of depends on the date: its ETag and the shared response cache
    key on it (tracker.web.caching), so yesterday's answer is not served today."""
    client = loaded_app.test_client()
    days = iter([dt.date(2020, 6, 1), dt.date(2021, 1, 1)])
    answers = []
    for day in days:
        monkeypatch.setattr("tracker.web.caching.today", lambda day=day: day)
        monkeypatch.setattr("tracker.read.filters.today", lambda day=day: day)
        first = client.get("/actors/boston.json")
        again = client.get("/actors/boston.json")  # from the shared cache
        assert first.get_json() == again.get_json()
        answers.append((first.headers["ETag"], first.get_json()))
    (tag_before, before), (tag_after, after) = answers
    assert tag_before != tag_after
    assert before["as_of"] == "2020-06-01" and after["as_of"] == "2021-01-01"
    assert "boston-face-surveillance-ban-2020" not in {a["measure"]["slug"] for a in before["applies"]}
    assert "boston-face-surveillance-ban-2020" in {a["measure"]["slug"] for a in after["applies"]}
