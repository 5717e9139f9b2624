"""Property-based: any query string on any public page is answered without a 5xx, and a 400
names one of the parameters that was sent (so a user knows what to fix)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.read.collections import LISTED, listing

# Every parameter any page takes, and some no page takes.
NAMES = sorted(
    {p for c in LISTED.values() for p in listing(c).params}
    | {
        "bom",
        "interval",
        "view",
        "from",
        "to",
        "level",
        "place",
        "before",
        "status",
        "event",
        "measure",
        "correction",
        "x",
        "_nosuggest",
        "page[]",
        "",
    }
)
VALUES = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "-1",
            "2019",
            "2019-02-30",
            "0001-01-01",
            "9999-12-31",
            "٢٠١٩",
            "²",
            "9223372036854775808",
            "99999999999999999999",
            "relevance",
            "face-recognition",
            "US",
            "us-ca",
            "quarter",
            "world",
            "city",
            "2021-06",
            "boston",
            "\x00",
            "%00",
            "<script>",
            "a" * 300,
        ]
    ),
)
QUERY = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=4)

FUZZ = settings(
    max_examples=80, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def _pages(app) -> list[str]:
    """Every GET page without a path argument that answers a visitor (not a redirect to the
    login), and one detail page per collection."""
    client = app.test_client()
    rules = [
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and not r.arguments and not r.rule.startswith("/static") and r.rule != "/logout"
    ]
    public = [rule for rule in rules if client.get(rule).status_code == 200]
    details = [
        "/events/san-francisco-board-votes-face-recognition-ban",
        "/what-applies",
        "/year/2021",
        "/measures/san-francisco-face-recognition-ban-2019.json",
        "/sources/aclu-statement-amazon-face-recognition-moratorium",
        "/actors/san-francisco",
    ]
    return sorted(public) + details


@pytest.fixture(scope="module")
def client_and_pages(shared_loaded_app):
    return shared_loaded_app.test_client(), _pages(shared_loaded_app)


def test_the_fuzzed_pages_include_the_lists_and_charts(client_and_pages):
    client, pages = client_and_pages
    assert {"/events", "/events.csv", "/measures.json", "/map", "/timeline", "/changes"} <= set(pages)
    assert {"/changes-in", "/changes-in.json", "/changes-in.csv"} <= set(pages)
    # The form's redirect and the year alias answer without a 5xx too (a 400 or 302 alone).
    assert all(client.get(page).status_code in (200, 302, 400) for page in pages)


def test_any_query_string_on_any_page_is_never_a_server_error(client_and_pages):
    client, pages = client_and_pages

    @FUZZ
    @given(st.sampled_from(pages), QUERY)
    def request(page, query):
        url = f"{page}?{urlencode(query)}" if query else page
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 400:
            body = response.get_data(as_text=True)
            # The parameter at fault is named; a NUL anywhere is refused as such first.
            named = [name for name, _ in query if name]
            if any("\x00" in name + value for name, value in query):
                named.append("NUL")
            if any(not name for name, _ in query):
                named.append("unknown parameter")  # a parameter with no name: said so
            assert any(name in body for name in named), (url, body[:300])

    request()
