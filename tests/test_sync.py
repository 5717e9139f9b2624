"""`tracker setup` brings later changes of data/ into a database that already has data, and
no load overwrites an edit made through the forms since the last one without saying so."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask_migrate import stamp
from sqlalchemy import func, select, text

from tests.editor_helpers import edit_event_title, editor_client, event_form, setup_world
from tracker.datafiles import sync
from tracker.datafiles.export import export_dir
from tracker.datafiles.load import LoadError
from tracker.datafiles.sync import data_hash, last_load
from tracker.db.models import (
    Citation,
    DataLoad,
    DataVersion,
    Event,
    Measure,
    Revision,
    RevisionChange,
    Source,
)
from tracker.extensions import db

from .conftest import DATA_DIR, ROOT


@pytest.fixture
def migrated(app):
    """The test's fresh database, its schema marked as migrated to the head (what `tracker
    setup` on a new database makes, without running every migration again)."""
    with app.app_context():
        stamp(directory=app.extensions["migrate"].directory, revision="head")
    return app


def setup(runner, directory: Path):
    result = runner.invoke(args=["setup", "--data", str(directory)])
    assert result.exit_code == 0, result.output
    return result


def data_copy(tmp_path: Path, name: str = "data") -> Path:
    copy = tmp_path / name
    shutil.copytree(DATA_DIR, copy)
    return copy


def set_cell(path: Path, key: str, column: str, value: str, key_column: str = "slug") -> None:
    """Set one cell of the row with ``key`` in a data file."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    [row] = [r for r in rows[1:] if r[header.index(key_column)] == key]
    row[header.index(column)] = value
    _write(path, rows)


def drop_row(path: Path, key: str) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    kept = [rows[0], *(r for r in rows[1:] if r[0] != key)]
    assert len(kept) == len(rows) - 1
    _write(path, kept)


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def loads(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(DataLoad.id, DataLoad.command, DataLoad.data_sha256, DataLoad.revision_id).order_by(
                DataLoad.id
            )
        ).all()


def data_version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(DataVersion.version))


def first_event(app) -> tuple[str, str]:
    with app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.slug)).first()
        return event.slug, event.title


# --- the real data: setup on an empty database, unchanged, changed, rows gone ------------


def test_setup_migrates_an_empty_database_loads_data_and_records_the_load(app, engine_name, runner, tmp_path):
    copy = data_copy(tmp_path)
    with app.app_context():  # no tables at all, as on a new deployment
        if engine_name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
        else:
            db.drop_all()
    result = setup(runner, copy)
    assert f"Loading {copy} into an empty database." in result.output
    assert "events.csv: " in result.output and " inserted, 0 updated, 0 unchanged" in result.output
    with app.app_context():
        load = last_load(db.session)
        assert load is not None and load.command == "setup" and load.revision_id is None
        assert load.directory == str(copy.resolve())
        digest = data_hash(copy)
        assert load.data_sha256 == digest.sha256 and load.files == digest.files
        assert "events.csv" in load.files and any(name.startswith("sources/") for name in load.files)
        assert load.counts["events"]["inserted"] == db.session.scalar(select(func.count()).select_from(Event))


def test_a_second_setup_with_unchanged_data_says_so_and_writes_nothing(migrated, runner, tmp_path):
    copy = data_copy(tmp_path)
    setup(runner, copy)
    before = (loads(migrated), data_version(migrated))
    result = setup(runner, copy)
    lines = result.stdout.splitlines()  # (stderr has Alembic's log)
    assert lines[0] == "Database schema is up to date."
    assert len(lines) == 2 and lines[1].startswith(f"{copy} is unchanged since the last load (")
    assert lines[1].endswith("; nothing to load.")
    assert (loads(migrated), data_version(migrated)) == before


def test_a_changed_title_in_the_file_reaches_the_database_at_the_next_setup(migrated, runner, tmp_path):
    copy = data_copy(tmp_path)
    setup(runner, copy)
    slug, title = first_event(migrated)
    set_cell(copy / "events.csv", slug, "title", title + " (corrected)")
    result = setup(runner, copy)
    assert (
        f"{copy} changed since the last load (" in result.output
        and "): events.csv. Loading it." in result.output
    )
    [events_line] = [line for line in result.output.splitlines() if line.startswith("events.csv:")]
    assert events_line.startswith("events.csv: 0 inserted, 1 updated, ")
    with migrated.app_context():
        assert db.session.scalar(select(Event.title).where(Event.slug == slug)) == title + " (corrected)"
        assert last_load(db.session).data_sha256 == data_hash(copy).sha256
    assert len(loads(migrated)) == 2
    assert "unchanged since the last load" in setup(runner, copy).output


def test_a_row_deleted_from_the_file_is_reported_and_kept(migrated, runner, tmp_path):
    copy = data_copy(tmp_path)
    setup(runner, copy)
    slug, _ = first_event(migrated)
    drop_row(copy / "events.csv", slug)
    result = setup(runner, copy)
    assert "events.csv: 0 inserted, 0 updated, " in result.stdout
    assert "1 rows of the database not in the file (kept)" in result.stdout
    assert "Warning: events.csv: 1 rows of the database are not in the file and were kept" in result.stderr
    assert result.stderr.rstrip().endswith(slug)
    with migrated.app_context():
        assert db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None


def test_an_invalid_file_leaves_the_database_and_the_recorded_hash_untouched(migrated, runner, tmp_path):
    copy = data_copy(tmp_path)
    setup(runner, copy)
    slug, title = first_event(migrated)
    before = (loads(migrated), data_version(migrated))
    set_cell(copy / "events.csv", slug, "title", title + " (corrected)")
    set_cell(copy / "events.csv", slug, "kind", "adopted_maybe")
    result = runner.invoke(args=["setup", "--data", str(copy)])
    assert result.exit_code == 1
    assert "events.csv:" in result.stderr and ": kind: unknown event kind 'adopted_maybe'" in result.stderr
    assert "Load aborted: 1 problem(s); the database is unchanged." in result.stderr
    assert (loads(migrated), data_version(migrated)) == before
    assert first_event(migrated) == (slug, title)
    # The recorded hash is still the last good load's: the file as it was is unchanged.
    shutil.copyfile(DATA_DIR / "events.csv", copy / "events.csv")
    assert "unchanged since the last load" in setup(runner, copy).output


def test_a_database_loaded_before_loads_were_recorded_is_loaded_once_then_unchanged(
    loaded_app, runner, tmp_path
):
    """An existing instance upgraded to this version: its data has no recorded load."""
    with loaded_app.app_context():
        stamp(directory=loaded_app.extensions["migrate"].directory, revision="head")
    runner = loaded_app.test_cli_runner()
    result = setup(runner, DATA_DIR)
    assert "No load is recorded in this database: loading" in result.output
    assert all(" 0 inserted, 0 updated, " in line for line in result.output.splitlines() if ".csv:" in line)
    assert "unchanged since the last load" in setup(runner, DATA_DIR).output


def test_the_setup_command_scripts_serve_runs_brings_a_change_in(tmp_path):
    """`scripts/serve` runs `tracker setup` (the console script, configured by the
    environment) before serving: run that command as it does, twice, on a new SQLite file
    (the engine makes no difference to this path; the tests above run on both)."""
    copy = data_copy(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "SECRET_KEY": "test",
        "PYTHONPATH": str(ROOT),
    }
    tracker = [sys.executable, "-c", "from tracker.cli import main; main()", "setup", "--data", str(copy)]
    first = subprocess.run(tracker, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "into an empty database" in first.stdout
    with (copy / "events.csv").open(encoding="utf-8", newline="") as f:
        row = next(csv.DictReader(f))
    set_cell(copy / "events.csv", row["slug"], "title", row["title"] + " (corrected)")
    second = subprocess.run(tracker, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "events.csv: 0 inserted, 1 updated" in second.stdout


# --- edits made through the forms since the last load --------------------------------------


@pytest.fixture
def world_data(migrated, tmp_path):
    """The editor tests' small world, loaded by `tracker setup` from its own data files."""
    world = setup_world(migrated)
    directory = tmp_path / "world"
    with migrated.app_context():
        export_dir(db.session, directory)
    result = setup(migrated.test_cli_runner(), directory)
    assert "No load is recorded in this database" in result.output
    return world, directory


def test_an_event_edited_through_the_form_and_changed_in_the_file_is_kept_and_reported(
    migrated, world_data, runner
):
    world, directory = world_data
    client = editor_client(migrated)
    assert edit_event_title(client, world, "Springfield bans face recognition (edited)", 1).status_code == 302
    set_cell(directory / "events.csv", world["event"], "title", "Springfield bans it (from the file)")
    set_cell(directory / "events.csv", world["event"], "summary", "A summary from the file.")
    set_cell(directory / "measures.csv", world["measure"], "title", "Springfield's ban (from the file)")
    result = setup(runner, directory)
    assert "measures.csv: 0 inserted, 1 updated, 0 unchanged;" in result.stdout
    assert (
        "events.csv: 0 inserted, 0 updated, 0 unchanged, 1 kept as edited through the forms;" in result.stdout
    )
    assert (
        f"Kept: events.csv:2: {world['event']}: edited through the forms in revision 1, after the last "
        "load; kept as edited (the file differs in title, summary)"
    ) in result.stderr
    assert "1 row(s) kept as edited through the forms" in result.stderr
    with migrated.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == world["event"]))
        assert event.title == "Springfield bans face recognition (edited)" and event.summary is None
        assert db.session.scalar(select(Measure.title)) == "Springfield's ban (from the file)"
        assert last_load(db.session).kept_changes == [
            db.session.scalar(select(RevisionChange.id).where(RevisionChange.record_key == world["event"]))
        ]

    # The edit stays protected at the next load, although it came before that load.
    set_cell(directory / "measures.csv", world["measure"], "summary", "Changed again.")
    result = setup(runner, directory)
    assert "measures.csv: 0 inserted, 1 updated" in result.stdout
    assert f"Kept: events.csv:2: {world['event']}: edited through the forms in revision 1" in result.stderr

    # The file brought in line with the edit: no conflict any more, and nothing left to keep.
    set_cell(directory / "events.csv", world["event"], "title", "Springfield bans face recognition (edited)")
    set_cell(directory / "events.csv", world["event"], "summary", "")
    result = setup(runner, directory)
    assert "events.csv: 0 inserted, 0 updated, 1 unchanged;" in result.stdout
    assert "Kept" not in result.output
    with migrated.app_context():
        assert last_load(db.session).kept_changes == []


def test_an_edit_also_made_in_the_file_is_not_a_conflict(migrated, world_data, runner):
    world, directory = world_data
    client = editor_client(migrated)
    assert edit_event_title(client, world, "The same new title", 1).status_code == 302
    set_cell(directory / "events.csv", world["event"], "title", "The same new title")
    result = setup(runner, directory)
    assert "events.csv: 0 inserted, 0 updated, 1 unchanged;" in result.stdout
    assert "Kept" not in result.output and "kept as edited" not in result.output


def test_load_overwrite_edits_takes_the_files_version_and_says_which(migrated, world_data, runner):
    world, directory = world_data
    client = editor_client(migrated)
    assert edit_event_title(client, world, "Edited through the form", 1).status_code == 302
    set_cell(directory / "events.csv", world["event"], "title", "From the file")
    result = runner.invoke(args=["load", str(directory)])
    assert result.exit_code == 0, result.output
    assert "1 kept as edited through the forms" in result.stdout and "Kept: events.csv:2: " in result.stderr
    result = runner.invoke(args=["load", str(directory), "--overwrite-edits"])
    assert result.exit_code == 0, result.output
    assert "events.csv: 0 inserted, 1 updated, 0 unchanged;" in result.stdout
    assert (
        f"Overwritten: events.csv:2: {world['event']}: edited through the forms in revision 1; "
        "overwritten with the file's title"
    ) in result.stdout
    assert "Kept" not in result.output
    with migrated.app_context():
        assert db.session.scalar(select(Event.title)) == "From the file"
        assert [row.command for row in db.session.scalars(select(DataLoad).order_by(DataLoad.id))] == [
            "setup",
            "load",
            "load",
        ]


def test_a_record_deleted_through_the_forms_is_not_loaded_again_nor_what_refers_to_it(
    migrated, world_data, runner
):
    world, directory = world_data
    client = editor_client(migrated)
    response = client.post(f"/events/{world['event']}/delete", data={"version": "1"})
    assert response.status_code == 302  # its citation went with it (recorded too)
    set_cell(directory / "measures.csv", world["measure"], "title", "Springfield's ban (from the file)")
    # A new source in the file, and a new citation of the deleted event to it.
    with (directory / "sources.csv").open("a", encoding="utf-8", newline="") as f:
        f.write("springfield-minutes,,,statement,https://example.org/m,,,,,,,,\n")
    with (directory / "citations.csv").open("a", encoding="utf-8", newline="") as f:
        f.write(f"{world['event']},springfield-minutes,announcement,,\n")
    result = setup(runner, directory)
    assert "measures.csv: 0 inserted, 1 updated" in result.stdout
    assert (
        "events.csv: 0 inserted, 0 updated, 0 unchanged, 1 kept as edited through the forms" in result.stdout
    )
    assert "sources.csv: 1 inserted, 0 updated, 1 unchanged;" in result.stdout
    assert "citations.csv: 0 inserted, 0 updated, 0 unchanged, 2 kept as edited through the forms" in (
        result.stdout
    )
    for kept in (
        f"Kept: events.csv:2: {world['event']}: deleted through the forms since the last load "
        "(revision 1); not loaded again",
        f"Kept: citations.csv:2: {world['event']} / {world['source']}: deleted through the forms since the "
        "last load (revision 1); not loaded again",
        f"Kept: citations.csv:3: {world['event']} / springfield-minutes: not loaded: its event "
        f"{world['event']!r} is not loaded (deleted through the forms since the last load, or referring "
        "to one that was)",
        "3 row(s) kept as edited through the forms",
    ):
        assert kept in result.stderr
    with migrated.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
        assert db.session.scalar(select(func.count()).select_from(Citation)) == 0
        assert db.session.scalar(select(Measure.title)) == "Springfield's ban (from the file)"
    # Taking the files' version on purpose brings the event back, with both citations.
    result = runner.invoke(args=["load", str(directory), "--overwrite-edits"])
    assert result.exit_code == 0, result.output
    assert f"Overwritten: events.csv:2: {world['event']}: deleted through the forms in revision 1; " in (
        result.stdout
    )
    with migrated.app_context():
        assert db.session.scalar(select(func.count()).select_from(Citation)) == 2


def test_a_citation_moved_to_another_source_through_the_form_is_matched_not_duplicated(
    migrated, world_data, runner
):
    world, directory = world_data
    with migrated.app_context():  # a second source the citation can move to
        db.session.add(Source(slug="springfield-minutes", kind="statement", url="https://example.org/m"))
        db.session.commit()
        citation_id = db.session.scalar(select(Citation.id))
    client = editor_client(migrated)
    response = client.post(
        f"/citations/{citation_id}/edit",
        data={
            "event": world["event"],
            "source": "springfield-minutes",
            "role": "announcement",
            "quote": "",
            "note": "",
            "version": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    set_cell(directory / "measures.csv", world["measure"], "title", "Springfield's ban (from the file)")
    result = setup(runner, directory)
    assert "citations.csv: 0 inserted, 0 updated, 0 unchanged, 1 kept as edited" in result.stdout
    assert (
        f"Kept: citations.csv:2: {world['event']} / {world['source']}: renamed to "
        f"'{world['event']} / springfield-minutes' through the forms in revision 1, after the last load; "
        "kept as edited (the file differs in source, quote)"
    ) in result.stderr
    with migrated.app_context():
        assert db.session.scalar(select(func.count()).select_from(Citation)) == 1


def test_prune_keeps_a_record_created_through_the_forms_unless_overwrite_edits(migrated, world_data, runner):
    world, directory = world_data
    client = editor_client(migrated)
    form = event_form(world, "Springfield council hears the chief", date="2020-01-10", kind="hearing")
    response = client.post("/events/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    result = runner.invoke(args=["load", str(directory), "--prune"])
    assert result.exit_code == 0, result.output
    assert (
        "Kept: events.csv: springfield-council-hears-the-chief-2020: not in the file, but created or edited"
        in (result.stderr)
    )
    with migrated.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 2
    result = runner.invoke(args=["load", str(directory), "--prune", "--overwrite-edits"])
    assert result.exit_code == 0, result.output
    assert (
        "events.csv: deleted 1 rows not in the file: springfield-council-hears-the-chief-2020"
        in result.stdout
    )
    assert "Overwritten: events.csv: springfield-council-hears-the-chief-2020: created or edited through" in (
        result.stdout
    )
    with migrated.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1


def test_an_edit_saved_during_the_load_to_a_row_it_writes_aborts_the_load(
    migrated, world_data, runner, monkeypatch
):
    """The load reads rows before it writes them: an edit saved in between must not be lost
    to the load's write. Simulated by a revision of the updated row appearing after the
    writes, as a concurrent save's would."""
    world, directory = world_data
    set_cell(directory / "events.csv", world["event"], "title", "From the file")
    real_stage = sync.stage

    def stage_then_an_edit(*args, **kwargs):
        report = real_stage(*args, **kwargs)
        session = args[1]
        event_id = session.scalar(select(Event.id))
        revision = Revision(action="update", summary="a concurrent edit")
        revision.changes.append(
            RevisionChange(
                collection="events", record_id=event_id, record_key=world["event"], action="update"
            )
        )
        session.add(revision)
        session.flush()
        return report

    monkeypatch.setattr(sync, "stage", stage_then_an_edit)
    before = loads(migrated)
    result = runner.invoke(args=["setup", "--data", str(directory)])
    assert result.exit_code == 1
    assert f"events '{world['event']}': saved through the forms during the load (revision 1)" in result.stderr
    assert "Load aborted" in result.stderr
    assert loads(migrated) == before
    with migrated.app_context():
        assert db.session.scalar(select(Event.title)) != "From the file"
        assert db.session.scalar(select(func.count()).select_from(Revision)) == 0


def test_load_and_record_raises_and_records_nothing_on_invalid_files(migrated, world_data, tmp_path):
    world, directory = world_data
    set_cell(directory / "events.csv", world["event"], "date", "2020-02-31")
    with migrated.app_context():
        with pytest.raises(LoadError) as info:
            sync.load_and_record(directory, db.session, command="load")
        assert any(p.startswith("events.csv:2: date: ") for p in info.value.problems)
        assert db.session.scalar(select(func.count()).select_from(DataLoad)) == 1


def test_a_quote_the_kept_text_of_a_source_lacks_aborts_the_load(migrated, world_data, runner):
    """A source's text edited through the forms is kept; the files then quote a passage of
    their own text, which the kept one lacks: the load cannot do both, and says so."""
    world, directory = world_data
    client = editor_client(migrated)
    kept_text = "The City Council today voted 11-0 to ban the use of face recognition by city agencies."
    response = client.post(
        f"/sources/{world['source']}/edit",
        data={
            "title": "Council bans face recognition",
            "publisher": "City of Springfield",
            "kind": "statement",
            "url": "https://example.org/springfield",
            "published": "2020-02-24",
            "accessed": "",
            "archive_url": "",
            "text": kept_text,
            "version": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    set_cell(
        directory / "citations.csv",
        world["event"],
        "quote",
        "The ordinance was introduced in May of 2019.",
        key_column="event",
    )
    set_cell(directory / "measures.csv", world["measure"], "title", "Springfield's ban (from the file)")
    before = loads(migrated)
    result = runner.invoke(args=["setup", "--data", str(directory)])
    assert result.exit_code == 1
    assert (
        f"citations.csv: {world['event']} / {world['source']}: quote: not in the stored text of "
        f"{world['source']!r} once the files' rows are written and the rows edited through the forms kept"
    ) in result.stderr
    assert "Load aborted: 1 problem(s); the database is unchanged." in result.stderr
    assert loads(migrated) == before
    with migrated.app_context():
        assert db.session.scalar(select(Measure.title)) == "Springfield ban on face recognition"
        assert db.session.scalar(select(Source.text)) == kept_text
