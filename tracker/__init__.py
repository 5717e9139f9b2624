"""Surveillance Policy Tracker: an open, citable record of surveillance-technology policy."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module
from . import search  # noqa: F401  (attaches the full-text DDL to the metadata)
from .errors import IdConverter
from .extensions import csrf, db, limiter, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"

__version__ = "0.1.0"


def create_app(config: dict | None = None) -> Flask:
    """The application factory: settings from the environment, overridden by ``config``."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
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
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from . import formatting
    from .views import register_views

    formatting.register(app)
    from . import caching, security

    caching.register(app)
    security.register(app)

    register_views(app)

    from .cli import register_cli

    register_cli(app)
    return app
