"""The data version moves with every change to the public record, and only then."""

from __future__ import annotations

from sqlalchemy import event, select

from tests.editor_helpers import make_world
from tracker.accounts import users as auth
from tracker.db.models import Measure, Technology, bump_data_version
from tracker.read.lifecycles import dataset_fingerprint


def _version(session) -> int:
    return int(dataset_fingerprint(session)[0])


def test_every_kind_of_change_bumps_the_version(session):
    world = make_world(session)
    start = _version(session)
    measure = session.scalar(select(Measure).where(Measure.slug == world["measure"]))
    measure.title = "Renamed"
    session.commit()
    assert _version(session) == start + 1
    measure.technologies.append(Technology(slug="alpr", name="ALPR"))  # a list and a new row
    session.commit()
    assert _version(session) == start + 2
    measure.technologies = [t for t in measure.technologies if t.slug != "alpr"]
    session.commit()
    assert _version(session) == start + 3
    session.delete(session.scalar(select(Technology).where(Technology.slug == "alpr")))
    session.commit()
    assert _version(session) == start + 4
    bump_data_version(session)
    session.commit()
    assert _version(session) == start + 5


def test_accounts_and_unchanged_saves_leave_the_version_alone(session):
    make_world(session)
    start = _version(session)
    auth.create_user(session, "someone@example.org", "a long password indeed", "editor")
    session.commit()
    measure = session.scalar(select(Measure))
    measure.title = measure.title  # assigned, not changed
    session.commit()
    assert _version(session) == start


def test_reading_the_version_is_one_query(session):
    make_world(session)
    statements = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        dataset_fingerprint(session)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1
