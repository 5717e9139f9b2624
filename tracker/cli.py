"""The ``tracker`` command: a Flask command group (also ``flask --app tracker``).

``setup`` migrates and loads ``data/`` when it changed since the last load (into an empty
database, or into one with data), ``load DIR`` and ``export DIR`` move the dataset between
CSV files and the database (loads keep the edits made through the forms since the last
one, and are recorded in ``data_loads``), ``backup FILE`` and
``restore FILE`` move everything (accounts, history, corrections too), ``rebuild-periods``
rewrites the derived status tables, ``run`` serves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from tracker import ingest
from tracker.accounts.cli import COMMANDS as ACCOUNT_COMMANDS
from tracker.datafiles.backup import BackupError, restore, write_backup
from tracker.datafiles.export import export_dir
from tracker.datafiles.load import LoadError
from tracker.datafiles.sync import DataHash, data_hash, last_load, load_and_record, named_files
from tracker.db import periods
from tracker.db.models import Event, bump_data_version
from tracker.extensions import db

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data"


def migrate_database() -> None:
    """Create or upgrade the schema through Alembic (never ``create_all``)."""
    upgrade(directory=current_app.extensions["migrate"].directory)


def database_is_empty() -> bool:
    return db.session.scalar(select(func.count()).select_from(Event)) == 0


@click.command("setup")
@click.option("--no-data", is_flag=True, help="Only migrate; do not load data/.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False),
    default=str(DEFAULT_DATA),
    show_default=True,
    help="Dataset to load when it changed since the last load.",
)
@with_appcontext
def setup_command(no_data: bool, data_dir: str) -> None:
    """Migrate the database, then load the dataset if it changed since the last load.

    The dataset is upserted by slug; rows of the database it lacks are reported and kept
    (setup never deletes), and rows edited through the forms since the last load are kept
    where the files differ, each reported. Unchanged files (by SHA-256) are not read again."""
    migrate_database()
    click.echo("Database schema is up to date.")
    if no_data:
        return
    digest = data_hash(data_dir)
    last = last_load(db.session)
    if last is None:
        if database_is_empty():
            click.echo(f"Loading {data_dir} into an empty database.")
        else:
            click.echo(
                f"No load is recorded in this database: loading {data_dir} (rows edited through "
                "the forms are kept where the files differ)."
            )
    else:
        when = f"the last load ({last.loaded_at:%Y-%m-%d %H:%M} UTC"
        when += ")" if last.directory == str(Path(data_dir).resolve()) else f", of {last.directory})"
        if last.data_sha256 == digest.sha256:
            click.echo(f"{data_dir} is unchanged since {when}; nothing to load.")
            db.session.rollback()  # end the read transaction
            return
        changed = digest.changed_since(last.files)
        click.echo(f"{data_dir} changed since {when}: {named_files(changed)}. Loading it.")
    _load(data_dir, "setup", digest=digest)


def _load(
    directory: str,
    command: str,
    prune: bool = False,
    overwrite_edits: bool = False,
    digest: DataHash | None = None,
) -> None:
    try:
        report = load_and_record(
            directory,
            db.session,
            command=command,
            prune=prune,
            overwrite_edits=overwrite_edits,
            digest=digest,
        )
    except LoadError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(f"Load aborted: {len(exc.problems)} problem(s); the database is unchanged.", err=True)
        sys.exit(1)
    for line in report.lines():
        click.echo(line)
    for line in report.deletions():
        click.echo(line)
    for line in report.overwritten:
        click.echo(f"Overwritten: {line}")
    for line in report.warnings():
        click.echo(f"Warning: {line}", err=True)
    for line in report.conflicts:
        click.echo(f"Kept: {line}", err=True)
    if summary := report.conflicts_summary():
        click.echo(summary, err=True)


@click.command("load")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--prune", is_flag=True, help="Also delete the database rows that the files lack (same transaction)."
)
@click.option(
    "--overwrite-edits",
    is_flag=True,
    help="Take the files' version of rows edited through the forms since the last load (each reported).",
)
@with_appcontext
def load_command(directory: str, prune: bool, overwrite_edits: bool) -> None:
    """Upsert the CSV files in DIRECTORY by slug, all or nothing, and record the load.

    Rows of the database that a file lacks are reported and kept, unless --prune is given;
    a file absent from DIRECTORY leaves its table alone. A row edited through the forms
    since the last load is kept where the file differs (reported, with the fields), and
    --prune does not delete it, unless --overwrite-edits is given.
    """
    _load(directory, "load", prune, overwrite_edits)


@click.command("rebuild-periods")
@with_appcontext
def rebuild_periods_command() -> None:
    """Rewrite the derived status tables (measure_periods, measure_coverage, measure_starts),
    the events' stored counts (event_tally_parts, event_tallies), the measures' stored
    counts (measure_tally_values, measure_tally_steps, measure_tallies) and the stored map
    (map_candidates, map_segments, map_change_days) from the events.

    They are kept in step with every write; this is for a database changed by a tool that
    bypassed the tracker, or after a change to the status rules."""
    count = periods.refresh(db.session, None)
    bump_data_version(db.session)
    db.session.commit()
    click.echo(f"Rebuilt the status periods of {count} measure(s).")


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def export_command(directory: str) -> None:
    """Write the database as data files (raw CSV, the format `load` reads)."""

    counts = export_dir(db.session, directory)
    for name, n in counts.items():
        click.echo(f"{name}.csv: {n} rows")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file: str) -> None:
    """Write everything the database holds to FILE (a zip): the data files as `export`
    writes them, accounts with their password hashes, revisions and corrections."""
    try:
        counts = write_backup(db.session, file)
    except BackupError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo("Backup aborted; no archive was written.", err=True)
        sys.exit(1)
    finally:
        db.session.rollback()  # end the read snapshot
    click.echo(f"Backed up to {file}: {_counts(counts)}.")
    click.echo("The archive holds password hashes and private e-mail addresses: keep it private.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--replace", is_flag=True, help="Delete everything in the database first (in the same transaction)."
)
@with_appcontext
def restore_command(file: str, replace: bool) -> None:
    """Restore a `tracker backup` archive, in one transaction, into an empty database (or
    into any with --replace)."""
    try:
        counts = restore(db.session, file, replace=replace)
    except BackupError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo("Restore aborted; the database is unchanged.", err=True)
        sys.exit(1)
    click.echo(f"Restored {file}: {_counts(counts)}.")
    click.echo("Restored accounts have new session tokens: everyone logs in again.")


@click.command("suggest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
@click.option("--limit", type=int, default=20, show_default=True, help="At most this many suggestions.")
@click.option("--min-score", type=float, default=None, help="Drop suggestions scoring below this.")
@with_appcontext
def suggest_command(file: str, fmt: str, limit: int, min_score: float | None) -> None:
    """Suggest the events a statement (.txt or .html, optional key: value header) speaks of."""
    raw = Path(file).read_bytes().decode("utf-8", errors="replace")
    statement = ingest.read_statement(
        raw, html=file.lower().endswith((".html", ".htm")), publishers=ingest.load_publishers(db.session)
    )
    candidates = ingest.load_candidates(db.session)
    kwargs: dict[str, Any] = {"limit": limit}
    if min_score is not None:
        kwargs["min_score"] = min_score
    suggestions = ingest.suggest(statement, candidates, **kwargs)
    if fmt == "json":
        json.dump([s.as_json() for s in suggestions], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    meta = statement.meta
    click.echo(
        f"Source: {meta.get('title') or '?'} | {meta.get('publisher') or '?'} | {meta.get('date') or '?'}"
    )
    for s in suggestions:
        click.echo(f"{s.score:.2f}  {s.date}  {s.event:<50} {s.role:<13} {s.quote[:80]}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def register_cli(app: Flask) -> None:
    for command in (
        setup_command,
        load_command,
        rebuild_periods_command,
        export_command,
        backup_command,
        restore_command,
        suggest_command,
        *ACCOUNT_COMMANDS,
    ):
        app.cli.add_command(command)


def main() -> None:
    from tracker import create_app  # here, not at the top: tracker/__init__.py imports this module

    group = FlaskGroup(create_app=lambda: create_app(), help="Surveillance Policy Tracker.")
    group.main(prog_name="tracker")
