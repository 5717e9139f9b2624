"""The ban map in a real browser (issue 12): dense places stay reachable, the panel, the
search, the slider in the address and the list, Play, the filter form, the world view, and
the page at phone and laptop sizes, with and without JavaScript."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from . import test_browser
from .test_browser import ARTIFACTS, POINT_NAMES, VIEWPORTS, Watched, _fits, _slide_to

# The shared fixtures (the app on the real data, SQLite then PostgreSQL; one Chromium).
server = test_browser.server
browser = test_browser.browser

pytestmark = pytest.mark.browser

BOSTON = ["Boston", "Cambridge", "Brookline", "Somerville"]
BAY = ["San Francisco", "Oakland", "Berkeley", "Alameda"]

# The screen centre of the marker holding a place (its cluster or its own), or null.
MARKER_OF = """([id, name]) => {
  const gd = document.getElementById(id);
  const index = (gd._mapClusters || []).findIndex(c => c.members.some(p => p.name === name));
  if (index < 0) return null;
  const node = Array.from(gd.querySelectorAll('.scattergeo .point'))
    .find(n => n.__data__ && n.__data__.i === index);
  if (!node) return null;
  const r = node.getBoundingClientRect();
  const members = gd._mapClusters[index].members.map(p => p.name);
  return {x: r.x + r.width / 2, y: r.y + r.height / 2, members: members};
}"""

SINGLES = """(id) => (document.getElementById(id)._mapClusters || [])
  .filter(c => c.members.length === 1).map(c => c.members[0].name)"""


@pytest.fixture
def watched(browser, server):
    w = Watched(browser, server, width=1366, height=900)
    yield w
    w.close()


def _marker(page, name: str, view: str = "us") -> dict:
    found = page.evaluate(MARKER_OF, [f"map-{view}", name])
    assert found is not None, name
    return found


@pytest.mark.parametrize("group", [BOSTON, BAY], ids=["boston", "bay-area"])
def test_dense_places_are_each_reachable_by_hover_click_and_zoom(watched, server, group):
    page = watched.open(f"{server}/map?as_of=2021-01-01")
    marker = _marker(page, group[0])
    assert set(group) <= set(marker["members"])  # drawn as one numbered marker at this zoom
    page.mouse.move(marker["x"], marker["y"])
    hover = page.locator(".hoverlayer .hovertext")
    hover.first.wait_for()
    text = hover.first.text_content() or ""
    assert all(name in text for name in group), text
    page.mouse.click(marker["x"], marker["y"])
    panel = page.locator("#map-panel")
    panel.wait_for(state="visible")
    assert f"{len(marker['members'])} places here" in page.locator("#map-panel-title").inner_text()
    for name in group:
        page.locator("#map-panel button.link-button", has_text=name).first.wait_for()
    # Each one opens its own panel, with what applies there and its measures.
    for name in group:
        page.locator("#map-panel button.link-button", has_text=name).first.click()
        assert page.locator("#map-panel-title").inner_text() == name
        applies = page.locator("#map-panel a.map-applies")
        assert "as_of=2021-01-01#h-applies" in applies.get_attribute("href")
        assert page.locator("#map-panel .map-panel-measures a[href^='/measures/']").count() >= 1
        page.locator("#map-panel-close").click()
        page.mouse.click(marker["x"], marker["y"])
        panel.wait_for(state="visible")
    # Zooming in (the panel's button, as the wheel or a pinch would) draws each on its own.
    for _ in range(6):
        clustered = [n for n in group if len(_marker(page, n)["members"]) > 1]
        if not clustered:
            break
        marker = _marker(page, clustered[0])
        page.mouse.click(marker["x"], marker["y"])
        page.locator("#map-panel button.map-zoom").click()
        page.wait_for_timeout(300)
    assert set(group) <= set(page.evaluate(SINGLES, "map-us"))
    for name in group:
        single = _marker(page, name)
        assert single["members"] == [name]
    watched.check()


def test_the_wheel_zooms_and_dragging_pans(watched, server):
    page = watched.open(f"{server}/map?as_of=2021-01-01")
    scale = "() => document.getElementById('map-us')._fullLayout.geo.projection.scale"
    box = page.locator("#map-us").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.3)
    before = page.evaluate(scale)
    page.mouse.wheel(0, -500)
    page.wait_for_function(f"() => ({scale})() > {before}")
    centre = page.evaluate(CENTER)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=10)
    page.mouse.up()
    page.wait_for_function(f"() => ({CENTER})()[0] !== {centre[0]}")
    config = page.evaluate("TrackerCharts.config")
    assert config["scrollZoom"] is True
    assert page.evaluate("document.getElementById('map-us')._fullLayout.dragmode") == "pan"
    watched.check()


def test_search_finds_a_place_and_opens_its_panel(watched, server):
    page = watched.open(f"{server}/map?as_of=2021-01-01")
    assert page.locator("#map-search-form").is_visible()
    page.fill("#map-search", "somerv")
    page.press("#map-search", "Enter")
    page.locator("#map-panel").wait_for(state="visible")
    assert page.locator("#map-panel-title").inner_text() == "Somerville"
    href = page.locator("#map-panel a.map-applies").get_attribute("href")
    assert href == "/actors/somerville?as_of=2021-01-01#h-applies"
    assert page.evaluate("document.getElementById('map-us')._fullLayout.geo.projection.scale") > 1
    page.fill("#map-search", "Atlantis")
    page.press("#map-search", "Enter")
    assert "No place named" in page.locator("#map-search-status").inner_text()
    watched.check()


def test_a_place_with_several_measures_lists_them_all(watched, server):
    page = watched.open(f"{server}/map?as_of=2021-01-01")
    page.fill("#map-search", "California")
    page.press("#map-search", "Enter")
    page.locator("#map-panel").wait_for(state="visible")
    page.wait_for_function("() => document.querySelectorAll('#map-panel .map-panel-measures li').length >= 2")
    links = page.locator("#map-panel .map-panel-measures a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert "/measures/california-body-camera-biometric-moratorium-2019" in links
    watched.check()


def test_the_slider_moves_the_address_the_list_and_the_csv_and_back_works(watched, server):
    page = watched.open(f"{server}/map?as_of=2019-01-01")
    days = page.evaluate("TrackerMap.days")
    assert "2019-05-14" in days and "2019-05-21" in days  # San Francisco's first reading and vote
    assert "2019-07-01" in days  # and the quarters between
    assert page.locator("#map-places tr[data-place=san-francisco]").count() == 0
    _slide_to(page, "2019-05-21")
    assert parse_qs(urlsplit(page.url).query)["as_of"] == ["2019-05-21"]
    assert page.locator("#map-places tr[data-place=san-francisco]").count() == 1
    assert (
        "in effect since 21 May 2019" in page.locator("#map-places tr[data-place=san-francisco]").inner_text()
    )
    assert "as_of=2019-05-21" in page.get_attribute("#map-csv", "href")
    assert page.input_value("#as-of-date") == "2019-05-21"
    assert "San Francisco" in page.evaluate(POINT_NAMES, "map-us")
    page.go_back()
    page.wait_for_function("() => document.getElementById('map-us').dataset.shownDate === '2019-01-01'")
    assert parse_qs(urlsplit(page.url).query)["as_of"] == ["2019-01-01"]
    assert page.locator("#map-places tr[data-place=san-francisco]").count() == 0
    assert page.evaluate("TrackerMap.days[+document.getElementById('map-slider').value]") == "2019-01-01"
    page.go_forward()
    page.wait_for_function("() => document.getElementById('map-us').dataset.shownDate === '2019-05-21'")
    watched.check()


def test_play_starts_where_the_record_is_dense_and_steps_on_changes(watched, server):
    page = watched.open(f"{server}/map?as_of=2008-06-01")
    frames = page.evaluate("TrackerMap.frames")
    days = page.evaluate("TrackerMap.days")
    assert frames[0] > days[0] and len(frames) <= 60
    page.click("#map-play")
    page.wait_for_function(
        "(day) => document.getElementById('map-us').dataset.shownDate === day", arg=frames[1], timeout=10_000
    )
    page.click("#map-play")  # pause
    assert parse_qs(urlsplit(page.url).query)["as_of"][0] in frames
    watched.check()


def test_the_filter_form_filters_the_map(watched, server):
    page = watched.open(f"{server}/map?as_of=2021-01-01")
    page.select_option("#map-scope", "narrow")
    page.select_option("#map-type", "ban")
    with page.expect_navigation():
        page.click(".map-filters button[type=submit]")
    page.wait_for_function("() => document.body.dataset.chartsReady !== undefined")
    query = parse_qs(urlsplit(page.url).query)
    assert (
        query["scope"] == ["narrow"] and query["measure_type"] == ["ban"] and query["as_of"] == ["2021-01-01"]
    )
    places = page.evaluate("JSON.parse(document.getElementById('map-data').textContent).places")
    assert places and {p["measure"]["scope_class"] for p in places} == {"narrow"}
    assert "oregon" in {p["slug"] for p in places}
    assert "narrower scope" in page.locator("#map-scope-note").inner_text()
    watched.check()


@pytest.mark.parametrize("width", [1366, 1920])
def test_the_world_view_shows_every_continent(browser, server, width):
    w = Watched(browser, server, width=width, height=900)
    try:
        page = w.open(f"{server}/map?view=world&as_of=2021-01-01")
        inside = page.evaluate("""() => {
          const gd = document.getElementById('map-world');
          const proj = gd._fullLayout.geo._subplot.projection, size = gd._fullLayout._size;
          const places = {anchorage: [-149.9, 61.2], rio: [-43.2, -22.9], cape_town: [18.4, -33.9],
            london: [-0.1, 51.5], tokyo: [139.7, 35.7], sydney: [151.2, -33.9], punta_arenas: [-70.9, -53.2]};
          const out = {};
          Object.keys(places).forEach(k => { const xy = proj(places[k]);
            out[k] = xy[0] >= 0 && xy[0] <= size.w && xy[1] >= 0 && xy[1] <= size.h; });
          return out;
        }""")
        assert all(inside.values()), inside
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"map-world-{width}.png"))
        w.check()
    finally:
        w.close()


def _touch(cdp, kind: str, points: list[tuple[float, float]]) -> None:
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]},
    )


SCALE = "() => document.getElementById('map-us')._fullLayout.geo.projection.scale"
CENTER = (
    "() => { const c = document.getElementById('map-us')._fullLayout.geo.center; return [c.lon, c.lat]; }"
)


def test_on_a_phone_two_fingers_pinch_zoom_and_one_finger_pans(browser, server):
    """Real touch input through the browser's input pipeline (CDP touch events, as a phone's
    screen sends them), at 390 px: spreading two fingers zooms the map in, moving one finger
    moves it (the map's centre changes)."""
    w = Watched(browser, server, width=390, height=844, touch=True)
    try:
        page = w.open(f"{server}/map?as_of=2021-01-01")
        page.locator("#map-us").scroll_into_view_if_needed()
        box = page.locator("#map-us .geo").first.bounding_box()
        assert box is not None
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        cdp = page.context.new_cdp_session(page)
        centre = page.evaluate(CENTER)
        _touch(cdp, "touchStart", [(cx, cy)])
        for step in range(1, 11):
            _touch(cdp, "touchMove", [(cx + 8 * step, cy + 3 * step)])
        _touch(cdp, "touchEnd", [])
        page.wait_for_timeout(300)  # a gesture's end, before the next (no double tap)
        page.wait_for_function(f"() => ({CENTER})()[0] !== {centre[0]}")
        before = page.evaluate(SCALE)
        _touch(cdp, "touchStart", [(cx - 20, cy), (cx + 20, cy)])
        for step in range(1, 11):
            _touch(cdp, "touchMove", [(cx - 20 - 6 * step, cy), (cx + 20 + 6 * step, cy)])
        _touch(cdp, "touchEnd", [])
        page.wait_for_timeout(300)
        page.wait_for_function(f"() => ({SCALE})() > {before} * 1.5")
        # No console error either: plotly's touch handlers cancel the moves they handle, which
        # Chromium refuses (and logs) for listeners it treats as passive, unless
        # static/js/touch-listeners.js has marked them as not passive.
        w.check()
    finally:
        w.close()


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
@pytest.mark.parametrize("view", ["us", "world"])
def test_the_map_fits_and_asks_no_other_host(browser, server, width, height, view):
    w = Watched(browser, server, width=width, height=height)
    try:
        page = w.open(f"{server}/map?view={view}")
        _fits(page)
        assert page.locator(f"#map-{view} .geo").count() == 1
        assert page.locator(".time-slider").is_visible() and page.locator("#map-search-form").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"map-{view}-{width}.png"), full_page=True)
        w.check()
    finally:
        w.close()


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
def test_without_javascript_the_list_the_sentence_and_the_form_work(browser, server, width, height):
    w = Watched(browser, server, width=width, height=height, javascript=False)
    try:
        page = w.visit(f"{server}/map?as_of=2021-01-01")
        assert "The map itself needs JavaScript" in page.locator(".noscript-note").inner_text()
        assert page.locator("#map-places tr[data-place=boston]").count() == 1
        # Nothing that needs the script is shown: no slider, no search, no empty panel.
        for selector in (".time-slider", "#map-search-form", "#map-panel", ".map-hint"):
            assert not page.locator(selector).is_visible(), selector
        _fits(page)
        page.select_option("#map-scope", "general")
        with page.expect_navigation():
            page.click(".map-filters button[type=submit]")
        assert parse_qs(urlsplit(page.url).query)["scope"] == ["general"]
        assert page.locator("#map-places tr[data-place=oregon]").count() == 0
        assert page.locator("#map-places tr[data-place=boston]").count() == 1
        w.check()
    finally:
        w.close()
