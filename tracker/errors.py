"""Exceptions the request layer turns into clear 4xx answers."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException


class BadParameter(HTTPException):
    """A 400 that names the query parameter at fault."""

    code = 400

    def __init__(self, parameter: str, message: str):
        super().__init__(description=message)
        self.parameter = parameter
