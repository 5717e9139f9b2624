"""Security headers on every response.

A privacy tool should not leak its visitors: the Content-Security-Policy allows scripts,
styles, images and connections from this site only (plotly.js and the map outlines are
ours), forbids inline scripts (figures reach the chart pages as JSON data, not code) and
framing by other sites. Links to sources leave with the page's origin at most.
"""

from __future__ import annotations

from flask import Flask, Response

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


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
