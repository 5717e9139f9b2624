"""Exceptions the request layer turns into clear 4xx answers."""

from __future__ import annotations

import re

from werkzeug.exceptions import HTTPException, NotFound, ServiceUnavailable
from werkzeug.routing import BaseConverter, ValidationError

# Ids are 32-bit integers on both engines; a larger number cannot name a row, and passing it
# to PostgreSQL is an error, not an empty result.
MAX_ID = 2**31 - 1
_ID_RE = re.compile(r"[0-9]{1,10}")


class BadParameter(HTTPException):
    """A 400 that names the query parameter at fault."""

    code = 400

    def __init__(self, parameter: str, message: str):
        super().__init__(description=message)
        self.parameter = parameter


class ParameterNotFound(NotFound):
    """A 404 that names the query parameter whose value names nothing (a page past the end
    of a list, a place nobody recorded), like a 400 names its parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(description=message)
        self.parameter = parameter


class PageNotFound(ParameterNotFound):
    """A page past the end of a list: a 404 that names ``page``, so a client paging through
    knows which value went too far."""

    def __init__(self, message: str):
        super().__init__("page", message)


def reject_unknown(args, allowed: set[str] | frozenset[str]) -> None:
    """A 400 naming the first query parameter a page does not take (typos must not pass)."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        takes = ", ".join(sorted(allowed)) or "no parameters"
        raise BadParameter(unknown[0], f"unknown parameter {unknown[0]!r} (this page takes: {takes})")


def parse_id(text: str | None) -> int | None:
    """A record id from text: ASCII digits within the id range, else None. (``str.isdigit``
    accepts '²' and other digits ``int`` refuses.)"""
    if text is None or not _ID_RE.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def id_parameter(name: str, text: str | None) -> int | None:
    """An optional id query parameter: None when absent, a 400 naming it when malformed."""
    if text is None:
        return None
    value = parse_id(text)
    if value is None:
        raise BadParameter(name, f"{text!r} is not a record number (1 to {MAX_ID})")
    return value


class IdConverter(BaseConverter):
    """``<id:revision_id>``: like ``int`` but only ids that can exist, so an overlong number
    is a 404 instead of a database error."""

    regex = r"[0-9]{1,20}"

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValidationError()
        return parsed

    def to_url(self, value) -> str:
        return str(int(value))


class Busy(ServiceUnavailable):
    """The database is busy (a SQLite write lock held too long, a PostgreSQL lock timeout):
    a 503 with Retry-After, never a 500; nothing was written."""

    def __init__(self, retry_after: int = 5):
        super().__init__(
            description=f"The database is busy; nothing was saved. Please try again in {retry_after} seconds."
        )
        self.retry_after = retry_after

    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("Retry-After", str(self.retry_after))]
