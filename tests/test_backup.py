"""`tracker backup` / `tracker restore`: everything the database holds (the record, accounts,
revisions, corrections) goes out in one archive and comes back whole, or not at all."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import func, select

from tests.editor_helpers import PASSWORD, edit_event_title, editor_client, login, setup_world
from tracker.datafiles.backup import BackupError, restore, write_backup
from tracker.datafiles.export import export_dir
from tracker.datafiles.sync import load_and_record
from tracker.db.models import DataLoad, DataVersion, Event, Revision, RevisionChange, User
from tracker.extensions import db


def _state(app, tmp_path, name: str) -> dict:
    """What a restore must bring back: the data files, accounts, revisions and versions."""
    out = tmp_path / name
    with app.app_context():
        export_dir(db.session, out)
        return {
            "files": {
                p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
            },
            "users": db.session.execute(select(User.id, User.email, User.password_hash, User.role)).all(),
            "revisions": db.session.execute(select(Revision.id, Revision.summary)).all(),
            "changes": db.session.execute(
                select(RevisionChange.record_id, RevisionChange.before, RevisionChange.after)
            ).all(),
            "events": db.session.execute(select(Event.id, Event.slug, Event.version, Event.updated_at)).all(),
        }


def _data_version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(DataVersion.version))


@pytest.fixture
def edited(app):
    """A small record with one edit (so one revision) and an editor account."""
    world = setup_world(app)
    client = editor_client(app)
    assert edit_event_title(client, world, "Springfield bans face recognition (edited)", 1).status_code == 302
    return world


def test_a_backup_restored_over_a_changed_database_brings_everything_back(app, edited, tmp_path):
    before = _state(app, tmp_path, "before")
    archive = tmp_path / "backup.zip"
    with app.app_context():
        counts = write_backup(db.session, archive)
    assert counts["events"] == 1 and counts["users"] == 1 and counts["revisions"] == 1
    # Change things after the backup: another edit and another account.
    client = app.test_client()
    assert login(client, "editor@example.org").status_code == 302
    assert edit_event_title(client, edited, "A later title", 2).status_code == 302
    editor_client(app, "second@example.org")
    version_before_restore = _data_version(app)

    with app.app_context():
        restore(db.session, archive, replace=True)
    after = _state(app, tmp_path, "after")
    assert after == before
    # The data version moves on (never back), so no ETag made before the restore matches.
    assert _data_version(app) > version_before_restore
    # The restored password works; the old session token does not.
    assert client.get("/events/new").status_code in (302, 401)
    assert login(app.test_client(), "editor@example.org", PASSWORD).status_code == 302
    assert login(app.test_client(), "second@example.org", PASSWORD).status_code != 302


def test_restore_refuses_a_database_with_rows_unless_replace_and_changes_nothing(app, edited, tmp_path):
    archive = tmp_path / "backup.zip"
    with app.app_context():
        write_backup(db.session, archive)
    before = _state(app, tmp_path, "before")
    with app.app_context(), pytest.raises(BackupError, match="not empty"):
        restore(db.session, archive)
    assert _state(app, tmp_path, "after") == before


def test_a_damaged_archive_is_refused_before_anything_is_written(app, edited, tmp_path):
    archive = tmp_path / "backup.zip"
    with app.app_context():
        write_backup(db.session, archive)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "data/events.csv":
                data = data.replace(b"(edited)", b"(forged)")
            dst.writestr(info, data)
    before = _state(app, tmp_path, "before")
    with app.app_context(), pytest.raises(BackupError, match="events.csv"):
        restore(db.session, tampered, replace=True)
    assert _state(app, tmp_path, "after") == before
    with app.app_context(), pytest.raises(BackupError, match="not a readable zip"):
        (tmp_path / "junk.zip").write_bytes(b"not a zip")
        restore(db.session, tmp_path / "junk.zip", replace=True)


def test_the_archive_says_what_it_holds_and_never_holds_session_tokens(app, edited, tmp_path):
    archive = tmp_path / "backup.zip"
    with app.app_context():
        write_backup(db.session, archive)
        token = db.session.scalar(select(User.session_token))
    with zipfile.ZipFile(archive) as z:
        manifest = json.loads(z.read("manifest.json"))
        names = set(z.namelist())
        everything = b"".join(z.read(n) for n in names)
    assert manifest["format"] == "surveillance-policy-tracker-backup"
    assert {
        "data/events.csv",
        "users.jsonl",
        "revisions.jsonl",
        "corrections.jsonl",
        "records.jsonl",
        "data_loads.jsonl",
        "README.txt",
    } <= names
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert token and token.encode() not in everything


def test_the_recorded_loads_come_back_with_the_rows_they_describe(app, edited, tmp_path):
    """data_loads is data: after a restore, `tracker setup` compares data/ with the restored
    database's last load, not with the last load of the database it replaced."""
    directory, archive = tmp_path / "data", tmp_path / "backup.zip"
    with app.app_context():
        export_dir(db.session, directory)
        load_and_record(directory, db.session, command="load")
        recorded = db.session.execute(select(DataLoad.__table__).order_by(DataLoad.id)).all()
        assert len(recorded) == 1 and recorded[0].revision_id == 1
        write_backup(db.session, archive)
        load_and_record(directory, db.session, command="setup")  # one the restore replaces
        restore(db.session, archive, replace=True)
        assert db.session.execute(select(DataLoad.__table__).order_by(DataLoad.id)).all() == recorded
        load_and_record(directory, db.session, command="setup")  # ids continue after the restored
        assert db.session.scalars(select(DataLoad.id).order_by(DataLoad.id)).all() == [recorded[0].id, 2]


def test_cli_backup_and_restore_into_an_empty_database(app, edited, runner, tmp_path):
    archive = tmp_path / "backup.zip"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "keep it private" in result.output
    before = _state(app, tmp_path, "before")
    with app.app_context():
        from tracker.datafiles.backup import _wipe

        _wipe(db.session)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert _state(app, tmp_path, "after") == before
    # A second restore without --replace is refused, with the reason, and exits non-zero.
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 1 and "not empty" in result.output


def test_a_backup_made_on_one_engine_restores_on_the_other(app, edited, engine_name, tmp_path, request):
    from tests.conftest import _dispose, _reset, _settings
    from tracker import create_app

    archive = tmp_path / "backup.zip"
    with app.app_context():
        write_backup(db.session, archive)
    before = _state(app, tmp_path, "before")
    if engine_name == "sqlite":
        other, url = "postgresql", request.getfixturevalue("pg_database_url")
    else:
        other, url = "sqlite", f"sqlite:///{tmp_path / 'other.sqlite3'}"
    target = create_app(_settings(url))
    try:
        with target.app_context():
            _reset(other)
            restore(db.session, archive)
        assert _state(target, tmp_path, "after") == before
    finally:
        _dispose(target)
