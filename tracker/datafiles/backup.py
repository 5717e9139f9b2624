"""``tracker backup FILE`` and ``tracker restore FILE``: everything the database holds, in one zip.

Why not ``tracker export``: it writes the public record only (the data files). Accounts, the
revision history and the public corrections live only in the database, and revisions refer
to records by primary key, which the data files do not carry. A backup holds all of it; a
restore puts it back, primary keys, timestamps and versions included, in one transaction.

The archive, format version 2, is a zip of:

- ``manifest.json``: ``format`` (``surveillance-policy-tracker-backup``), ``format_version``,
  ``created`` (UTC), ``software_version``, ``schema_revision`` (the Alembic head the tables
  follow), ``engine`` (where it was made), ``counts`` (rows of every table) and ``files``
  (SHA-256 and size of every other member);
- ``README.txt``: what the archive holds, for whoever finds the file;
- ``data/``: the data files exactly as ``tracker export`` writes them (``tracker load`` reads
  them on their own, into any database);
- ``records.jsonl``: per row of the data files, its ``table``, ``key`` (as in the file),
  ``id``, ``created_at``, ``updated_at`` and ``version``;
- ``users.jsonl``: the accounts, one per line, every column **including the password hash**
  (werkzeug scrypt) except ``session_token``: a restore gives every account a new one, so
  a backup cannot be used to keep a session alive, and everyone logs in again;
- ``revisions.jsonl``: one revision per line with its ``changes`` (before/after values);
- ``corrections.jsonl``: the public corrections, senders' e-mail addresses included;
- ``data_loads.jsonl``: the loads of data files (``tracker setup``, ``tracker load``), one
  per line. Data, not bookkeeping: they say which files the restored rows were last loaded
  from and which edits came after, so the next ``tracker setup`` after a restore compares
  ``data/`` with the restored database's last load and keeps the restored edits, rather than
  with the replaced database's (version 2 added them).

Times are ISO 8601 in UTC without an offset, as stored. The archive holds password hashes and
private e-mail addresses: keep it as private as the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import cast

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, scoped_session

from tracker.datafiles.export import export_dir
from tracker.datafiles.load import LoadError, stage, validate
from tracker.datafiles.spec import FILES
from tracker.db import periods
from tracker.db.models import (
    Base,
    Citation,
    Correction,
    DataLoad,
    DataVersion,
    DbSession,
    Event,
    EventTally,
    EventTallyPart,
    MapCandidate,
    MapChangeDay,
    MapSegment,
    MeasureCoverage,
    MeasurePeriod,
    MeasureStart,
    MeasureTally,
    MeasureTallyStep,
    MeasureTallyValue,
    Revision,
    RevisionChange,
    Source,
    User,
    bump_data_version,
    event_technologies,
    event_technologies_added,
    event_technologies_removed,
    measure_technologies,
    new_session_token,
)
from tracker.version import __version__

FORMAT = "surveillance-policy-tracker-backup"
FORMAT_VERSION = 2
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "db" / "migrations"
DATA_DIR = "data/"
# Columns never written: a session token is a live credential, not data.
NOT_BACKED_UP = {"users": ("session_token",)}
# Rebuilt from the data files by the loader, so only counted (and the count verified).
LINK_TABLES = (measure_technologies, event_technologies, event_technologies_added, event_technologies_removed)


def _table(model: type[Base]) -> Table:
    """A model's table: SQLAlchemy types ``__table__`` as any FromClause, every model here
    is declared with a ``__tablename__`` and so maps a Table."""
    return cast(Table, model.__table__)


JSON_TABLES = (
    _table(User),
    _table(Revision),
    _table(RevisionChange),
    _table(Correction),
    _table(DataLoad),
)
# Bookkeeping, not data: neither backed up, counted nor wiped. A restore bumps the data
# version instead of putting an old one back, so no ETag or cache entry made before the
# restore can match what it brought back.
BOOKKEEPING = (_table(DataVersion),)
# Derived from the events (tracker.db.periods, tallies, mapstore): neither backed up, counted nor wiped by
# hand (they go with their measures); a restore rebuilds them in its transaction.
DERIVED = (
    _table(MeasurePeriod),
    _table(MeasureCoverage),
    _table(MeasureStart),
    _table(EventTallyPart),
    _table(EventTally),
    _table(MapCandidate),
    _table(MapSegment),
    _table(MapChangeDay),
    _table(MeasureTallyValue),
    _table(MeasureTallyStep),
    _table(MeasureTally),
)
NOT_DATA = (*BOOKKEEPING, *DERIVED)
# What a data member may be called: the only names a restore writes to disk.
DATA_NAME = re.compile(r"^(?:[a-z]+\.csv|sources/[a-z0-9]+(?:-[a-z0-9]+)*\.txt)$")

README = """Surveillance Policy Tracker backup (format version 2)

Made by `tracker backup`; put it back with `tracker restore FILE` (add --replace to
overwrite a database that already has rows), on a database migrated to the schema revision
in manifest.json (`tracker setup --no-data`).

- manifest.json: format, schema revision, row counts, SHA-256 of every member
- data/: the data files as `tracker export` writes them (`tracker load data/` reads them)
- records.jsonl: ids, timestamps and versions of the rows of the data files
- users.jsonl: accounts, INCLUDING PASSWORD HASHES (werkzeug scrypt); no session tokens
- revisions.jsonl: the revision history, each revision with its changes
- corrections.jsonl: public corrections, INCLUDING senders' private e-mail addresses
- data_loads.jsonl: the loads of data files, with the hashes of the files loaded

Keep this file as private as the database itself.
"""


class BackupError(Exception):
    """The backup or restore cannot be done; nothing was written. ``problems`` says why."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# --- schema ------------------------------------------------------------------------------


def schema_head() -> str:
    """The Alembic revision this code's models follow: what a backup's tables look like."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def check_schema(session: DbSession) -> None:
    """Refuse a database whose tables are not the ones this code reads and writes.

    A database built by ``create_all`` (the tests) has no Alembic version table and is taken
    as current when its tables exist."""
    connection = session.connection()
    current = MigrationContext.configure(connection).get_current_revision()
    head = schema_head()
    if current is None and not inspect(connection).has_table(Event.__tablename__):
        raise BackupError(["The database has no tables: run `tracker setup --no-data` first."])
    if current is not None and current != head:
        raise BackupError(
            [
                f"The database is at schema revision {current}, this tracker's is "
                f"{head}: run `tracker setup --no-data` first."
            ]
        )
    covered = {t.name for t in (*LINK_TABLES, *JSON_TABLES, *NOT_DATA)} | {
        spec.model.__tablename__ for spec in FILES
    }
    uncovered = sorted(set(Base.metadata.tables) - covered)
    if uncovered:
        raise BackupError([f"The backup format does not cover table(s) {', '.join(uncovered)}."])


def table_counts(session: DbSession) -> dict[str, int]:
    """Rows of every table of the schema, by table name."""
    return {
        table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
        if table not in NOT_DATA
    }


# --- backup ------------------------------------------------------------------------------


def _begin_snapshot(session: DbSession) -> None:
    """Read the whole backup from one snapshot of the database, so a backup taken while
    editors save is consistent (no revision without its change, or the reverse).

    PostgreSQL: a REPEATABLE READ transaction. SQLite: an explicit BEGIN, since the driver
    starts transactions only before writes and each SELECT would otherwise see the latest
    commit; in WAL mode a read transaction does not block writers. A session already in a
    transaction is read as it is."""
    # Flask-SQLAlchemy's db.session: the proxy has no in_transaction(), its session does.
    current: Session = session() if isinstance(session, scoped_session) else session
    if current.in_transaction():
        return
    if current.get_bind().dialect.name == "postgresql":
        current.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        current.connection().exec_driver_sql("BEGIN")


def _jsonable(value):
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return value


def _rows(session: DbSession, table) -> list[dict]:
    """Every row of a table, in id order, as JSON-able dicts of its backed-up columns."""
    excluded = NOT_BACKED_UP.get(table.name, ())
    columns = [c for c in table.c if c.name not in excluded]
    return [
        {name: _jsonable(value) for name, value in row.items()}
        for row in session.execute(select(*columns).order_by(table.c.id)).mappings()
    ]


def _records(session: DbSession) -> list[dict]:
    """Id, timestamps and version of every row of the data files, by table and key."""
    out = []
    for spec in FILES:
        model = spec.model
        meta = (model.id, model.created_at, model.updated_at, model.version)
        if spec.name == "citations":
            query = select(*meta, Event.slug, Source.slug).join(Citation.event).join(Citation.source)
        else:
            query = select(*meta, model.slug)
        for id_, created_at, updated_at, version, *key in session.execute(query.order_by(model.id)):
            out.append(
                {
                    "table": spec.name,
                    "key": key,
                    "id": id_,
                    "created_at": _jsonable(created_at),
                    "updated_at": _jsonable(updated_at),
                    "version": version,
                }
            )
    return out


def _revisions(session: DbSession) -> list[dict]:
    changes: dict[int, list[dict]] = {}
    for change in _rows(session, RevisionChange.__table__):
        changes.setdefault(change["revision_id"], []).append(change)
    return [
        {**revision, "changes": changes.get(revision["id"], [])}
        for revision in _rows(session, Revision.__table__)
    ]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows).encode("utf-8")


def write_backup(session: DbSession, path: str | Path) -> dict[str, int]:
    """Write everything the database holds to a backup archive at ``path``; returns the row
    counts. The archive is written beside ``path`` and renamed into place, so a failed backup
    never leaves a partial file where the last good one was.

    Raises BackupError when the data files would not load back (a record the loader refuses,
    e.g. text with a NUL stored by SQLite): such a backup could not be restored."""
    _begin_snapshot(session)
    check_schema(session)
    members: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        export_dir(session, tmp)
        _, problems = validate(Path(tmp), session)
        if problems:
            raise BackupError(
                [
                    "The data would not load back, so the backup could not be "
                    "restored; fix these records first:",
                    *(f"{DATA_DIR}{p}" for p in problems),
                ]
            )
        for file in sorted(Path(tmp).rglob("*")):
            if file.is_file():
                members[DATA_DIR + file.relative_to(tmp).as_posix()] = file.read_bytes()
    members["records.jsonl"] = _jsonl(_records(session))
    members["users.jsonl"] = _jsonl(_rows(session, User.__table__))
    members["revisions.jsonl"] = _jsonl(_revisions(session))
    members["corrections.jsonl"] = _jsonl(_rows(session, Correction.__table__))
    members["data_loads.jsonl"] = _jsonl(_rows(session, DataLoad.__table__))
    members["README.txt"] = README.encode("utf-8")
    counts = table_counts(session)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z",
        "software_version": __version__,
        "schema_revision": schema_head(),
        "engine": session.get_bind().dialect.name,
        "counts": counts,
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in sorted(members.items())
        },
    }
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
            for name, data in sorted(members.items()):
                archive.writestr(name, data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


# --- restore -----------------------------------------------------------------------------


def read_archive(path: str | Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and members of a backup, after checking its format, schema revision and
    every member's SHA-256 (a damaged or edited archive is refused before anything is
    written)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError([f"{path}: not a readable zip archive ({exc})"]) from None
    try:
        manifest = json.loads(members.pop("manifest.json"))
    except (KeyError, ValueError):
        raise BackupError([f"{path}: no readable manifest.json: not a tracker backup"]) from None
    if manifest.get("format") != FORMAT:
        raise BackupError([f"{path}: not a tracker backup (format {manifest.get('format')!r})"])
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            [
                f"{path}: backup format version {manifest.get('format_version')!r}; "
                f"this tracker reads version {FORMAT_VERSION}"
            ]
        )
    head = schema_head()
    if manifest.get("schema_revision") != head:
        raise BackupError(
            [
                f"{path}: made at schema revision {manifest.get('schema_revision')!r}, this tracker "
                f"is at {head!r}: restore it with the tracker version that made it "
                f"({manifest.get('software_version')}), then upgrade with `tracker setup`"
            ]
        )
    problems = []
    listed = manifest.get("files", {})
    for name in sorted(set(listed) | set(members)):
        if name not in members:
            problems.append(f"{path}: {name}: listed in the manifest but missing")
        elif name not in listed:
            problems.append(f"{path}: {name}: not listed in the manifest")
        elif hashlib.sha256(members[name]).hexdigest() != listed[name].get("sha256"):
            problems.append(f"{path}: {name}: damaged (SHA-256 differs from the manifest)")
        elif name.startswith(DATA_DIR) and not DATA_NAME.match(name[len(DATA_DIR) :]):
            problems.append(f"{path}: {name}: not a data file name")
    for name in ("records.jsonl", "users.jsonl", "revisions.jsonl", "corrections.jsonl", "data_loads.jsonl"):
        if name not in members:
            problems.append(f"{path}: {name}: missing")
    if problems:
        raise BackupError(problems)
    return manifest, members


def _read_jsonl(members: dict[str, bytes], name: str) -> list[tuple[str, dict]]:
    """(``FILE:LINE``, object) per line of a JSON-lines member."""
    out = []
    for number, line in enumerate(members[name].decode("utf-8").splitlines(), start=1):
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise BackupError([f"{name}:{number}: not JSON ({exc})"]) from None
        if not isinstance(value, dict):
            raise BackupError([f"{name}:{number}: not a JSON object"])
        out.append((f"{name}:{number}", value))
    return out


def _row(table, values: dict, where: str) -> dict:
    """A JSON object as a row of ``table``: exactly its backed-up columns, times parsed."""
    expected = {c.name for c in table.c} - set(NOT_BACKED_UP.get(table.name, ()))
    unknown, missing = sorted(set(values) - expected), sorted(expected - set(values))
    if unknown or missing:
        raise BackupError(
            [
                f"{where}: columns do not match table {table.name} "
                f"(unknown: {', '.join(unknown) or '-'}; missing: "
                f"{', '.join(missing) or '-'})"
            ]
        )
    row = {}
    for column in table.c:
        if column.name not in values:
            continue
        value = values[column.name]
        try:
            if value is not None and isinstance(column.type, DateTime):
                value = dt.datetime.fromisoformat(value)
            elif value is not None and isinstance(column.type, Date):
                value = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise BackupError([f"{where}: {column.name}: {value!r} is not an ISO date"]) from None
        row[column.name] = value
    return row


def _wipe(session: DbSession) -> None:
    """Delete every row of every table, dependents first. Self-references (an actor's parent,
    a measure's replacement, a revert's revision) are cleared first: SQLite checks RESTRICT
    row by row, so deleting a parent before its child in one statement could fail."""
    tables = [t for t in Base.metadata.sorted_tables if t not in NOT_DATA]
    for table in tables:
        self_refs = {c.name: None for c in table.c if any(fk.column.table is table for fk in c.foreign_keys)}
        if self_refs:
            session.execute(update(table).values(**self_refs))
    for table in reversed(tables):
        session.execute(delete(table))


def _record_ids(manifest: dict, records: list[tuple[str, dict]]) -> dict[str, dict[tuple, int]]:
    ids: dict[str, dict[tuple, int]] = {spec.name: {} for spec in FILES}
    for where, record in records:
        table, key = record.get("table"), tuple(record.get("key") or ())
        if table not in ids or not isinstance(record.get("id"), int):
            raise BackupError([f"{where}: not a record of the data files"])
        if key in ids[table]:
            raise BackupError([f"{where}: {table} {'/'.join(key)!r} is listed twice"])
        ids[table][key] = record["id"]
    for spec in FILES:
        if len(ids[spec.name]) != manifest["counts"].get(spec.model.__tablename__):
            raise BackupError(
                [
                    f"records.jsonl: {len(ids[spec.name])} {spec.name}, the manifest "
                    f"counts {manifest['counts'].get(spec.model.__tablename__)}"
                ]
            )
    return ids


def _restore_record_meta(session: DbSession, records: list[tuple[str, dict]]) -> None:
    """Put back the data rows' timestamps and versions (the loader gave them new ones).

    Core UPDATEs by id: through the ORM, the version counter would be bumped again."""
    by_table: dict[str, list[dict]] = {}
    for where, record in records:
        try:
            by_table.setdefault(record["table"], []).append(
                {
                    "b_id": record["id"],
                    "b_created_at": dt.datetime.fromisoformat(record["created_at"]),
                    "b_updated_at": dt.datetime.fromisoformat(record["updated_at"]),
                    "b_version": int(record["version"]),
                }
            )
        except (KeyError, TypeError, ValueError):
            raise BackupError([f"{where}: created_at, updated_at or version is not valid"]) from None
    for spec in FILES:
        rows = by_table.get(spec.name)
        if not rows:
            continue
        table = spec.model.__table__
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                created_at=bindparam("b_created_at"),
                updated_at=bindparam("b_updated_at"),
                version=bindparam("b_version"),
            ),
            rows,
        )


def _insert(session: DbSession, table, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(table), rows)


def _reset_sequences(session: DbSession) -> None:
    """After rows were inserted with explicit ids, make PostgreSQL's sequences continue
    after the largest id (else the next insert would reuse id 1 and fail). SQLite needs
    nothing: an INTEGER PRIMARY KEY takes the largest rowid + 1."""
    if session.get_bind().dialect.name != "postgresql":
        return
    quote = session.get_bind().dialect.identifier_preparer.quote
    for table in Base.metadata.sorted_tables:
        if table in NOT_DATA:
            continue
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer):
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"(SELECT coalesce(max({quote(key[0].name)}), 0) + 1 FROM {quote(table.name)}), "
                f"false)"
            ),
            {"table": table.name, "column": key[0].name},
        )


def _verify(session: DbSession, manifest: dict, members: dict[str, bytes]) -> None:
    """The restored database has the manifest's row counts and exports the archive's data
    files byte for byte; otherwise the restore is rolled back."""
    problems = [
        f"{name}: {n} rows restored, the backup has {manifest['counts'].get(name)}"
        for name, n in table_counts(session).items()
        if n != manifest["counts"].get(name)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        export_dir(session, tmp)
        exported = {
            DATA_DIR + f.relative_to(tmp).as_posix(): f.read_bytes()
            for f in Path(tmp).rglob("*")
            if f.is_file()
        }
    archived = {name: data for name, data in members.items() if name.startswith(DATA_DIR)}
    for name in sorted(set(exported) | set(archived)):
        if exported.get(name) != archived.get(name):
            problems.append(f"{name}: the restored data does not export as in the backup")
    if problems:
        raise BackupError(["Verification failed; nothing was restored:", *problems])


def restore(session: DbSession, path: str | Path, replace: bool = False) -> dict[str, int]:
    """Restore a backup archive into the database in one transaction; returns the row counts.

    Refuses a database that has any row unless ``replace``, which deletes everything first
    in the same transaction. The data files go through the loader (validated like any
    import), with their old ids; then timestamps, accounts (with new session tokens),
    revisions with their changes, corrections and the recorded loads; then PostgreSQL's
    sequences are moved past the restored ids and the result is verified. Any failure rolls
    everything back."""
    manifest, members = read_archive(path)
    try:
        check_schema(session)
        present = {name: n for name, n in table_counts(session).items() if n}
        if present and not replace:
            raise BackupError(
                [
                    "The database is not empty ("
                    + ", ".join(f"{n} {name}" for name, n in present.items())
                    + "): restore into an empty database, or give --replace to delete everything "
                    "in it first."
                ]
            )
        if present:
            _wipe(session)
        records = _read_jsonl(members, "records.jsonl")
        ids = _record_ids(manifest, records)
        with tempfile.TemporaryDirectory() as tmp:
            for name, data in members.items():
                if name.startswith(DATA_DIR):
                    target = Path(tmp) / name[len(DATA_DIR) :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
            try:
                stage(tmp, session, ids=ids)
            except LoadError as exc:
                raise BackupError([f"{DATA_DIR}{p}" for p in exc.problems]) from None
        _restore_record_meta(session, records)

        users = [_row(User.__table__, values, where) for where, values in _read_jsonl(members, "users.jsonl")]
        for user in users:
            user["session_token"] = new_session_token()
        _insert(session, User.__table__, users)

        revisions, changes, reverts = [], [], []
        for where, values in _read_jsonl(members, "revisions.jsonl"):
            values = dict(values)
            nested = values.pop("changes", None)
            if not isinstance(nested, list):
                raise BackupError([f"{where}: changes: not a list"])
            revision = _row(Revision.__table__, values, where)
            # Inserted without the revision it reverts, which is set once all exist.
            if revision["reverts_id"] is not None:
                reverts.append({"b_id": revision["id"], "b_reverts_id": revision["reverts_id"]})
            revisions.append({**revision, "reverts_id": None})
            changes += [_row(RevisionChange.__table__, change, f"{where}: changes") for change in nested]
        _insert(session, Revision.__table__, revisions)
        if reverts:
            table = _table(Revision)
            session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(reverts_id=bindparam("b_reverts_id")),
                reverts,
            )
        _insert(session, RevisionChange.__table__, changes)
        _insert(
            session,
            Correction.__table__,
            [
                _row(Correction.__table__, values, where)
                for where, values in _read_jsonl(members, "corrections.jsonl")
            ],
        )
        _insert(
            session,
            DataLoad.__table__,
            [
                _row(DataLoad.__table__, values, where)
                for where, values in _read_jsonl(members, "data_loads.jsonl")
            ],
        )

        _reset_sequences(session)
        bump_data_version(session)
        periods.touch(session, None)
        session.expire_all()
        _verify(session, manifest, members)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return manifest["counts"]
