"""The app factory, configuration, health check and error pages."""

from __future__ import annotations

import pytest

from tracker import create_app
from tracker.config import ConfigError, normalise_database_url


def test_secret_key_is_required_outside_debug_and_tests(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SECRET_KEY"] == "s3cret"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("SECRET_KEY", "x")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/tracker.sqlite3")


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_dead_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_friendly_404_in_html_and_json(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"404" in response.data and b"Back to the home page" in response.data
    response = client.get("/no-such-page.json")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_unexpected_errors_are_a_friendly_500(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert b"Something went wrong" in response.data


def test_home_lists_latest_events_with_sources(loaded_app):
    response = loaded_app.test_client().get("/")
    assert response.status_code == 200
    assert b"Latest events" in response.data
    assert b"<blockquote>" in response.data or b'href="http' in response.data


def test_security_headers_on_every_page(client):
    for path in ("/", "/events", "/events.json", "/no-such-page", "/map"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "default-src 'self'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_page_links_its_icon_and_favicon_ico_leads_there(client):
    html = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()


def test_list_titles_keep_the_capitals_of_their_caption(shared_client):
    html = shared_client.get("/measures?status=in_effect&as_of=2021-01-01").get_data(as_text=True)
    assert "<title>Measures in effect on 1 January 2021 · " in html
