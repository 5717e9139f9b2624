"""/timeline and /map over HTTP: filters, captions, exports, no inline script, sizes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.datafiles.load import load
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent
JSON_BLOCK = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


@pytest.fixture
def client(loaded_app):
    return loaded_app.test_client()


def _json_blocks(html: str) -> dict[str, str]:
    return dict(JSON_BLOCK.findall(html))


def _scripts(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


@pytest.mark.parametrize("url", ["/timeline", "/map"])
def test_pages_have_no_inline_script_and_one_plotly_bundle(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for tag in _scripts(html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    bundles = [t for t in _scripts(html) if "/static/vendor/plotly/" in t]
    assert len(bundles) == 1
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "http://" not in "".join(_scripts(html)) and "https://" not in "".join(_scripts(html))
    config = json.loads(_json_blocks(html)["plotly-config"])
    assert config["topojsonURL"] == "/static/vendor/topojson/"


def test_vendored_files_are_served(client):
    for path in (
        "vendor/plotly/plotly-basic.min.js",
        "vendor/plotly/plotly-geo.min.js",
        "vendor/topojson/usa_110m.json",
        "vendor/topojson/world_110m.json",
    ):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        response.close()


def test_timeline_applies_the_events_filters(client):
    html = client.get("/timeline?kind=adopted&country=US&interval=month").get_data(as_text=True)
    assert "Adopted events in United States" in html
    events = json.loads(_json_blocks(html)["fig-events"])
    assert {t["name"] for t in events["data"]} == {"Adopted or enacted"}
    assert {k for t in events["data"] for k in t["meta"]["kinds"]} == {"adopted"}
    assert 'href="/events.csv?kind=adopted&amp;country=US"' in html
    assert "<details" in html and "Data table" in html


def test_timeline_lifespans_link_to_measures(client):
    html = client.get("/timeline?q=San+Francisco").get_data(as_text=True)
    assert 'data-click-url="/measures/__slug__"' in html
    assert 'href="/measures/san-francisco-face-recognition-ban-2019"' in html


def test_timeline_caps_the_lifespans(loaded_app):
    loaded_app.config["TIMELINE_MEASURE_LIMIT"] = 3
    html = loaded_app.test_client().get("/timeline").get_data(as_text=True)
    assert re.search(r"Showing the 3 most recently started of \d+ measures: narrow the filter", html)


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/timeline?interval=year", "interval"),
        ("/map?view=mars", "view"),
        ("/map?kind=adopted", "kind"),
        ("/timeline?as_of=2019-13-01", "as_of"),
        ("/map?measure_type=nope", "measure_type"),
    ],
)
def test_bad_parameters_are_400s_naming_them(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    assert parameter in response.get_data(as_text=True)


def test_map_as_of_lists_the_places(client):
    before = client.get("/map?as_of=2019-01-01").get_data(as_text=True)
    after = client.get("/map?as_of=2019-06-01").get_data(as_text=True)
    assert 'data-place="san-francisco"' not in before
    # Each place's name leads to what applies there on the date shown.
    assert (
        '<tr data-place="san-francisco"><td><a href="/actors/san-francisco?as_of=2019-06-01#h-applies"'
        in after
    )
    assert "in effect since 21 May 2019" in after
    payload = json.loads(_json_blocks(after)["map-data"])
    assert [p for p in payload["places"] if p["name"] == "San Francisco"]
    assert 'href="/map.csv?as_of=2019-06-01"' in after


def test_map_lists_corporate_measures_beside_it(client):
    html = client.get("/map?as_of=2021-01-01").get_data(as_text=True)
    side = html[html.index('id="corporate-list"') : html.index("</ul>", html.index('id="corporate-list"'))]
    assert "Amazon" in side


def test_map_world_view_and_filters(client):
    html = client.get("/map?view=world&country=US").get_data(as_text=True)
    assert 'id="map-world" data-figure="fig-map-world" data-view="world"' in html
    assert 'id="map-us" data-figure="fig-map-us" data-view="us"' in html and "hidden role" in html
    # The country filter applies to what the map draws: Italy (until 2023) and Hungary
    # (from 2025) only without it.
    for day, country in (("2023-06-01", "Italy"), ("2025-06-01", "Hungary")):
        everywhere = _json_blocks(client.get(f"/map?view=world&as_of={day}").get_data(as_text=True))[
            "map-data"
        ]
        assert country in everywhere
        only_us = client.get(f"/map?view=world&country=US&as_of={day}").get_data(as_text=True)
        assert country not in _json_blocks(only_us)["map-data"]


def test_figure_json_stays_small_on_synthetic_data(make_app, engine_name, tmp_path):
    """Sizes do not grow with the data: counts in SQL, lifespans capped, places sent once."""
    out = tmp_path / "synth"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "synth"), str(out), "--events", "3000", "--seed", "2"],
        check=True,
        capture_output=True,
    )
    app = make_app()
    with app.app_context():
        from tests.conftest import _reset

        _reset(engine_name)
        load(out, db.session)
    client = app.test_client()
    for url in ("/timeline", "/timeline?interval=month", "/map"):
        html = client.get(url).get_data(as_text=True)
        size = sum(len(v.encode()) for v in _json_blocks(html).values())
        assert size < 300_000, (url, size)
