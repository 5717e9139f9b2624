"""Shared helpers for the editor tests: a small world of records, accounts, logging in."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tracker.accounts import users as auth
from tracker.db.models import Actor, Citation, Event, Measure, Source, Technology
from tracker.extensions import db

PASSWORD = "correct horse battery staple"
STATEMENT = (
    "Springfield, Mass. - The City Council today voted 11-0 to ban the use of face "
    "recognition by city agencies.\n\nThe ordinance was introduced in May of 2019."
)


def make_world(session) -> dict:
    """Two places, a council, a measure, an event and a source with a stored text."""
    tech = Technology(slug="face-recognition", name="Face recognition")
    state = Actor(slug="massachusetts", name="Massachusetts", kind="region", country="US", region="US-MA")
    city = Actor(
        slug="springfield-massachusetts",
        name="Springfield",
        kind="city",
        parent=state,
        country="US",
        region="US-MA",
        latitude=42.1,
        longitude=-72.6,
    )
    council = Actor(
        slug="springfield-city-council",
        name="Springfield City Council",
        kind="legislature",
        parent=city,
        aliases="Springfield Council",
    )
    measure = Measure(
        slug="springfield-ban",
        title="Springfield ban on face recognition",
        measure_type="ban",
        scope="government_use",
        adopted_by=council,
        jurisdiction=city,
        technologies=[tech],
        identifiers="Ordinance 12",
    )
    event = Event(
        slug="springfield-council-bans-face-recognition",
        date=dt.date(2020, 2, 24),
        date_precision="day",
        certainty="verified",
        kind="adopted",
        measure=measure,
        actor=council,
        title="Springfield council bans face recognition",
    )
    source = Source(
        slug="springfield-press-release",
        title="Council bans face recognition",
        publisher="City of Springfield",
        kind="statement",
        url="https://example.org/springfield",
        published=dt.date(2020, 2, 24),
        published_precision="day",
    )
    source.set_text(STATEMENT)
    citation = Citation(
        event=event,
        source=source,
        role="announcement",
        quote="The City Council today voted 11-0 to ban the use of face recognition",
    )
    session.add_all([tech, state, city, council, measure, event, source, citation])
    session.commit()
    return {
        "event": event.slug,
        "measure": measure.slug,
        "source": source.slug,
        "city": city.slug,
        "council": council.slug,
    }


def add_user(app, email: str = "editor@example.org", role: str = "editor") -> str:
    with app.app_context():
        auth.create_user(db.session, email, PASSWORD, role)
        db.session.commit()
    return email


def login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def editor_client(app, email: str = "editor@example.org", role: str = "editor"):
    add_user(app, email, role)
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, response.data
    return client


def setup_world(app) -> dict:
    """make_world in its own application context.

    Tests that make requests must not hold an app context open (the ``session`` fixture
    does): requests would share its ``g``, where Flask-Login caches the logged-in user."""
    with app.app_context():
        return make_world(db.session)


def event_form(world: dict, title: str, **fields) -> dict:
    """The editor form's fields for ``setup_world``'s event, with a new title."""
    return {
        "title": title,
        "date": "2020-02-24",
        "certainty": "verified",
        "kind": "adopted",
        "measure": world["measure"],
        "actor": world["council"],
        "jurisdiction": "",
        "summary": "",
        "date_note": "",
        "new_sunset": "",
        **fields,
    }


def measure_form(world: dict, **fields) -> dict:
    """The editor form's fields for ``setup_world``'s measure as it is, at version 1;
    ``fields`` change some."""
    return {
        "title": "Springfield ban on face recognition",
        "measure_type": "ban",
        "scope": ["government_use"],
        "adopted_by": world["council"],
        "jurisdiction": world["city"],
        "technologies": ["face-recognition"],
        "identifiers": "Ordinance 12",
        "aliases": "",
        "sunset": "",
        "replaces": "",
        "legislative_session": "",
        "session_end": "",
        "requirements": [],
        "summary": "",
        "status_checked_on": "",
        "status_checked_source": "",
        "version": "1",
        **fields,
    }


def edit_event_title(client, world, title: str, version: int):
    """Post the editor form of ``setup_world``'s event with a new title, expecting ``version``."""
    return client.post(f"/events/{world['event']}/edit", data=event_form(world, title, version=str(version)))


def hypothetical_event(measure, kind: str, day, slug: str):
    """An unverified event of ``kind`` on ``day`` for a measure of the real data (by its first
    event's actor), for tests that change a lifecycle."""
    return Event(
        slug=slug,
        date=day,
        date_precision="day",
        certainty="unverified",
        kind=kind,
        measure=measure,
        actor=measure.events[0].actor,
        title=f"Hypothetical {kind}",
    )


def data_with_changed_events(tmp_path: Path, change: Callable[[list[dict]], None]) -> Path:
    """A copy of ``data/`` whose events.csv rows (dicts) ``change`` edited in place, for
    tests of a reload: the copy's directory."""
    from tests.conftest import DATA_DIR

    shutil.copytree(DATA_DIR, tmp_path / "data")
    events = tmp_path / "data" / "events.csv"
    with events.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    change(rows)
    with events.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path / "data"


def move_adoption(slug: str, day: str) -> Callable[[list[dict]], None]:
    """A change for :func:`data_with_changed_events`: the measure's adoption moved to ``day``."""

    def change(rows: list[dict]) -> None:
        next(r for r in rows if r["measure"] == slug and r["kind"] == "adopted")["date"] = day

    return change


def two_writers_at_once(engine, first_write: Callable, second_write: Callable) -> None:
    """Run two transactions that write at the same time: ``first_write(session)`` is flushed
    (holding the data version's row; SQLite: the write lock), then ``second_write(session)``
    starts in a thread, which must be found waiting, and the first commits. Both commit; an
    error of the second is raised here."""
    from sqlalchemy.orm import Session

    first, second = Session(engine), Session(engine)
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            second_write(second)
            second.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    try:
        first_write(first)
        first.flush()
        thread = threading.Thread(target=other_writer)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waiting for the first writer
        first.commit()
        thread.join(30)
        assert not errors, errors
    finally:
        first.close()
        second.close()
