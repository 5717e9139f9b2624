"""Every route answers bad input in its address with a 4xx that says what was wrong, on both
engines: overlong or non-ASCII numbers, NUL characters in slugs (PostgreSQL cannot even
compare them). Each URL here was a 500 once."""

from __future__ import annotations

import pytest

from tests.editor_helpers import editor_client, make_world
from tracker.extensions import db

PUBLIC = [
    ("/changes?before=%C2%B2", 400, "before"),
    ("/changes?before=9223372036854775808", 400, "before"),
    ("/changes?before=-1", 400, "before"),
    ("/revisions/9223372036854775808", 404, None),
    ("/corrections/99999999999999999999", 404, None),
    ("/citations/99999999999999999999/history", 404, None),
    ("/citations/%C2%B2/history", 404, None),
    ("/events/a%00", 400, "path"),
    ("/events/a%00.json", 400, "path"),
    ("/events/a%00/history", 400, "path"),
    ("/measures/a%00", 400, "path"),
    ("/actors/a%00.json", 400, "path"),
    ("/sources/a%00", 400, "path"),
    ("/changes-in?from=%C2%B2", 400, "from"),
    ("/changes-in.json?to=99999999999999999999", 400, "to"),
    ("/changes-in.csv?level=a%00", 400, "level"),
    ("/year/9223372036854775808", 404, None),
    ("/year/%C2%B2", 404, None),
    ("/what-applies?place=a%00", 400, "place"),
    ("/what-applies?place=%C2%B2", 404, "place"),
    ("/what-applies?place=" + "a" * 300, 404, "place"),
]

EDITOR = [
    ("/citations/99999999999999999999/edit", 404, None),
    ("/citations/99999999999999999999/delete", 404, None),
    ("/events/springfield-council-bans-face-recognition/edit?correction=%C2%B2", 400, "correction"),
    (
        "/events/springfield-council-bans-face-recognition/edit?correction=99999999999999999999",
        400,
        "correction",
    ),
    ("/events/springfield-council-bans-face-recognition/edit?corection=1", 400, "corection"),
    ("/events/a%00/edit", 400, "path"),
]


@pytest.mark.parametrize("url,status,parameter", PUBLIC)
def test_bad_public_addresses_are_4xx(client, url, status, parameter):
    response = client.get(url)
    assert response.status_code == status
    if parameter:
        assert parameter in response.get_data(as_text=True)


@pytest.mark.parametrize("url,status,parameter", EDITOR)
def test_bad_editor_addresses_are_4xx(app, url, status, parameter):
    with app.app_context():
        make_world(db.session)
    client = editor_client(app)
    response = client.get(url)
    assert response.status_code == status
    if parameter:
        assert parameter in response.get_data(as_text=True)
