# ruff: noqa: F811  (pytest fixtures imported from test_browser are parameters here)
"""Every page that is not a chart, in a real browser at a phone's and a laptop's size: no
sideways scrolling (long addresses and hashes wrap), no console error, no request to
another host; the lists show their first result on a phone's first screen with the filters
one tap away, and their filter form works with JavaScript off.

Why a browser: only layout tells whether a 298-character address or a SHA-256 widens the
page, and whether the first result is above the fold. Fixtures and helpers come from
tests/test_browser.py (the server on SQLite, then PostgreSQL).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .test_browser import ARTIFACTS, VIEWPORTS, Watched, _fits, browser, server  # noqa: F401

pytestmark = pytest.mark.browser

LONG_URL_SOURCE = "reuters-amazon-one-year-moratorium-police-face-recognition"

# (path, the status it answers): one of each page type.
PAGES = [
    ("/", 200),
    ("/events", 200),
    ("/measures", 200),
    ("/sources", 200),
    ("/actors", 200),
    ("/events/amazon-announces-rekognition-police-moratorium", 200),
    ("/measures/boston-face-surveillance-ban-2020", 200),
    (f"/sources/{LONG_URL_SOURCE}", 200),
    ("/sources/ap-portland-maine-referendums", 200),
    ("/actors/portland-maine", 200),
    ("/actors/amazon", 200),
    ("/methodology", 200),
    ("/changes", 200),
    ("/changes-in", 200),
    ("/needs-review", 200),
    ("/login", 200),
    ("/corrections", 200),
    ("/corrections/new?measure=boston-face-surveillance-ban-2020", 200),
    ("/measures/boston-face-surveillance-ban-2020/history", 200),
    ("/no-such-page", 404),
    ("/events?page=first", 400),
]

LISTS = ["/events", "/measures", "/sources", "/actors"]


def _close(watched: Watched) -> None:
    """Close once nothing is in flight: a context closed while the browser still fetches
    the page's icon leaves the server's open file to the garbage collector (a
    ResourceWarning that fails whichever test runs next)."""
    watched.page.wait_for_load_state("networkidle")
    watched.close()


def _name(path: str) -> str:
    return urlsplit(path).path.strip("/").replace("/", "-") or "home"


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
@pytest.mark.parametrize(("path", "status"), PAGES, ids=[p for p, _ in PAGES])
def test_every_page_fits_the_screen_with_no_errors_and_no_other_host(
    browser, server, path, status, width, height
):
    watched = Watched(browser, server, width, height)
    try:
        response = watched.page.goto(f"{server}{path}", wait_until="load")
        assert response is not None and response.status == status
        # An error page's own status is what it should be; anything else failing is a fault.
        watched.errors = [
            e for e in watched.errors if not (status >= 400 and e == f"{status} {response.url}")
        ]
        _fits(watched.page)
        watched.check()
        if width == 390:
            ARTIFACTS.mkdir(exist_ok=True)
            watched.page.screenshot(path=str(ARTIFACTS / f"page-{_name(path)}-{width}.png"), full_page=True)
    finally:
        _close(watched)


def test_a_long_address_and_a_hash_wrap_inside_the_page_on_a_phone(browser, server):
    watched = Watched(browser, server, 390, 844)
    try:
        page = watched.visit(f"{server}/sources/{LONG_URL_SOURCE}")
        for selector in ("dl.facts dd a[href^='http']", "dl.facts dd code"):
            box = page.locator(selector).first.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
        _fits(page)
        watched.check()
    finally:
        _close(watched)


@pytest.mark.parametrize("path", LISTS)
def test_on_a_phone_a_list_shows_its_first_result_first_and_its_filters_one_tap_away(browser, server, path):
    watched = Watched(browser, server, 390, 844)
    try:
        page = watched.visit(f"{server}{path}")
        first = page.locator("ol.rows > li").first.bounding_box()
        assert first is not None and first["y"] < 844, first
        form = page.locator("form.filters")
        assert form.bounding_box()["y"] > first["y"]  # the results come first
        page.click("a.jump-to-filters")  # one tap
        page.wait_for_function("() => location.hash === '#filters'")
        box = form.bounding_box()
        assert box is not None and 0 <= box["y"] < 844, box
        assert page.locator("form.filters input[name=q]").is_visible()
        _fits(page)
        watched.check()
    finally:
        _close(watched)


@pytest.mark.parametrize("path", LISTS)
def test_on_a_laptop_the_filters_are_beside_the_results(browser, server, path):
    watched = Watched(browser, server, 1366, 900)
    try:
        page = watched.visit(f"{server}{path}")
        first = page.locator("ol.rows > li").first.bounding_box()
        form = page.locator("form.filters").bounding_box()
        assert first is not None and form is not None
        assert first["y"] < 900 and form["y"] < 900
        assert form["x"] + form["width"] <= first["x"]  # a left column
        assert not page.locator("a.jump-to-filters").is_visible()  # nothing to jump to
        watched.check()
    finally:
        _close(watched)


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
def test_without_javascript_the_filter_form_filters_by_technology_and_place(browser, server, width, height):
    watched = Watched(browser, server, width, height, javascript=False)
    try:
        page = watched.visit(f"{server}/events")
        if width == 390:
            page.click("a.jump-to-filters")
        page.click("details.choices:has(input[name=technology]) summary")  # unfold the technologies
        page.check("input[name=technology][value=face-recognition]")
        page.fill("#filter-actor", "Portland, Oregon")  # typed, not chosen from the suggestions
        page.click("details.choices:has(input[name=region]) summary")
        page.check("input[name=region][value=US-OR]")
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        query = parse_qs(urlsplit(page.url).query)
        assert query["technology"] == ["face-recognition"]
        assert query["actor"] == ["Portland, Oregon"] and query["region"] == ["US-OR"]
        caption = page.locator("p.caption").inner_text()
        assert "on face recognition in Portland, Oregon" in caption, caption
        shown = [
            urlsplit(h).path.rsplit("/", 1)[1]
            for h in page.locator("ol.rows > li a.title").evaluate_all("els => els.map(e => e.href)")
        ]
        api = page.request.get(
            f"{server}/events.json?technology=face-recognition&actor=portland-oregon&region=US-OR"
        ).json()
        assert shown == [i["slug"] for i in api["items"]]
        assert shown, "Portland, Oregon has face recognition events in the data"
        # The form remembers what was asked: the box is ticked, the place filled in.
        assert page.locator("input[name=technology][value=face-recognition]").is_checked()
        assert page.locator("#filter-actor").input_value() == "Portland, Oregon"
        _fits(page)
        watched.check()
    finally:
        _close(watched)
