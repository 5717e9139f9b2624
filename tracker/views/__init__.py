"""Blueprints: thin views that parse → query → render."""

from __future__ import annotations

from flask import Flask

from . import errors, public


def register_views(app: Flask) -> None:
    errors.register(app)
    app.register_blueprint(public.bp)
