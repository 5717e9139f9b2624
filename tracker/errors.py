"""Exceptions the request layer turns into clear 4xx answers."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException


class BadParameter(HTTPException):
    """A 400 that names the query parameter at fault."""

    code = 400

    def __init__(self, parameter: str, message: str):
        super().__init__(description=message)
        self.parameter = parameter


def reject_unknown(args, allowed: set[str] | frozenset[str]) -> None:
    """A 400 naming the first query parameter a page does not take (typos must not pass)."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        takes = ", ".join(sorted(allowed)) or "no parameters"
        raise BadParameter(unknown[0], f"unknown parameter {unknown[0]!r} (this page takes: {takes})")
