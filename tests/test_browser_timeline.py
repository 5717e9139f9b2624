"""The timeline and the embeds in a real browser (fixtures from tests/test_browser.py).

What only a browser shows: that the events plot keeps a usable height on a phone, that the
measures' names are inside the window, that "All time" widens the axis, that the lifespans'
date axis is in sight while scrolling its rows, and that another site can frame an embed
while /map refuses to be framed.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from .test_browser import ARTIFACTS, VIEWPORTS, Watched, _fits, browser, server  # noqa: F401

pytestmark = pytest.mark.browser

PLOT_HEIGHT = "(id) => document.getElementById(id)._fullLayout._size.h"


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
def test_timeline_fits_and_reads_at_each_size(browser, server, width, height):  # noqa: F811
    watched = Watched(browser, server, width, height)
    try:
        page = watched.open(f"{server}/timeline")
        _fits(page)
        for chart in ("chart-events", "chart-in-effect", "chart-lifespans", "chart-lifespans-axis"):
            assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
        # The events plot itself (not the legend, not the slider) keeps a usable height.
        assert page.evaluate(PLOT_HEIGHT, "chart-events") >= 250
        assert page.evaluate(PLOT_HEIGHT, "chart-in-effect") >= 200
        # Eight families, eight colours, in one legend above the plot.
        legend = page.locator("#chart-events .legend .traces")
        assert legend.count() == len(
            set(page.evaluate("document.getElementById('chart-events').data.map(t => t.legendgroup)"))
        )
        # Measure names are inside the window, none cut at the left or the right.
        boxes = page.evaluate("""() => Array.from(
            document.querySelectorAll('#chart-lifespans .annotation-text')).map(e => {
              const r = e.getBoundingClientRect(); return [r.left, r.right]; })""")
        assert boxes and all(left >= 0 and right <= width for left, right in boxes), boxes[:3]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"timeline-{width}.png"), full_page=True)
        watched.check()
    finally:
        watched.close()


def test_all_time_is_one_click_away_and_back(browser, server):  # noqa: F811
    watched = Watched(browser, server, 1366, 900)
    try:
        page = watched.open(f"{server}/timeline")
        window = page.evaluate("document.getElementById('chart-events').layout.meta.window")
        buttons = page.locator('.range-buttons[data-chart="chart-events"]')
        assert buttons.is_visible()
        if window is None:  # the record is dense throughout: nothing to widen
            pytest.skip("no narrower window on this data")
        shown = page.evaluate("document.getElementById('chart-events')._fullLayout.xaxis.range")
        assert shown[0].startswith(window[0])
        buttons.locator('button[data-range="all"]').click()
        page.wait_for_function(
            "(w) => document.getElementById('chart-events')._fullLayout.xaxis.range[0] < w", arg=window[0]
        )
        assert buttons.locator('button[data-range="all"]').get_attribute("aria-pressed") == "true"
        buttons.locator('button[data-range="dense"]').click()
        page.wait_for_function(
            "(w) => document.getElementById('chart-events')._fullLayout.xaxis.range[0].startsWith(w)",
            arg=window[0],
        )
        watched.check()
    finally:
        watched.close()


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
def test_the_lifespans_date_axis_stays_in_sight_while_scrolling(browser, server, width, height):  # noqa: F811
    watched = Watched(browser, server, width, height)
    try:
        page = watched.open(f"{server}/timeline")
        chart = page.locator("#chart-lifespans").bounding_box()
        assert chart is not None and chart["height"] > height  # taller than the window
        for fraction in (0.3, 0.6, 0.9):
            page.evaluate(
                "(y) => window.scrollTo(0, y)", chart["y"] + chart["height"] * fraction - height / 2
            )
            page.wait_for_timeout(50)
            axis = page.evaluate("""() => {
              const r = document.getElementById('chart-lifespans-axis').getBoundingClientRect();
              return [r.top, r.bottom, document.querySelectorAll('#chart-lifespans-axis .xtick').length];
            }""")
            assert axis[0] >= 0 and axis[1] <= height and axis[2] >= 2, (fraction, axis)
        same = page.evaluate("""() => {
          const range = (id) => JSON.stringify(document.getElementById(id).layout.xaxis.range);
          return range('chart-lifespans-axis') === range('chart-lifespans');
        }""")
        assert same
        watched.check()
    finally:
        watched.close()


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
def test_without_javascript_the_timeline_shows_its_tables_and_says_why(browser, server, width, height):  # noqa: F811
    watched = Watched(browser, server, width, height, javascript=False)
    try:
        page = watched.visit(f"{server}/timeline")
        note = page.locator(".noscript-note")
        assert note.is_visible() and "JavaScript" in note.inner_text()
        assert (
            page.locator(".range-buttons").count() >= 1
            and not page.locator(".range-buttons").first.is_visible()
        )
        heights = page.evaluate("Array.from(document.querySelectorAll('.chart')).map(e => e.offsetHeight)")
        assert heights and max(heights) == 0, heights
        page.locator("details.chart-data summary").first.click()
        table = page.locator("details.chart-data table").first
        assert table.is_visible() and "Adopted or enacted" in table.inner_text()
        _fits(page)
        watched.check()
    finally:
        watched.close()


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
@pytest.mark.parametrize("path", ["/embed/timeline", "/embed/map"])
def test_embeds_render_alone(browser, server, path, width, height):  # noqa: F811
    watched = Watched(browser, server, width, height)
    try:
        page = watched.open(f"{server}{path}")
        assert page.locator(".js-plotly-plot").count() >= 1
        assert page.locator(".embed-caption").is_visible()
        link = page.locator(".embed-footer a").get_attribute("href")
        assert link is not None and urlsplit(link).path == path.replace("/embed", "")
        if path == "/embed/timeline":  # the map's own layout is the map page's (its tests check it)
            _fits(page)
        watched.check()
    finally:
        watched.close()


@pytest.fixture
def other_site(server):  # noqa: F811
    """A page on another origin (another port, another host name) that frames the embed and /map."""
    port = urlsplit(server).port

    def app(environ, start_response):
        body = (
            "<!doctype html><title>An advocate's page</title><h1>Our campaign</h1>"
            f'<iframe id="embed" src="http://127.0.0.1:{port}/embed/timeline?kind=adopted"'
            ' width="800" height="700"></iframe>'
            f'<iframe id="map" src="http://127.0.0.1:{port}/map" width="800" height="400"></iframe>'
        ).encode()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body]

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


def test_another_site_can_frame_the_embed_but_not_the_map(browser, other_site):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    console: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.goto(f"{other_site}/")
        embed = page.frame_locator("#embed")
        embed.locator("body[data-charts-ready='1']").wait_for(timeout=20_000)
        assert embed.locator("#chart-events .main-svg").count() >= 1
        frames = {urlsplit(f.url).path: f for f in page.frames}
        assert "/embed/timeline" in frames
        page.wait_for_timeout(500)
        # /map refuses: Chromium replaces the frame by an error page and says why.
        blocked = [f for f in page.frames if f.name == "" and f != page.main_frame and "/embed/" not in f.url]
        assert all("/map" not in f.url or f.url.startswith("chrome-error") for f in blocked)
        assert "/map" not in frames
        assert any("frame-ancestors" in line for line in console), console
        assert not [line for line in console if "frame-ancestors" not in line], console
    finally:
        context.close()
