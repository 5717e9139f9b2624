"""Error pages: friendly HTML, and the JSON error shape of docs/architecture.md for `.json` URLs.

Every bad input ends here as a 4xx that names what was wrong; an unexpected error is a 500
page that leaks nothing.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from tracker.extensions import db
from tracker.read.parameters import BadParameter, Busy

# What SQLite and PostgreSQL say when a lock could not be had in time.
_LOCK_MESSAGES = (
    "database is locked",
    "database table is locked",
    "lock timeout",
    "could not obtain lock",
    "deadlock detected",
    "could not serialize",
)


def is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(m in text for m in _LOCK_MESSAGES)


def wants_json() -> bool:
    if request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def wants_text() -> bool:
    return request.path.endswith((".csv", ".atom", ".zip"))


# A JSON response, or a body and status (and headers) for Flask to make one of.
ErrorResponse = Response | tuple[str, int] | tuple[str, int, dict[str, str]]


def error_response(exc: HTTPException) -> ErrorResponse:
    status = exc.code or 500
    parameter = getattr(exc, "parameter", None)
    message = exc.description or exc.name
    response: ErrorResponse
    if wants_json():
        body = {"error": {"status": status, "message": message}}
        if parameter:
            body["error"]["parameter"] = parameter
        response = jsonify(body)
        response.status_code = status
    elif wants_text():
        text = f"{status} {exc.name}: " + (f"{parameter}: " if parameter else "") + message
        response = (text + "\n", status, {"Content-Type": "text/plain; charset=utf-8"})
    else:
        response = (
            render_template("error.html", status=status, name=exc.name, message=message, parameter=parameter),
            status,
        )
    return response


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """No legitimate address, parameter or form field holds a NUL character, and
        PostgreSQL cannot store or compare one: a clear 400 instead of a database error."""
        if "\x00" in request.path:
            raise BadParameter("path", "the address contains a NUL character")
        sources = [request.args, request.form] if request.method == "POST" else [request.args]
        for source in sources:
            for name, value in source.items(multi=True):
                if "\x00" in value:
                    raise BadParameter(name, "contains a NUL character")

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        response = error_response(exc)
        if isinstance(response, tuple):
            response = make_response(*response) if len(response) == 3 else make_response(response)
        for key, value in exc.get_headers() if exc.code in (405, 503) else []:
            if key.lower() in ("allow", "retry-after"):
                response.headers[key] = value
        return response

    @app.errorhandler(OperationalError)
    def handle_busy(exc: OperationalError):
        """A lock the database could not get in time is a 503 to retry, not a crash."""
        db.session.rollback()
        if is_lock_error(exc):
            app.logger.warning("Database busy on %s: %s", request.path, exc.orig)
            return handle_http(Busy())
        return handle_unexpected(exc)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return handle_http(exc)
        app.logger.exception("Unhandled error on %s", request.path)
        return handle_http(
            InternalServerError(
                "Something went wrong on our side. The error was logged; please try again later."
            )
        )
