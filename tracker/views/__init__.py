"""Blueprints: thin views that parse → query → render."""

from __future__ import annotations

from flask import Flask

from . import auth, browse, charts, corrections, editor, errors, feeds, meta, public


def register_views(app: Flask) -> None:
    errors.register(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(meta.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(corrections.bp)
    app.register_blueprint(charts.bp)
