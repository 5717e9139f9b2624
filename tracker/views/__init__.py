"""Blueprints: thin views that parse → query → render."""

from __future__ import annotations

from flask import Flask

from . import browse, errors, feeds, meta, public


def register_views(app: Flask) -> None:
    errors.register(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(meta.bp)
