"""The map and the timeline in a real browser: headless Chromium driven by Playwright.

Why a browser: the figures are drawn by plotly.js from JSON and the map's slider runs in
JavaScript; only a browser shows that they render, make no request to another host, and
react to a click or a slider. The server is the real app on a loaded database (SQLite, then
PostgreSQL), in a background thread. Screenshots go to artifacts/ (git-ignored) for a person to look at.

Without /usr/bin/chromium these tests are skipped, unless TRACKER_REQUIRE_BROWSER=1 (CI),
where they fail.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tracker import create_app
from tracker.datafiles.load import load
from tracker.extensions import db

from .conftest import _reset

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """The app on a database loaded with data/ (SQLite, then PostgreSQL), served on
    127.0.0.1:<free port>."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required (TRACKER_REQUIRE_BROWSER=1) but missing")
        pytest.skip(f"{CHROMIUM} not installed")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'tracker.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_database_url")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        _reset(request.param)
        load(ROOT / "data", db.session)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page that records console errors, page errors and every request to another host."""

    def __init__(
        self,
        browser,
        server: str,
        width: int = 1280,
        height: int = 900,
        javascript: bool = True,
        touch: bool = False,
    ):
        self.server = urlsplit(server).netloc
        # ``touch``: a phone's touch screen (touch events, a mobile viewport).
        self.context = browser.new_context(
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            has_touch=touch,
            is_mobile=touch,
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)

    def _console(self, message) -> None:
        # A failed load is reported by _response with its URL; the console line has none.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 400:
            self.errors.append(f"{response.status} {response.url}")

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).netloc != self.server and not url.startswith(("data:", "blob:")):
            self.foreign.append(url)
            return route.abort()
        return route.continue_()

    def open(self, url: str):
        self.page.goto(url)
        self.page.wait_for_function("() => document.body.dataset.chartsReady !== undefined", timeout=20_000)
        assert self.page.evaluate("document.body.dataset.chartsReady") == "1", self.errors
        return self.page

    def visit(self, url: str):
        """Open a page without charts (nothing to wait for but the page itself)."""
        self.page.goto(url, wait_until="load")
        return self.page

    def check(self):
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.errors == [], f"console errors: {self.errors}"

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser, server):
    w = Watched(browser, server)
    yield w
    w.close()


# The map's places as drawn (static/js/map.js): points are clustered in screen space, each
# marker's members in gd._mapClusters; areas carry [role, place, measure] as customdata.
POINT_NAMES = """(id) => {
  const gd = document.getElementById(id);
  return (gd._mapClusters || []).flatMap(c => c.members.map(p => p.name));
}"""

AREA_MEASURES = """(id) => {
  const gd = document.getElementById(id);
  const out = {};
  gd.data.filter(t => t.meta.role === 'area').forEach(t =>
    Array.from(t.locations || []).forEach((loc, i) => { out[loc] = t.customdata[i][2]; }));
  return out;
}"""

POINT_MEASURES = """(id) => {
  const gd = document.getElementById(id);
  const out = {};
  (gd._mapClusters || []).forEach(c => c.members.forEach(p => { out[p.name] = p.measure.slug; }));
  return out;
}"""


def test_map_renders_with_no_errors_and_no_foreign_requests(watched, server):
    page = watched.open(f"{server}/map")
    names = page.evaluate(POINT_NAMES, "map-us")
    assert {"San Francisco", "Oakland", "Cambridge"} <= set(names)
    assert page.locator("#map-us .geo").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"), full_page=True)
    watched.check()


@pytest.mark.parametrize(("as_of", "present"), [("2019-01-01", False), ("2019-06-01", True)])
def test_map_as_of(watched, server, as_of, present):
    page = watched.open(f"{server}/map?as_of={as_of}")
    assert ("San Francisco" in page.evaluate(POINT_NAMES, "map-us")) is present
    assert (page.locator("table.places td", has_text="San Francisco").count() > 0) is present
    watched.check()


def _slide_to(page, day: str) -> None:
    """Move the slider to the stop ``day`` (any of its stops) and wait for the redraw."""
    index = page.evaluate("(day) => TrackerMap.days.indexOf(day)", day)
    assert index >= 0, day
    page.locator("#map-slider").fill(str(index))
    page.wait_for_function("(day) => document.getElementById('map-us').dataset.shownDate === day", arg=day)


def test_map_slider_changes_what_is_shown(watched, server):
    page = watched.open(f"{server}/map?as_of=2019-01-01")
    assert "San Francisco" not in page.evaluate(POINT_NAMES, "map-us")
    _slide_to(page, "2019-07-01")
    assert {"San Francisco", "Somerville"} <= set(page.evaluate(POINT_NAMES, "map-us"))
    assert page.locator("#map-date").inner_text() == "1 July 2019"
    # New Orleans' 2020 ban: from 2022-07-21 face recognition and cell-site simulators move
    # to the 2022 rules, but the ban on predictive policing stays, so the place stays a ban.
    _slide_to(page, "2022-10-01")
    assert (
        page.evaluate(POINT_MEASURES, "map-us")["New Orleans"]
        == "new-orleans-surveillance-technology-ban-2020"
    )
    # California's body-camera moratorium (a narrow scope: a general law outranks it, so
    # filtered to body cameras): in effect in 2022, gone on its sunset (2023-01-01).
    page = watched.open(f"{server}/map?as_of=2022-10-01&scope=body_cameras")
    assert (
        page.evaluate(AREA_MEASURES, "map-us").get("CA") == "california-body-camera-biometric-moratorium-2019"
    )
    _slide_to(page, "2023-01-01")
    assert (
        page.evaluate(AREA_MEASURES, "map-us").get("CA") != "california-body-camera-biometric-moratorium-2019"
    )
    watched.check()


def test_map_for_one_technology_follows_what_each_measure_covered_on_the_day(watched, server):
    """Filtered to face recognition, New Orleans is the 2020 ban until 2022-07-21 and then the
    2022 rules: the ban no longer covers face recognition, though it stays in effect."""
    page = watched.open(f"{server}/map?as_of=2022-07-01&technology=face-recognition")
    assert page.evaluate(POINT_MEASURES, "map-us")["New Orleans"] == (
        "new-orleans-surveillance-technology-ban-2020"
    )
    _slide_to(page, "2022-10-01")
    assert page.evaluate(POINT_MEASURES, "map-us").get("New Orleans", "").startswith(
        "new-orleans-"
    ) and page.evaluate(POINT_MEASURES, "map-us")["New Orleans"] != (
        "new-orleans-surveillance-technology-ban-2020"
    )
    watched.check()


def test_map_world_view_toggle(watched, server):
    page = watched.open(f"{server}/map")
    page.click(".view-toggle a[data-view=world]")
    page.wait_for_function("() => document.getElementById('map-world').dataset.shownDate !== undefined")
    assert page.locator("#map-world").is_visible()
    assert not page.locator("#map-us").is_visible()
    assert page.locator("#map-world .geo").count() == 1
    assert page.url.endswith("view=world")
    page.screenshot(path=str(ARTIFACTS / "map-world.png"), full_page=True)
    watched.check()


def test_timeline_renders_and_a_bar_opens_its_measure(watched, server):
    page = watched.open(f"{server}/timeline")
    for chart in ("chart-events", "chart-in-effect", "chart-lifespans"):
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    # The page's own "All time" buttons (tests/test_browser_timeline.py), not Plotly's selector.
    assert page.locator('.range-buttons[data-chart="chart-events"]').is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=True)
    bar = page.locator("#chart-lifespans .barlayer .point path").first
    bar.scroll_into_view_if_needed()
    slug = page.evaluate("""() => {
      const gd = document.getElementById('chart-lifespans');
      const trace = gd.data.find(t => t.type === 'bar');
      return trace.customdata[0][0];
    }""")
    box = bar.bounding_box()
    assert box is not None
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert urlsplit(page.url).path.startswith("/measures/")
    assert urlsplit(page.url).path != "/measures/"
    watched.check()
    assert slug  # the first bar's measure exists; the click opened one of the measures' pages


@pytest.mark.parametrize("path", ["/map", "/timeline"])
def test_without_javascript_chart_pages_say_so_and_show_no_dead_controls(browser, server, path):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{server}{path}")
        assert page.locator(".noscript-note").is_visible()
        assert "JavaScript" in page.locator(".noscript-note").inner_text()
        # No blank boxes where charts would be, and no slider or Play button that cannot work.
        heights = page.evaluate("Array.from(document.querySelectorAll('.chart')).map(e => e.offsetHeight)")
        assert heights and max(heights) == 0, heights
        assert page.locator(".time-slider").count() == 0 or not page.locator(".time-slider").is_visible()
        # The text lists are there instead.
        text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
        assert ("Place" in text) if path == "/map" else ("Data table" in text)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("path", ["/needs-review", "/changes", "/"])
def test_freshness_pages_fit_the_screen_with_no_errors(browser, server, path, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        response = page.goto(f"{server}{path}")
        assert response is not None and response.status == 200
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert errors == []
    finally:
        context.close()


# --- what applies in a place, what changed when: pages without charts ----------------------

VIEWPORTS = [(390, 844), (1366, 900)]


def _fits(page) -> None:
    """Nothing wider than the window: no horizontal scrolling on a phone or a laptop."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, (width, inner)


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
@pytest.mark.parametrize(
    ("path", "expect"),
    [
        ("/actors/boston?as_of=2021-01-01", 'li[data-measure="boston-face-surveillance-ban-2020"]'),
        (
            "/actors/boston?as_of=2021-01-01",
            'li[data-measure="massachusetts-police-reform-face-recognition-rules-2020"][data-level="massachusetts"]',
        ),
        (
            "/changes-in?from=2019&to=2019",
            'li[data-change="adopted"][data-measure="san-francisco-face-recognition-ban-2019"]',
        ),
        ("/", "form.place-form select[name=place]"),
    ],
)
def test_place_and_change_pages_fit_and_ask_no_other_host(browser, server, path, expect, width, height):
    watched = Watched(browser, server, width, height)
    try:
        page = watched.visit(f"{server}{path}")
        assert page.locator(expect).count() == 1
        assert page.locator(expect).first.is_visible()
        _fits(page)
        ARTIFACTS.mkdir(exist_ok=True)
        name = urlsplit(path).path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        watched.check()
    finally:
        watched.close()


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=["phone", "laptop"])
def test_without_javascript_the_forms_lead_to_what_applies_and_what_changed(browser, server, width, height):
    watched = Watched(browser, server, width, height, javascript=False)
    try:
        page = watched.visit(f"{server}/")
        page.select_option("#what-applies-place", "boston")
        page.fill("#what-applies-date", "2021-01-01")
        with page.expect_navigation():
            page.click("form.place-form button[type=submit]")
        assert urlsplit(page.url).path == "/actors/boston"
        assert urlsplit(page.url).query == "as_of=2021-01-01"
        assert page.locator('li[data-measure="boston-face-surveillance-ban-2020"]').is_visible()
        assert page.locator('li[data-level="massachusetts"]').count() >= 1
        _fits(page)
        # The page's own date field: another day, and back to today when cleared.
        page.fill("#applies-as-of", "2020-06-01")
        with page.expect_navigation():
            page.click("form.as-of-form button[type=submit]")
        assert page.locator('li[data-measure="boston-face-surveillance-ban-2020"]').count() == 0
        page.fill("#applies-as-of", "")
        with page.expect_navigation():
            page.click("form.as-of-form button[type=submit]")
        assert page.locator("#h-applies").is_visible()

        page = watched.visit(f"{server}/changes-in")
        page.fill("input[name=from]", "2019")
        page.fill("input[name=to]", "2019")
        # Checkboxes, folded away until opened: a click on the summary, no script needed.
        page.locator("details.choices summary", has_text="Level").click()
        page.check("input[name=level][value=city]")
        with page.expect_navigation():
            page.click("form.period-form button[type=submit]")
        assert "from=2019" in page.url and "level=city" in page.url
        assert page.locator(
            'li[data-change="took_effect"][data-measure="san-francisco-face-recognition-ban-2019"]'
        ).is_visible()
        assert (
            page.locator(
                'li[data-change="passed"][data-measure="california-body-camera-biometric-moratorium-2019"]'
            ).count()
            == 0
        )
        _fits(page)
        watched.check()
    finally:
        watched.close()
