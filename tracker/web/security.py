"""Security headers on every response.

A privacy tool should not leak its visitors: the Content-Security-Policy allows scripts,
styles, images and connections from this site only (plotly.js and the map outlines are
ours), forbids inline scripts (figures reach the chart pages as JSON data, not code) and
framing by other sites. Links to sources leave with the page's origin at most.

The one exception is the embeds (``/embed/map``, ``/embed/timeline``), made to be framed
by advocates' sites: for them alone ``frame-ancestors *`` and no X-Frame-Options. Every
other page, errors included, keeps ``frame-ancestors 'self'``, so a form or an editor's page
cannot be framed for clickjacking.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # frame-ancestors for current browsers, X-Frame-Options for older ones.
    "X-Frame-Options": "SAMEORIGIN",
}

FRAMEABLE = frozenset({"charts.embed_map", "charts.embed_timeline"})
"""Endpoints other sites may frame (tests/test_embeds.py checks these are the embeds)."""
EMBED_CSP = CSP.replace("frame-ancestors 'self'", "frame-ancestors *")
EMBED_HEADERS = {
    **{name: value for name, value in HEADERS.items() if name != "X-Frame-Options"},
    "Content-Security-Policy": EMBED_CSP,
}


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = EMBED_HEADERS if request.endpoint in FRAMEABLE else HEADERS
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
