"""Behind a reverse proxy each client keeps its own rate-limit bucket, and without one a
client cannot pick a new bucket by sending X-Forwarded-For itself."""

from __future__ import annotations

import pytest

from tests.conftest import _reset
from tracker.extensions import limiter


def _bad_logins(client, address: str, n: int) -> list[int]:
    return [
        client.post(
            "/login",
            data={"email": "x@example.org", "password": "wrong password!"},
            headers={"X-Forwarded-For": address},
        ).status_code
        for _ in range(n)
    ]


@pytest.fixture
def limited(make_app, engine_name):
    def build(proxies: int):
        app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", TRACKER_PROXIES=proxies)
        with app.app_context():
            _reset(engine_name)
            limiter.reset()
        return app

    return build


def test_behind_one_proxy_each_client_has_its_own_bucket(limited):
    client = limited(1).test_client()
    assert _bad_logins(client, "203.0.113.1", 6) == [200] * 5 + [429]
    assert _bad_logins(client, "203.0.113.2", 1) == [200]


def test_without_a_proxy_a_forged_header_does_not_reset_the_limit(limited):
    client = limited(0).test_client()
    assert _bad_logins(client, "203.0.113.1", 5) == [200] * 5
    assert _bad_logins(client, "198.51.100.7", 1) == [429]
