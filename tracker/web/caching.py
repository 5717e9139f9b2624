"""HTTP caching and cross-origin reads for public GETs.

ETag and Last-Modified come from the dataset's last change *and the date*: statuses are
derived from the date, so yesterday's page is stale today even if nobody edited anything.
The tag is computed before the view runs, so a matching ``If-None-Match`` costs one small
query instead of the whole page, and so does an answer another worker already computed for
the same version, date and URL (:mod:`tracker.web.responsecache`). Logged-in pages are
never stored by shared caches, nor by ours.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Flask, Response, g, request
from flask_login import current_user

from tracker.core.status import today
from tracker.extensions import db
from tracker.read.lifecycles import dataset_fingerprint
from tracker.web import responsecache

PUBLIC_DATA_SUFFIXES = (".json", ".csv", ".atom", ".zip")
# The blueprints whose pages are computed from the public dataset alone (and the date).
CACHED_BLUEPRINTS = ("public", "browse", "feeds", "meta", "charts", "transitions", "review")


def dataset_stamp() -> tuple[str, dt.datetime | None]:
    """The data version, read first on every public request.

    On PostgreSQL it is read on a connection of its own in autocommit: through the session
    it took four round trips (the pool's ping, BEGIN, the SELECT, the ROLLBACK when the
    request ends), and an answer served from the response cache needs nothing else from
    the database; in autocommit it is the ping and the SELECT. At READ COMMITTED the
    session's transaction gave no snapshot to share with the page anyway: each of the
    page's statements sees the latest commit, as before. On SQLite the session's read
    transaction does pin one snapshot for the version and the page, and costs no round
    trip, so it stays there.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return dataset_fingerprint(db.session)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return dataset_fingerprint(connection)


def _cacheable() -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if request.endpoint in (None, "static", "public.healthz"):
        return False
    # Only pages computed from the dataset: the tag says nothing about revisions, the
    # corrections queue or accounts, whose pages must never be answered with a stale 304.
    if request.blueprint not in CACHED_BLUEPRINTS:
        return False
    return not current_user.is_authenticated


def register(app: Flask) -> None:
    @app.before_request
    def check_etag():
        g.etag = None
        if not _cacheable():
            return None
        try:
            fingerprint, newest = dataset_stamp()
        except Exception:  # noqa: BLE001 - caching must never break a page
            db.session.rollback()
            return None
        # The data version and the code together: an edit or an upgrade makes every tag new.
        key = "\n".join(
            [
                fingerprint,
                responsecache.code_stamp(),
                today().isoformat(),
                request.full_path,
                request.headers.get("Accept", ""),
            ]
        )
        g.etag = hashlib.sha256(key.encode()).hexdigest()[:32]
        g.last_modified = newest
        if request.if_none_match.contains_weak(g.etag):
            response = Response(status=304)
            _decorate(response)
            return response
        return responsecache.lookup(app, str(db.engine.url), fingerprint, today().isoformat())

    @app.after_request
    def add_headers(response: Response) -> Response:
        _decorate(response)
        return responsecache.store(response)


def _decorate(response: Response) -> None:
    if request.path.endswith(PUBLIC_DATA_SUFFIXES) or request.path == "/openapi.json":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, X-Data-Version"
    if getattr(g, "etag", None) and response.status_code in (200, 304):
        response.set_etag(g.etag, weak=True)
        if g.last_modified is not None:
            response.last_modified = g.last_modified.replace(tzinfo=dt.UTC)
        response.headers["Cache-Control"] = "public, no-cache"
        response.vary.add("Accept")
        response.vary.add("Cookie")
    elif request.method in ("GET", "HEAD") and request.endpoint != "static":
        response.headers["Cache-Control"] = "private, no-store"
