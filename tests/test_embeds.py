"""/embed/map and /embed/timeline: the chart pages with minimal chrome, the only pages other
sites may frame; same parameters (and 400s) as /map and /timeline."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tracker.web import charts as chart_views
from tracker.web import security


@pytest.fixture
def client(loaded_app):
    return loaded_app.test_client()


EMBEDS = ["/embed/timeline", "/embed/map"]


def _frame_ancestors(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    (value,) = re.findall(r"frame-ancestors ([^;]+)", csp)
    return value.strip()


@pytest.mark.parametrize("url", EMBEDS)
def test_embeds_may_be_framed_by_any_site(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert _frame_ancestors(response) == "*"
    assert "X-Frame-Options" not in response.headers
    # The rest of the policy is the site's: no inline script, nothing from another host.
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "default-src 'self'" in csp


@pytest.mark.parametrize("url", ["/map", "/timeline", "/", "/events", "/login", "/no-such-page"])
def test_every_other_page_refuses_other_sites_frames(client, url):
    response = client.get(url)
    assert _frame_ancestors(response) == "'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_only_the_embeds_are_frameable():
    assert set(chart_views.EMBEDS.values()) == security.FRAMEABLE


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/embed/timeline?interval=year", "interval"),
        ("/embed/timeline?kind=nonsense", "kind"),
        ("/embed/timeline?colour=red", "colour"),
        ("/embed/map?view=mars", "view"),
        ("/embed/map?as_of=2019-13-01", "as_of"),
    ],
)
def test_bad_parameters_are_400s_naming_them(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    assert parameter in response.get_data(as_text=True)
    full = client.get(url.replace("/embed", ""))
    assert full.status_code == 400  # the same parsing as the full page


@pytest.mark.parametrize(
    ("url", "page", "what"),
    [
        ("/embed/timeline?kind=adopted&country=US", "/timeline", "events over time"),
        ("/embed/map?as_of=2021-01-01&view=us", "/map", "on the map"),
    ],
)
def test_embeds_have_a_caption_and_link_back_with_the_same_parameters(client, url, page, what):
    html = client.get(url).get_data(as_text=True)
    caption = re.search(r'<header class="embed-caption">(.*?)</header>', html, re.S)
    assert caption is not None and what in caption.group(1)
    assert "as of" in caption.group(1)
    if "as_of" in url:
        assert "1 January 2021" in caption.group(1)
    links = re.findall(r'<a href="([^"]+)" rel="noopener">See the full record</a>', html)
    assert len(links) == 1
    back = urlsplit(links[0].replace("&amp;", "&"))
    assert back.path == page and back.query == urlsplit(url).query
    # Minimal chrome: no site navigation; links leave the frame.
    assert 'class="site"' not in html and '<base target="_blank">' in html
    assert re.search(r'<div class="chart\b', html)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag


def test_the_timeline_embed_shows_the_charts_without_the_pages_tables(client):
    html = client.get("/embed/timeline").get_data(as_text=True)
    assert 'id="chart-events"' in html and 'id="chart-in-effect"' in html
    assert "Data table" not in html and 'id="chart-lifespans"' not in html
    assert "the full" in html  # the sentence for readers without JavaScript


@pytest.mark.parametrize("page", ["/timeline", "/map"])
def test_chart_pages_offer_the_snippet_to_embed_them(client, page):
    html = client.get(f"{page}?technology=face-recognition").get_data(as_text=True)
    snippet = re.search(r"<textarea readonly[^>]*>(.*?)</textarea>", html, re.S)
    assert snippet is not None
    text = snippet.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert text.startswith('<iframe src="http://localhost/embed' + page + '?technology=face-recognition"')
    assert client.get("/events").get_data(as_text=True).count("<textarea readonly") == 0
