"""Public answers computed once per data version and shared by every worker of a machine.

Why: a public page, list, export or chart is a pure function of (the data, the UTC date,
the URL, the Accept header); the ETag (:mod:`tracker.web.caching`) already relies on that.
Each gunicorn worker re-rendering the same map, CSV or data package after every request (or
every one of them paying the first request after an edit) was most of the cost at 100,000
events. So the first worker to answer writes the bytes it sends to a file, and every worker
serves later requests for the same key from that file (with ``sendfile`` past a megabyte).

- **Key:** the database (its URL, hashed), the data version with a hash of the code
  (:func:`code_stamp`: an upgrade must not serve the old version's
  pages), the UTC date, the full URL with its query string and host (records carry absolute
  URLs), and the Accept header. An edit bumps the version (same transaction), so nothing
  written before it can answer after it.
- **Where:** ``RESPONSE_CACHE_DIR`` (default ``instance/response-cache``), one directory per
  database and version; directories of older versions are removed when a newer one is made.
  Files, not Redis: downloads run to megabytes, and a file is served by the kernel.
- **What:** anonymous GETs of the cached blueprints answered 200, without a cookie being
  set, up to ``RESPONSE_CACHE_MAX_BYTES`` each and ``RESPONSE_CACHE_MAX_ENTRIES`` answers per
  version (past that, answers are computed and sent but not kept). A streamed answer is
  written as it is sent; the entry appears (by an atomic rename) only once the whole body
  was produced, so a client that disconnects half-way never leaves a truncated entry.
- **Off:** ``RESPONSE_CACHE_DIR = ""``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from flask import Flask, Response, current_app, g, request, send_file, session

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # tracker/
# Headers kept with a cached body (the rest are set again per request by after_request).
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "X-Data-Version", "Link")
# Smaller answers are read into memory (no file left open); larger ones go by sendfile.
IN_MEMORY_BYTES = 1 << 20


def cache_dir(app: Flask) -> Path | None:
    configured = app.config.get("RESPONSE_CACHE_DIR")
    if configured == "":
        return None
    return Path(configured) if configured else Path(app.instance_path) / "response-cache"


def _version_dir(root: Path, database: str, version: str) -> Path:
    return root / hashlib.sha256(database.encode()).hexdigest()[:16] / version


@functools.cache
def code_stamp() -> str:
    """A hash of the package's own files (code, templates, static files), computed once per
    process. An answer is a function of the code as much as of the data: without this in
    the cache's keys and the ETags, an upgrade would keep serving the old version's pages
    (and 304s) until the next edit."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def entry_key(version: str, day: str) -> str:
    """The file name of this request's answer."""
    parts = [version, code_stamp(), day, request.url, request.headers.get("Accept", "")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def lookup(app: Flask, database: str, version: str, day: str) -> Response | None:
    """The cached answer to this request, served from its file, or None."""
    root = cache_dir(app)
    if root is None:
        return None
    directory = _version_dir(root, database, version)
    key = entry_key(version, day)
    body = directory / f"{key}.body"
    try:
        meta = json.loads((directory / f"{key}.json").read_text())
        if body.stat().st_size <= IN_MEMORY_BYTES:
            response = Response(body.read_bytes())
        else:
            response = send_file(body, mimetype=meta["headers"].get("Content-Type"), conditional=False)
            del response.headers["Content-Disposition"]  # the cache file's name; the answer's own follows
    except (OSError, ValueError, KeyError):
        if request.method == "GET":  # after_request stores the answer (a HEAD has no body)
            g.response_cache = (directory, key)
        return None
    for name, value in meta["headers"].items():
        response.headers[name] = value
    response.headers["X-Response-Cache"] = "hit"
    return response


def _storable(response: Response) -> bool:
    if response.status_code != 200 or response.headers.get("Set-Cookie"):
        return False
    # Flask writes the session cookie after this hook: an anonymous visitor's session must
    # be empty and untouched, or the answer depends on it (a flashed message).
    return not session.modified and not dict(session)


def store(response: Response) -> Response:
    """Tee the response into the cache as it is sent (called from after_request)."""
    target = g.pop("response_cache", None)
    if target is None or not _storable(response):
        return response
    directory, key = target
    limit = current_app.config.get("RESPONSE_CACHE_MAX_BYTES", 512 * 1024 * 1024)
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    response.headers["X-Response-Cache"] = "miss"
    if _full(directory, current_app.config.get("RESPONSE_CACHE_MAX_ENTRIES", 5000)):
        return response
    if response.is_streamed:
        response.response = _tee(response.response, directory, key, headers, limit)
        return response
    body = response.get_data()
    if len(body) <= limit:
        _write(directory, key, headers, [body])
    return response


def _full(directory: Path, max_entries: int) -> bool:
    """Whether this version already keeps ``max_entries`` answers. Free-text searches make
    the keys unbounded: without a cap, a crawler (or an attacker) sending ``q=`` after ``q=``
    would fill the disk before the next edit cleared the directory."""
    try:
        return sum(1 for name in os.listdir(directory) if name.endswith(".body")) >= max_entries
    except FileNotFoundError:
        return False


def _open_temp(directory: Path):
    """A temporary file in the version's directory (created, with its parent's older
    versions removed, the first time a version is written)."""
    if not directory.exists():
        directory.mkdir(parents=True, exist_ok=True)
        _remove_older_versions(directory)
    return tempfile.NamedTemporaryFile(dir=directory, prefix=".tmp-", delete=False)  # noqa: SIM115


def _publish(tmp_name: str, directory: Path, key: str, headers: dict) -> None:
    os.replace(tmp_name, directory / f"{key}.body")
    meta_tmp = directory / f".tmp-{key}.json"
    meta_tmp.write_text(json.dumps({"headers": headers}))
    os.replace(meta_tmp, directory / f"{key}.json")


def _write(directory: Path, key: str, headers: dict, chunks: Iterable[bytes]) -> None:
    try:
        with _open_temp(directory) as tmp:
            for chunk in chunks:
                tmp.write(chunk)
        _publish(tmp.name, directory, key, headers)
    except OSError:
        current_app.logger.warning("response cache: could not write %s", directory, exc_info=True)


def _tee(body: Iterable, directory: Path, key: str, headers: dict, limit: int) -> Iterator[bytes]:
    """Yield the body unchanged, writing it to a temporary file; publish it when complete."""
    tmp = None
    written = 0
    try:
        tmp = _open_temp(directory)
    except OSError:
        tmp = None
    complete = False
    try:
        for chunk in body:
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            if tmp is not None:
                written += len(data)
                if written > limit:
                    tmp.close()
                    os.unlink(tmp.name)
                    tmp = None
                else:
                    tmp.write(data)
            yield data
        complete = True
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
        if tmp is not None:
            tmp.close()
            if complete:
                try:
                    _publish(tmp.name, directory, key, headers)
                except OSError:
                    os.unlink(tmp.name)
            else:
                os.unlink(tmp.name)


def _remove_older_versions(directory: Path) -> None:
    """Remove the directories of older versions of the same database (never asked for
    again: versions only go up). A worker still sending from one keeps its open file; a
    request that began before an edit and writes its old version late removes nothing newer."""
    mine = int(directory.name)
    for sibling in directory.parent.iterdir():
        if sibling.is_dir() and sibling.name.isdigit() and int(sibling.name) < mine:
            shutil.rmtree(sibling, ignore_errors=True)
