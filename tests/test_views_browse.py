"""The public lists and detail pages on the real data: HTML, JSON and CSV agree, filters
answer the researchers' questions, and bad input is a 4xx naming the parameter."""

from __future__ import annotations

import csv
import io
import re

import pytest

ACLU = "aclu-statement-amazon-face-recognition-moratorium"


def all_json_pages(client, path: str, query: str) -> list[dict]:
    items, url = [], f"{path}.json?{query}"
    while url:
        data = client.get(url).get_json()
        items.extend(data["items"])
        url = data["links"]["next"]
        if url:
            url = url.replace("http://localhost", "")
    return items


def csv_rows(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def html_slugs(client, path: str, query: str, detail: str) -> list[str]:
    slugs, page = [], 1
    while True:
        response = client.get(f"{path}?{query}&page={page}")
        if response.status_code == 404:
            break
        assert response.status_code == 200
        found = re.findall(rf'class="title" href="/{detail}/([a-z0-9-]+)"', response.get_data(as_text=True))
        slugs.extend(found)
        if 'rel="next"' not in response.get_data(as_text=True):
            break
        page += 1
    return slugs


@pytest.mark.parametrize(
    "path,query",
    [
        ("/events", "per_page=7"),
        ("/events", "per_page=5&kind=adopted&kind=repealed&sort=date"),
        ("/events", "per_page=3&q=face+recognition&country=US"),
        ("/measures", "per_page=4&status=in_effect&as_of=2021-01-01&sort=title"),
        ("/sources", "per_page=20&kind=news_article"),
        ("/actors", "per_page=10&actor=united-states"),
    ],
)
def test_html_json_and_csv_have_the_same_rows_in_the_same_order(shared_client, path, query):
    json_slugs = [i["slug"] for i in all_json_pages(shared_client, path, query)]
    csv_slugs = [r["slug"] for r in csv_rows(shared_client, f"{path}.csv?{query}")]
    html = html_slugs(shared_client, path, query, path.strip("/"))
    assert json_slugs, "the query should match something"
    assert json_slugs == csv_slugs == html


def test_json_list_shape(shared_client):
    data = shared_client.get("/events.json?per_page=2&kind=adopted").get_json()
    assert set(data) == {"items", "total", "page", "per_page", "links", "filters", "caption"}
    assert data["page"] == 1 and data["per_page"] == 2 and data["total"] > 2
    assert data["links"]["next"].endswith("/events.json?kind=adopted&page=2&per_page=2")
    assert data["links"]["prev"] is None
    assert data["links"]["csv"].endswith("/events.csv?kind=adopted")
    assert data["filters"]["kind"] == ["adopted"]
    item = data["items"][0]
    assert {"date", "date_precision", "date_label", "citations", "measure"} <= set(item)


def test_partial_dates_are_shown_at_their_precision(shared_client):
    data = shared_client.get("/events.json?date_from=2015-07&date_to=2015-07").get_json()
    oregon = data["items"][0]
    assert oregon["date"] == "2015-07-01"
    assert oregon["date_precision"] == "month"
    assert oregon["date_label"] == "July 2015"
    page = shared_client.get(f"/events/{oregon['slug']}").get_data(as_text=True)
    assert "July 2015" in page and "1 July 2015" not in page


def test_search_rekognition_finds_amazon_moratorium_and_aclu_test(shared_client):
    data = shared_client.get("/events.json?q=Rekognition&per_page=100").get_json()
    slugs = {i["slug"] for i in data["items"]}
    assert "amazon-announces-rekognition-police-moratorium" in slugs
    assert "aclu-test-rekognition-matches-28-members-of-congress" in slugs
    assert all(i["match"] for i in data["items"])
    html = shared_client.get("/events?q=Rekognition").get_data(as_text=True)
    assert "<mark>Rekognition</mark>" in html


def test_search_sources_shows_the_matching_passage(shared_client):
    data = shared_client.get("/sources.json?q=Congressional+Black+Caucus").get_json()
    assert [i["slug"] for i in data["items"]] == [ACLU]
    assert "Congressional Black Caucus" in data["items"][0]["match"]


def test_search_finds_events_through_their_measure(shared_client):
    data = shared_client.get("/events.json?q=%22Justice+in+Policing%22").get_json()
    assert any(i["measure"] and i["measure"]["slug"] == "justice-in-policing-act-2020" for i in data["items"])


def test_actor_includes_sub_jurisdictions(shared_client):
    data = shared_client.get("/measures.json?actor=massachusetts&measure_type=ban&per_page=100").get_json()
    places = {i["jurisdiction"]["name"] for i in data["items"] if i["jurisdiction"]}
    for town in ("Somerville", "Brookline", "Northampton", "Cambridge", "Boston", "Easthampton"):
        assert any(town in p for p in places), (town, places)
    events = shared_client.get("/events.json?actor=massachusetts&measure_type=ban&per_page=100").get_json()
    assert any("boston" in i["slug"] for i in events["items"])
    assert events["caption"] == "events of bans in Massachusetts"


def test_what_was_in_force_on_a_date(shared_client):
    url = "/measures.json?status=in_effect&as_of=2021-01-01&per_page=500"
    slugs = {i["slug"] for i in shared_client.get(url).get_json()["items"]}
    assert "amazon-rekognition-police-moratorium-2020" in slugs
    assert "san-francisco-face-recognition-ban-2019" in slugs
    assert "virginia-police-facial-recognition-ban-2021" not in slugs
    earlier = "/measures.json?status=in_effect&as_of=2019-01-01&per_page=500"
    slugs_2019 = {i["slug"] for i in shared_client.get(earlier).get_json()["items"]}
    assert "san-francisco-face-recognition-ban-2019" not in slugs_2019
    assert "google-cloud-face-recognition-api-pause-2018" in slugs_2019


def test_as_of_leaves_out_measures_that_did_not_exist_yet(shared_client):
    slugs = {i["slug"] for i in all_json_pages(shared_client, "/measures", "as_of=2019-01-01")}
    assert "san-francisco-face-recognition-ban-2019" not in slugs
    assert "illinois-biometric-information-privacy-act-2008" in slugs


def test_events_carry_their_measure_status_on_as_of(shared_client):
    rows = csv_rows(shared_client, "/events.csv?q=AB+1215&as_of=2023-06-01")
    row = next(r for r in rows if r["measure"] == "california-body-camera-biometric-moratorium-2019")
    assert row["status"] == "expired" and row["status_as_of"] == "2023-06-01"
    assert row["source_urls"].startswith("http")
    assert row["jurisdiction_name"] == "California"
    rows = csv_rows(shared_client, "/events.csv?q=AB+1215&as_of=2021-06-01")
    assert {r["status"] for r in rows if r["measure"]} == {"in_effect"}


def test_caption_and_file_name(shared_client):
    response = shared_client.get(
        "/measures.csv?measure_type=ban&measure_type=moratorium&technology=face-recognition"
        "&actor=massachusetts&date_from=2019&date_to=2020"
    )
    disposition = response.headers["Content-Disposition"]
    assert re.search(
        r'filename="bans-and-moratoriums-on-face-recognition-in-massachusetts-2019-2020-'
        r'\d{4}-\d{2}-\d{2}\.csv"',
        disposition,
    ), disposition
    page = shared_client.get(
        "/measures?measure_type=ban&measure_type=moratorium"
        "&technology=face-recognition&actor=massachusetts&date_from=2019&date_to=2020"
    )
    assert "bans and moratoriums on face recognition in Massachusetts, 2019–2020" in page.get_data(
        as_text=True
    )


def test_excel_variant_has_a_bom_and_csv_ignores_paging(shared_client):
    raw = shared_client.get("/events.csv?bom=1&per_page=1&page=3").data
    assert raw.startswith("\ufeff".encode())
    total = shared_client.get("/events.json").get_json()["total"]
    assert len(raw.decode("utf-8-sig").strip().split("\n")) >= total + 1


def test_facets_count_the_matching_rows(shared_client):
    html = shared_client.get("/events?actor=massachusetts").get_data(as_text=True)
    assert 'aria-label="Facets"' in html
    total = shared_client.get("/events.json?actor=massachusetts").get_json()["total"]
    counts = re.findall(r'kind=[a-z_]+&amp;page=1|kind=[a-z_]+[^"]*">[^<]+</a> \((\d+)\)', html)
    assert sum(int(c) for c in counts if c) >= 1
    assert total >= 8


@pytest.mark.parametrize(
    "url,parameter",
    [
        ("/events.json?kind=bogus", "kind"),
        ("/events.json?colour=red", "colour"),
        ("/events.json?date_from=2020-13", "date_from"),
        ("/events.json?date_from=2021-02-30", "date_from"),
        ("/events.json?date_from=2022&date_to=2020", "date_from"),
        ("/events.json?per_page=501", "per_page"),
        ("/events.json?page=0", "page"),
        ("/events.json?page=abc", "page"),
        ("/events.json?as_of=yesterday", "as_of"),
        ("/measures.json?status=asleep", "status"),
        ("/measures.json?kind=ban", "kind"),
        ("/events.json?technology=mind-reading", "technology"),
        ("/events.json?actor=atlantis", "actor"),
        ("/events.json?country=USA", "country"),
        ("/events.json?region=California", "region"),
        ("/events.json?sort=random", "sort"),
        ("/events.json?q=%21%21%21", "q"),
        ("/events/amazon-announces-rekognition-police-moratorium.json?page=2", "page"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(shared_client, url, parameter):
    response = shared_client.get(url)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["parameter"] == parameter and error["message"]
    html = shared_client.get(url.replace(".json", "", 1))
    assert html.status_code == 400 and parameter.encode() in html.data
    assert shared_client.get(url.replace(".json", ".csv", 1)).status_code == 400


def test_page_past_the_end_and_unknown_slugs_are_404(shared_client):
    assert shared_client.get("/events.json?page=999").status_code == 404
    assert shared_client.get("/events?page=999").status_code == 404
    for path in ("/events/nope", "/measures/nope.json", "/actors/nope", "/sources/nope"):
        response = shared_client.get(path)
        assert response.status_code == 404
    assert shared_client.get("/measures.json?q=zzzzqqqq").get_json()["total"] == 0


def test_event_page_shows_citations_with_quotes_and_lifecycle(shared_client):
    html = shared_client.get("/events/amazon-announces-rekognition-police-moratorium").get_data(as_text=True)
    # The quote of every citation is shown, in a blockquote.
    quotes = re.findall(r"<blockquote[^>]*>(.*?)</blockquote>", html, re.S)
    assert any("Amazon today announced a one-year moratorium" in q for q in quotes)
    assert any("one-year moratorium on police use of its facial recogni" in q for q in quotes)
    assert f"/sources/{ACLU}" in html
    assert "amazon-extends-rekognition-police-moratorium" in html  # the lifecycle
    assert "/corrections/new?event=amazon-announces-rekognition-police-moratorium" in html


def test_measure_page_history_and_status(shared_client):
    html = shared_client.get("/measures/california-body-camera-biometric-moratorium-2019").get_data(
        as_text=True
    )
    assert "Expired" in html and "1 January 2023" in html
    old = shared_client.get(
        "/measures/california-body-camera-biometric-moratorium-2019?as_of=2021-01-01"
    ).get_data(as_text=True)
    assert 'status-in_effect">In effect</span> on 1 January 2021' in old
    data = shared_client.get("/measures/amazon-rekognition-police-moratorium-2020.json").get_json()
    assert data["status"] == "in_effect"
    assert [p["status"] for p in data["history"]] == ["in_effect"]


def test_actor_page_lists_sub_jurisdiction_measures(shared_client):
    html = shared_client.get("/actors/massachusetts").get_data(as_text=True)
    assert "somerville-face-surveillance-ban-2019" in html
    data = shared_client.get("/actors/massachusetts.json").get_json()
    below = {m["slug"] for m in data["sub_jurisdiction_measures"]}
    assert "cambridge-face-recognition-ban-2020" in below


def test_source_page_highlights_each_cited_passage(shared_client):
    html = shared_client.get(f"/sources/{ACLU}").get_data(as_text=True)
    text = html.split('class="source-text"', 1)[1]
    marks = re.findall(r'<a href="/events/([a-z0-9-]+)" title=', text)
    assert len(set(marks)) >= 10
    assert '<mark class="quote">' in text
    assert "amazon-announces-rekognition-police-moratorium" in marks


def test_home_headline_figures(shared_client):
    html = shared_client.get("/").get_data(as_text=True)
    assert "Measures in effect today" in html
    assert "Latest events" in html


def test_methodology_lists_vocabularies_and_csv_safety(shared_client):
    html = shared_client.get("/methodology").get_data(as_text=True)
    assert "<code>corporate_moratorium</code>" in html
    assert "events.csv" in html and "date_precision" in html  # the codebook
    assert "apostrophe" in html
    assert "<code>struck_down</code>" in html


def test_csv_rows_carry_the_same_content_as_the_json_records(shared_client):
    """The CSV is built from light Core rows, the JSON from ORM objects: same record."""
    from tracker.render.exports import EVENT_CSV_COLUMNS, event_csv_row

    query = "q=moratorium&as_of=2021-06-01"
    records = all_json_pages(shared_client, "/events", query)
    rows = csv_rows(shared_client, f"/events.csv?{query}")
    assert len(records) == len(rows) > 5
    for record, row in zip(records, rows, strict=True):
        expected = ["" if v is None else str(v) for v in event_csv_row(record)]
        assert [row[c] for c in EVENT_CSV_COLUMNS] == expected


def test_filter_form_offers_the_sorts_and_keeps_the_choice(shared_client):
    html = shared_client.get("/events?sort=title").get_data(as_text=True)
    assert '<option value="title" selected>Title</option>' in html
    assert '<option value="-date" >Newest first</option>' in html
    searched = shared_client.get("/events?q=ban").get_data(as_text=True)
    assert '<option value="relevance" selected>Best match</option>' in searched


def test_a_nul_character_is_a_400_not_a_database_error(shared_client):
    response = shared_client.get("/events.json", query_string={"q": "ban\x00"})
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "q"
    assert shared_client.get("/measures", query_string={"actor": "\x00"}).status_code == 400
