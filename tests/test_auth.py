"""Accounts: hashing, login/logout, roles, CSRF, rate limits, and login-protected writes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.editor_helpers import PASSWORD, add_user, editor_client, login, setup_world
from tracker.accounts import users as auth
from tracker.db.models import User
from tracker.extensions import db


def test_passwords_are_hashed_with_scrypt(session):
    user = auth.create_user(session, "Someone@Example.org", PASSWORD, "editor")
    session.commit()
    assert user.email == "someone@example.org"
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert auth.check_password(user, PASSWORD)
    assert not auth.check_password(user, "wrong password!")


def test_create_user_refuses_duplicates_bad_roles_and_short_passwords(session):
    auth.create_user(session, "a@example.org", PASSWORD)
    session.commit()
    with pytest.raises(ValueError, match="already exists"):
        auth.create_user(session, "A@example.org", PASSWORD)
    with pytest.raises(ValueError, match="Unknown role"):
        auth.create_user(session, "b@example.org", PASSWORD, role="owner")
    with pytest.raises(ValueError, match="at least"):
        auth.create_user(session, "c@example.org", "short")


def test_login_and_logout(app):
    add_user(app)
    client = app.test_client()
    assert login(client, "editor@example.org", "wrong password").status_code == 200
    response = login(client, "editor@example.org")
    assert response.status_code == 302
    assert client.get("/events/new").status_code == 200
    assert client.post("/logout").status_code == 302
    response = client.get("/events/new")
    assert response.status_code == 302 and "/login" in response.location


def test_wrong_password_shows_a_message_at_the_field(app):
    add_user(app)
    response = login(app.test_client(), "editor@example.org", "not the password")
    assert b"Wrong e-mail address or password." in response.data


def test_login_redirects_only_to_local_pages(app):
    add_user(app)
    client = app.test_client()
    response = client.post(
        "/login?next=https://evil.example/", data={"email": "editor@example.org", "password": PASSWORD}
    )
    assert response.location.endswith("/changes")
    client.post("/logout")
    response = client.post(
        "/login?next=/events/new", data={"email": "editor@example.org", "password": PASSWORD}
    )
    assert response.location.endswith("/events/new")


@pytest.mark.parametrize(
    "url", ["/events/new", "/measures/new", "/actors/new", "/sources/new", "/sources/ingest"]
)
def test_writes_need_a_login(client, url):
    response = client.post(url, data={"title": "x"})
    assert response.status_code == 302
    assert "/login" in response.location


def test_edit_and_delete_need_a_login(app):
    world = setup_world(app)
    client = app.test_client()
    for url in (
        f"/events/{world['event']}/edit",
        f"/events/{world['event']}/delete",
        f"/measures/{world['measure']}/edit",
        f"/sources/{world['source']}/delete",
    ):
        response = client.post(url, data={})
        assert response.status_code == 302 and "/login" in response.location, url


def test_public_pages_stay_public(app):
    world = setup_world(app)
    client = app.test_client()
    assert client.get("/changes").status_code == 200
    assert client.get(f"/events/{world['event']}/history").status_code == 200
    assert client.get("/corrections").status_code == 200


def test_post_without_csrf_token_is_refused(make_app, engine_name):
    from tests.conftest import _reset

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        _reset(engine_name)
    add_user(app)
    client = app.test_client()
    response = client.post("/login", data={"email": "editor@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert b"CSRF" in response.data
    # With the token from the form, the same login works.
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": "editor@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    # A logged-in editor's form POST without the token is refused too.
    response = client.post("/actors/new", data={"name": "Somewhere", "kind": "city"})
    assert response.status_code == 400


def test_editor_cannot_manage_users(app):
    client = editor_client(app)
    assert client.get("/users").status_code == 403
    assert (
        client.post(
            "/users", data={"email": "x@example.org", "role": "admin", "password": PASSWORD}
        ).status_code
        == 403
    )
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_admin_manages_users(app):
    client = editor_client(app, "admin@example.org", "admin")
    assert client.get("/users").status_code == 200
    response = client.post(
        "/users", data={"email": "new@example.org", "role": "editor", "password": PASSWORD}
    )
    assert response.status_code == 302
    with app.app_context():
        user = auth.find_user(db.session, "new@example.org")
        user_id = user.id
    response = client.post(f"/users/{user_id}", data={f"u{user_id}-role": "admin", f"u{user_id}-active": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert auth.find_user(db.session, "new@example.org").role == "admin"


def test_deactivated_user_is_logged_out(app):
    admin = editor_client(app, "admin@example.org", "admin")
    editor = editor_client(app)
    assert editor.get("/events/new").status_code == 200
    with app.app_context():
        user_id = auth.find_user(db.session, "editor@example.org").id
    admin.post(f"/users/{user_id}", data={f"u{user_id}-role": "editor"})  # active unticked
    assert editor.get("/events/new").status_code == 302
    assert login(app.test_client(), "editor@example.org").status_code == 200  # refused


def test_change_password_logs_out_other_sessions(app):
    first = editor_client(app)
    second = app.test_client()
    login(second, "editor@example.org")
    response = first.post(
        "/account/password",
        data={"current": PASSWORD, "new": "another long password", "confirm": "another long password"},
    )
    assert response.status_code == 302
    assert first.get("/events/new").status_code == 200
    assert second.get("/events/new").status_code == 302
    assert login(app.test_client(), "editor@example.org", "another long password").status_code == 302


def test_change_password_errors_are_at_the_fields(app):
    client = editor_client(app)
    response = client.post(
        "/account/password",
        data={"current": "nope nope nope", "new": "another long password", "confirm": "different one!!"},
    )
    assert b"The two entries differ." in response.data
    response = client.post(
        "/account/password",
        data={
            "current": "nope nope nope",
            "new": "another long password",
            "confirm": "another long password",
        },
    )
    assert b"This is not your current password." in response.data


def test_login_is_rate_limited(make_app, engine_name):
    from tests.conftest import _reset

    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        _reset(engine_name)
    client = app.test_client()
    codes = [login(client, "nobody@example.org", "wrong password").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5
    assert codes[-1] == 429


def test_session_cookie_flags(app):
    add_user(app)
    client = app.test_client()
    response = login(client, "editor@example.org")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
