"""The lists' filter form on the real data (both engines): technology, place and region in
the form reach the same rows as the JSON API; checkboxes, not multi-selects; results before
the form; and the small text defects the tester found stay fixed."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from .test_views_browse import all_json_pages, html_slugs


def _form(html: str) -> str:
    return html.split('<form class="filters"', 1)[1].split("</form>", 1)[0]


def _text(html: str) -> str:
    """The page's text as a reader sees it (tags removed, spaces collapsed)."""
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("path", ["/events", "/measures"])
def test_the_form_offers_technology_place_and_region_as_checkboxes_and_a_place_field(shared_client, path):
    html = shared_client.get(path).get_data(as_text=True)
    form = _form(html)
    assert "<select" not in form.replace('<select name="sort">', ""), "a multi-select is left"
    assert "multiple" not in form
    assert 'type="checkbox" name="technology" value="face-recognition"' in form
    assert 'type="checkbox" name="region" value="US-OR"' in form
    assert 'type="checkbox" name="status" value="in_effect"' in form
    assert 'type="checkbox" name="measure_type" value="ban"' in form
    assert re.search(r'<input type="text" name="actor" value="" list="actor-choices"', form)
    # Suggestions are names a reader types, each of which the filters resolve alone.
    assert '<option value="Portland, Maine"></option>' in form
    assert '<option value="Portland, Oregon"></option>' in form
    # Readable date hints, not a cut-off pattern.
    assert "2021, 2021-05 or 2021-05-21" in form
    assert "YYYY[" not in html


def test_sources_take_no_place_or_technology_and_actors_no_technology(shared_client):
    sources = _form(shared_client.get("/sources").get_data(as_text=True))
    assert (
        'name="actor"' not in sources
        and 'name="technology"' not in sources
        and 'name="region"' not in sources
    )
    assert 'type="checkbox" name="kind"' in sources
    actors = _form(shared_client.get("/actors").get_data(as_text=True))
    assert 'name="actor"' in actors and 'name="region"' in actors and 'name="technology"' not in actors


def test_a_chosen_value_is_checked_and_its_group_open(shared_client):
    form = _form(shared_client.get("/events?technology=drones&region=US-CA").get_data(as_text=True))
    assert 'name="technology" value="drones" checked' in form
    assert 'name="region" value="US-CA" checked' in form
    assert 'name="technology" value="face-recognition" checked' not in form
    assert form.count('<details class="choices" open>') == 2


def test_every_place_suggestion_resolves_to_its_own_actor(shared_loaded_app):
    """The datalist's values are the texts the place field sends: each must name one actor
    (else the next search is a 400), and a slug is offered only where a name is shared."""
    from tracker.extensions import db
    from tracker.read.choices import form_choices
    from tracker.read.filters import resolve_actors

    with shared_loaded_app.app_context():
        choices = form_choices(db.session)
        texts = tuple(text for text, _ in choices.actors)
        resolved = resolve_actors(db.session, texts)
    assert len(set(texts)) == len(texts) > 200
    assert [slug for slug, _ in resolved] == [
        next(s for s, t in choices.actor_texts.items() if t == text) for text in texts
    ]
    # Most actors are offered by name; the ambiguous ones keep their slug.
    named = sum(1 for text, label in choices.actors if text == label)
    assert named > 0.9 * len(texts)


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("actor=portland-oregon", "Portland, Oregon"),
        ("actor=Portland%2C+Maine", "Portland, Maine"),
        ("actor=boston&actor=massachusetts", "Boston, Massachusetts"),
    ],
)
def test_after_a_search_the_place_field_shows_the_place_by_name(shared_client, query, shown):
    form = _form(shared_client.get(f"/events?{query}").get_data(as_text=True))
    values = re.findall(r'<input type="text" name="actor" value="([^"]*)"', form)
    assert html_lib.unescape(values[0]) == shown
    assert not any(re.fullmatch(r"[a-z0-9-]+", v) for v in values), values


@pytest.mark.parametrize("path", ["/events", "/measures", "/actors"])
def test_a_region_outside_the_us_is_named_alike_in_the_form_the_facets_and_the_caption(shared_client, path):
    html = shared_client.get(f"{path}?region=DE-HH").get_data(as_text=True)
    form = _form(html)
    label = re.search(r'name="region" value="DE-HH" checked>\s*([^<]+)<', form)
    assert label and label.group(1).strip() == "Hamburg", form
    caption = html.split('<p class="caption">', 1)[1].split("</p>", 1)[0]
    assert re.search(r"(in|within) Hamburg", _text(caption)), caption
    england = shared_client.get(f"{path}?region=GB-ENG").get_data(as_text=True)
    facets = england.split('<form class="filters"', 1)[1]
    assert "England" in _text(facets) and ">GB-ENG<" not in facets
    assert shared_client.get(f"{path}.json?region=GB-ENG").get_json()["caption"].endswith("England")


def test_an_actor_page_names_its_country_and_region(shared_client):
    page = _text(shared_client.get("/actors/hamburg-data-protection-commissioner").get_data(as_text=True))
    assert "Germany · Hamburg (DE · DE-HH)" in page
    listing = _text(shared_client.get("/actors?region=US-MA").get_data(as_text=True))
    assert "United States · Massachusetts" in listing


def test_results_come_before_the_form_with_a_link_to_it(shared_client):
    html = shared_client.get("/events").get_data(as_text=True)
    link = html.index('href="#filters"')
    results = html.index('id="results"')
    assert link < results < html.index('<form class="filters"') < html.index('id="filters"') + 200
    assert html.index('id="filters"') > results


# What a browser sends from the form: every text field, empty ones too.
FORM = "q=&as_of=&date_from=&date_to=&sort=-date"


@pytest.mark.parametrize(
    ("path", "detail", "chosen", "api"),
    [
        ("/events", "events", "technology=face-recognition&actor=massachusetts", None),
        ("/events", "events", "technology=drones&technology=alpr&region=US-CA", None),
        ("/measures", "measures", "region=US-OR&region=US-ME&technology=face-recognition", None),
        ("/measures", "measures", "actor=Portland%2C+Maine", "actor=portland-maine"),
        ("/events", "events", "actor=oregon&region=US-OR&measure_type=ban", None),
    ],
)
def test_the_form_reaches_the_same_rows_as_the_json_api(shared_client, path, detail, chosen, api):
    query = f"{FORM}&{chosen}" if path != "/actors" else chosen
    html = html_slugs(shared_client, path, query, detail)
    json = [i["slug"] for i in all_json_pages(shared_client, path, f"{api or chosen}&sort=-date")]
    assert html == json
    assert html, "the filter should find rows in the data"


def test_the_place_field_left_empty_is_no_filter_on_the_page_but_a_400_in_the_api(shared_client):
    every = shared_client.get("/events.json").get_json()["total"]
    page = shared_client.get(f"/events?{FORM}&actor=").get_data(as_text=True)
    assert f'<p class="caption">{every} events</p>' in page
    response = shared_client.get("/events.json?actor=")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "actor"


def test_an_actor_can_be_named_as_a_reader_writes_it(shared_client):
    by_slug = shared_client.get("/events.json?actor=portland-oregon&per_page=500").get_json()
    for name in ("Portland, Oregon", "portland, oregon"):
        by_name = shared_client.get("/events.json", query_string={"actor": name, "per_page": 500}).get_json()
        assert [i["slug"] for i in by_name["items"]] == [i["slug"] for i in by_slug["items"]]
        assert by_name["filters"]["actor"] == ["portland-oregon"]
        assert by_name["links"]["self"].count("actor=portland-oregon") == 1
    assert by_slug["caption"] == "events in Portland, Oregon"


@pytest.mark.parametrize(
    ("url", "parameter", "says"),
    [
        ("/events.json?actor=Portland", "actor", "portland-maine"),
        ("/events?actor=Portland", "actor", "portland-oregon"),
        ("/measures.csv?actor=Atlantis", "actor", "Atlantis"),
        ("/events?actor=" + "x" * 301, "actor", "longer"),
        ("/events?region=Oregon", "region", "ISO code"),
        ("/events.json?region=US-OR&region=oregon", "region", "ISO code"),
        ("/measures?technology=teleportation", "technology", "unknown technology"),
        ("/measures.json?technology=Face+recognition", "technology", "not a slug"),
        ("/sources?technology=drones", "technology", "unknown parameter"),
        ("/sources.json?region=US-OR", "region", "unknown parameter"),
    ],
)
def test_a_bad_value_of_a_form_field_is_a_400_naming_it(shared_client, url, parameter, says):
    response = shared_client.get(url)
    assert response.status_code == 400, url
    if ".json" in url:
        error = response.get_json()["error"]
        assert error["parameter"] == parameter and says in error["message"]
    else:
        body = html_lib.unescape(response.get_data(as_text=True))
        named = f"{parameter}:" if ".csv" in url else f"<strong>{parameter}</strong>"
        assert named in body and says in body


# --- the text defects, on the real data ------------------------------------------------------


def test_the_methodology_names_each_term_once_then_its_code(shared_client):
    text = _text(shared_client.get("/methodology").get_data(as_text=True))
    assert "proposed Proposed" not in text
    assert "in_effect In effect" not in text
    assert "Proposed The measure" in text or "Proposed " in text
    assert "Code: proposed" in text


def test_places_with_the_same_name_are_told_apart_wherever_they_are_printed(shared_client):
    events = shared_client.get("/events?region=US-OR&region=US-ME&per_page=100").get_data(as_text=True)
    # Each row's actor and place, before the link to its measure (whose title is data).
    contexts = [
        _text(c.split("<a ", 1)[0]) for c in re.findall(r'<div class="context">(.*?)</div>', events, re.S)
    ]
    assert any("Portland, Maine" in c for c in contexts) and any("Portland, Oregon" in c for c in contexts)
    assert not any(re.search(r"Portland(?!, (Maine|Oregon)| City Council)", c) for c in contexts), contexts
    actors = _text(shared_client.get("/actors?q=springfield").get_data(as_text=True))
    assert "Springfield, Massachusetts" in actors and "Springfield, Oregon" in actors
    page = shared_client.get("/actors/portland-maine").get_data(as_text=True)
    assert "<h1>Portland, Maine</h1>" in page and "<title>Portland, Maine ·" in page
    measure = _text(
        shared_client.get("/measures/portland-oregon-face-recognition-private-ban-2020").get_data(
            as_text=True
        )
    )
    assert "Portland, Oregon" in measure
    caption = shared_client.get("/measures.json?actor=portland-maine").get_json()["caption"]
    assert caption == "measures in Portland, Maine"
    assert "<title>Measures in Portland, Maine ·" in shared_client.get(
        "/measures?actor=portland-maine"
    ).get_data(as_text=True)


def test_a_publisher_with_brackets_is_not_put_in_more_brackets(shared_client):
    html = shared_client.get("/events/amazon-announces-rekognition-police-moratorium").get_data(as_text=True)
    text = _text(html)
    assert "(American Civil Liberties Union (ACLU)" not in text
    assert "— American Civil Liberties Union (ACLU), 10 June 2020" in text
    for meta in re.findall(r'<span class="source-meta">(.*?)</span>', html):
        assert not meta.startswith("(") and " ," not in meta, meta
