"""Surveillance Policy Tracker: an open, citable record of surveillance-technology policy."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import config as config_module
from tracker.accounts import routes as auth_routes
from tracker.cli import register_cli
from tracker.corrections import routes as correction_routes
from tracker.db import search  # noqa: F401  (attaches the full-text DDL to the metadata)
from tracker.editing import history_routes, ingest_routes  # noqa: F401  (their routes join the editor blueprint)
from tracker.editing import routes as editing_routes
from tracker.extensions import csrf, db, limiter, login_manager, migrate
from tracker.read.parameters import IdConverter
from tracker.version import __version__  # noqa: F401  (the package's version, re-exported)
from tracker.web import (
    browse,
    caching,
    charts,
    errors,
    feeds,
    meta,
    public,
    review,
    security,
    templating,
    transitions,
)

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PACKAGE_DIR / "db" / "migrations"
# Site overrides: a template here replaces the package's template of the same name (see
# templates/README.md). Looked up in the working directory's templates/ (a checkout) or
# TRACKER_TEMPLATES, so an installed wheel can be customised without editing the package.
OVERRIDES_DIR = Path(os.environ.get("TRACKER_TEMPLATES", PROJECT_DIR / "templates"))


def create_app(config: dict | None = None) -> Flask:
    """The application factory: settings from the environment, overridden by ``config``."""
    app = Flask(
        __name__,
        template_folder=str(PACKAGE_DIR / "templates"),
        static_folder=str(PACKAGE_DIR / "static"),
        instance_path=os.environ.get("TRACKER_INSTANCE", str(PROJECT_DIR / "instance")),
    )
    app.config.update(config_module.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    config_module.check(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.url_map.converters["id"] = IdConverter

    proxies = int(app.config.get("TRACKER_PROXIES", 0))
    if proxies:
        # Behind nginx/Caddy every request comes from the proxy: without this all clients
        # would share one rate-limit bucket and links would use the proxy's scheme and host.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask types wsgi_app as a method
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    if OVERRIDES_DIR.is_dir():
        loaders: list[BaseLoader] = [FileSystemLoader(str(OVERRIDES_DIR))]
        if app.jinja_loader is not None:  # the package's templates/ (always there)
            loaders.append(app.jinja_loader)
        app.jinja_loader = ChoiceLoader(loaders)

    templating.register(app)
    caching.register(app)
    security.register(app)
    register_blueprints(app)

    register_cli(app)
    return app


def register_blueprints(app: Flask) -> None:
    """The public site, then each of the editors', accounts' and corrections' blueprints:
    the one place that knows them all (no layer imports another's routes)."""
    errors.register(app)
    for blueprint in (
        public.bp,
        browse.bp,
        feeds.bp,
        meta.bp,
        auth_routes.bp,
        editing_routes.bp,
        correction_routes.bp,
        charts.bp,
        review.bp,
        transitions.bp,
    ):
        app.register_blueprint(blueprint)
