"""tracker load: validation with FILE:LINE: column: reason, all-or-nothing, idempotent."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.datafiles import load as loader
from tracker.datafiles.export import export_dir
from tracker.datafiles.load import LoadError, load, quote_in_text
from tracker.datafiles.spec import BY_NAME, FILES, CellError, parse_cell
from tracker.db.models import Actor, Citation, DataVersion, Event, Measure, Source
from tracker.extensions import db

from .conftest import DATA_DIR


def counts(session):
    return {
        m.__name__: session.scalar(select(func.count()).select_from(m))
        for m in (Event, Measure, Source, Citation)
    }


def snapshot(session, tmp_path: Path, name: str) -> dict[str, bytes]:
    out = tmp_path / name
    export_dir(session, out)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def corrupt(tmp_path: Path, filename: str, find: str, replace: str) -> Path:
    copy = tmp_path / "bad"
    shutil.copytree(DATA_DIR, copy)
    path = copy / filename
    text = path.read_text(encoding="utf-8")
    assert find in text, f"{find!r} not in {filename}"
    path.write_text(text.replace(find, replace, 1), encoding="utf-8")
    return copy


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_load_real_data_reports_counts_and_second_load_changes_nothing(app):
    with app.app_context():
        first = load(DATA_DIR, db.session)
        assert first.counts["events"]["inserted"] >= 97
        assert first.counts["events"]["updated"] == 0
        second = load(DATA_DIR, db.session)
        assert second.changed == 0
        assert second.counts["events"]["unchanged"] == first.counts["events"]["inserted"]
        assert all("0 inserted, 0 updated" in line for line in second.lines())


def test_load_updates_a_changed_row_only(loaded_app, tmp_path):
    with loaded_app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.slug)).first()
        changed = corrupt(tmp_path, "events.csv", event.title, event.title + " (corrected)")
        report = load(changed, db.session)
        assert report.counts["events"]["updated"] == 1
        assert report.changed == 1
        assert db.session.get(Event, event.id).title.endswith("(corrected)")


@pytest.mark.parametrize(
    "filename,column,find,replace,reason",
    [
        ("events.csv", "kind", ",adopted,", ",adopted_maybe,", "unknown event kind"),
        ("events.csv", "date", "2020-06-10", "2020-06-31", "is not a date"),
        ("sources.csv", "url", "https://", "javascript://", "not an http or https URL"),
        ("events.csv", "actor", ",amazon,", ",amazon-nowhere,", "unknown actor"),
    ],
)
def test_a_corrupted_cell_names_file_line_column_and_leaves_the_database_untouched(
    loaded_app, tmp_path, filename, column, find, replace, reason
):
    with loaded_app.app_context():
        before = snapshot(db.session, tmp_path, "before")
        bad = corrupt(tmp_path, filename, find, replace)
        line = line_of(bad / filename, replace)
        with pytest.raises(LoadError) as info:
            load(bad, db.session)
        problems = info.value.problems
        assert any(p.startswith(f"{filename}:{line}: {column}: ") and reason in p for p in problems), problems
        assert snapshot(db.session, tmp_path, "after") == before


def test_a_bad_load_into_an_empty_database_writes_nothing(app, tmp_path):
    bad = corrupt(tmp_path, "citations.csv", ",mention,", ",gossip,")
    with app.app_context():
        with pytest.raises(LoadError):
            load(bad, db.session)
        assert counts(db.session) == {"Event": 0, "Measure": 0, "Source": 0, "Citation": 0}


def test_every_problem_is_reported_not_just_the_first(app, tmp_path):
    bad = corrupt(tmp_path, "events.csv", ",adopted,", ",adopted_maybe,")
    text = (bad / "measures.csv").read_text(encoding="utf-8")
    (bad / "measures.csv").write_text(text.replace(",ban,", ",prohibition,", 1), encoding="utf-8")
    with app.app_context(), pytest.raises(LoadError) as info:
        load(bad, db.session)
    assert any(p.startswith("events.csv:") for p in info.value.problems)
    assert any(p.startswith("measures.csv:") for p in info.value.problems)


def test_duplicate_slug_and_missing_column_are_refused(app, tmp_path):
    bad = tmp_path / "dup"
    shutil.copytree(DATA_DIR, bad)
    lines = (bad / "technologies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (bad / "technologies.csv").write_text("".join(lines + [lines[1]]), encoding="utf-8")
    with app.app_context(), pytest.raises(LoadError) as info:
        load(bad, db.session)
    assert any(f"technologies.csv:{len(lines) + 1}: slug: duplicate" in p for p in info.value.problems), (
        info.value.problems
    )

    header = (bad / "actors.csv").read_text(encoding="utf-8").replace(",coordinates_source", "", 1)
    (bad / "actors.csv").write_text(header, encoding="utf-8")
    with app.app_context(), pytest.raises(LoadError) as info:
        load(bad, db.session)
    assert "actors.csv:1: coordinates_source: missing column" in info.value.problems


def test_a_quote_that_is_not_in_the_stored_text_is_refused(app, tmp_path):
    aclu = "aclu-statement-amazon-face-recognition-moratorium"
    bad = tmp_path / "quote"
    shutil.copytree(DATA_DIR, bad)
    path = bad / "citations.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    index = next(i for i, row in enumerate(rows) if row[1] == aclu)
    rows[index][3] = "Amazon loves face recognition"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    line = line_of(path, "Amazon loves face recognition")
    with app.app_context(), pytest.raises(LoadError) as info:
        load(bad, db.session)
    assert f"citations.csv:{line}: quote: not found in the stored text of {aclu!r}" in (info.value.problems)


def test_a_tampered_text_fails_its_hash(app, tmp_path):
    bad = tmp_path / "hash"
    shutil.copytree(DATA_DIR, bad)
    text_file = next((bad / "sources").glob("*.txt"))
    text_file.write_text(text_file.read_text(encoding="utf-8") + "Tampered.\n", encoding="utf-8")
    with app.app_context(), pytest.raises(LoadError) as info:
        load(bad, db.session)
    assert any("sha256: does not match" in p for p in info.value.problems)


def test_quote_matching_ignores_whitespace():
    assert quote_in_text("two  years\nago", "The ACLU two years ago revealed")
    assert not quote_in_text("three years ago", "The ACLU two years ago revealed")


def test_cli_load_exit_code_and_messages(app, runner, tmp_path):
    bad = corrupt(tmp_path, "events.csv", ",adopted,", ",adopted_maybe,")
    result = runner.invoke(args=["load", str(bad)])
    assert result.exit_code == 1
    assert "events.csv:" in result.output and "database is unchanged" in result.output
    result = runner.invoke(args=["load", str(DATA_DIR)])
    assert result.exit_code == 0, result.output
    assert "events.csv:" in result.output and "inserted" in result.output


# --- NUL characters -------------------------------------------------------------------------


def edit_cell(path: Path, row: int, column: str, value: str) -> int:
    """Set one cell of a data file (row 0 is the first data row); returns its line."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[row + 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    assert not any("\n" in cell for r in rows[: row + 1] for cell in r)
    return row + 2


def test_parse_cell_refuses_a_nul_character_in_every_column_type():
    columns = {}
    for spec in FILES:
        for col in spec.columns:
            columns.setdefault(col.type, col)
    assert set(columns) == {
        "slug",
        "text",
        "date",
        "vocab",
        "vocabs",
        "ref",
        "refs",
        "float",
        "url",
        "bool",
        "sha",
        "code",
    }
    for col in columns.values():
        for text in ("\x00", "face\x00recognition", "2020-01-01\x00"):
            with pytest.raises(CellError, match="^contains a NUL character$"):
                parse_cell(col, text)


@pytest.mark.parametrize(
    "filename,column,value",
    [
        ("events.csv", "title", "Amazon pauses\x00 sales"),
        ("actors.csv", "slug", "amazon\x00"),
        ("measures.csv", "technologies", "face-recognition\x00"),
    ],
)
def test_a_nul_character_is_refused_on_both_engines_and_nothing_is_written(
    app, tmp_path, filename, column, value
):
    bad = tmp_path / "nul"
    shutil.copytree(DATA_DIR, bad)
    line = edit_cell(bad / filename, 3, column, value)
    with app.app_context():
        with pytest.raises(LoadError) as info:
            load(bad, db.session)
        assert f"{filename}:{line}: {column}: contains a NUL character" in info.value.problems
        assert counts(db.session) == {"Event": 0, "Measure": 0, "Source": 0, "Citation": 0}


def test_a_nul_character_in_a_stored_source_text_is_refused(app, tmp_path):
    bad = tmp_path / "nul-text"
    shutil.copytree(DATA_DIR, bad)
    text_file = bad / "sources" / "aclu-statement-amazon-face-recognition-moratorium.txt"
    text_file.write_text("First line\nSecond\x00 line\n", encoding="utf-8")
    with app.app_context(), pytest.raises(LoadError) as info:
        load(bad, db.session)
    assert (
        "sources/aclu-statement-amazon-face-recognition-moratorium.txt:2: (text): contains a NUL character"
    ) in info.value.problems


# --- bytes that are not UTF-8 ----------------------------------------------------------------


def test_bytes_that_are_not_utf8_are_reported_at_their_physical_line_and_column(app, tmp_path):
    bad = tmp_path / "latin1"
    shutil.copytree(DATA_DIR, bad)
    events = bad / "events.csv"
    lines = events.read_bytes().split(b"\n")
    # A Latin-1 "é" in the title of the event on line 7, and a stray byte on line 12.
    with events.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    title = rows[6][rows[0].index("title")].encode("utf-8")
    assert lines[6].count(title) == 1
    lines[6] = lines[6].replace(title, title + b" caf\xe9 ")
    lines[11] = lines[11] + b"\x80"
    events.write_bytes(b"\n".join(lines))
    raw = events.read_bytes()
    # A quoted cell spanning two lines, its bad byte on the second one (line 3 of the file).
    technologies = bad / "technologies.csv"
    tech_lines = technologies.read_bytes().split(b"\n")
    slug, name = tech_lines[1].split(b",")[:2]
    tech_lines[1] = slug + b"," + name + b',"First line\nsecond na\xefve line"'
    technologies.write_bytes(b"\n".join(tech_lines))
    tech_raw = technologies.read_bytes()
    # A stored source text with a bad byte on its third line.
    text_file = bad / "sources" / "aclu-statement-amazon-face-recognition-moratorium.txt"
    text_file.write_bytes(b"One\nTwo\nThr\xe9e\n")
    with app.app_context():
        with pytest.raises(LoadError) as info:
            load(bad, db.session)
        problems = info.value.problems
        e_acute, stray, i_diaeresis = raw.index(b"\xe9"), raw.index(b"\x80"), tech_raw.index(b"\xef")
        assert (
            f"events.csv:7: title: not UTF-8 (invalid continuation byte 0xe9 at byte "
            f"{e_acute}; save the file as UTF-8)"
        ) in problems
        assert (
            f"events.csv:12: needs_confirmation: not UTF-8 (invalid start byte 0x80 at byte "
            f"{stray}; save the file as UTF-8)"
        ) in problems
        assert (
            f"technologies.csv:3: description: not UTF-8 (invalid continuation byte 0xef at "
            f"byte {i_diaeresis}; save the file as UTF-8)"
        ) in problems
        assert (
            "sources/aclu-statement-amazon-face-recognition-moratorium.txt:3: (text): not UTF-8 "
            "(invalid continuation byte 0xe9 at byte 11; save the file as UTF-8)"
        ) in problems
        assert not any(":1: (file)" in p for p in problems), problems
        assert counts(db.session) == {"Event": 0, "Measure": 0, "Source": 0, "Citation": 0}


def test_not_utf8_after_a_csv_syntax_error_is_still_reported_at_its_line(app, tmp_path):
    bad = tmp_path / "broken"
    shutil.copytree(DATA_DIR, bad)
    path = bad / "technologies.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = b'"unterminated' + lines[2]
    lines[5] = lines[5] + b"\xff"
    path.write_bytes(b"\n".join(lines))
    with app.app_context(), pytest.raises(LoadError) as info:
        load(bad, db.session)
    assert any(
        p.startswith("technologies.csv:6: (file): not UTF-8 (invalid start byte 0xff")
        for p in info.value.problems
    ), info.value.problems


# --- files that lack rows of the database, and --prune ------------------------------------


def cut_short(tmp_path: Path, name: str, drop: int, filenames=None) -> tuple[Path, list[str]]:
    """A copy of data/ whose events.csv (or ``name``) lost its last ``drop`` rows at a row
    boundary; ``filenames`` keeps only those files. Returns the copy and the dropped keys."""
    copy = tmp_path / f"cut-{name}-{drop}"
    shutil.copytree(DATA_DIR, copy)
    if filenames is not None:
        for spec in FILES:
            if spec.filename not in filenames:
                (copy / spec.filename).unlink()
    path = copy / f"{name}.csv"
    lines = path.read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == ""
    kept, dropped = lines[: -1 - drop], lines[-1 - drop : -1]
    path.write_bytes("\n".join(kept + [""]).encode("utf-8"))
    return copy, [line.split(",")[0] for line in dropped]


def drop_citations_of(directory: Path, events: list[str]) -> int:
    path = directory / "citations.csv"
    lines = path.read_bytes().decode("utf-8").split("\n")
    kept = [line for line in lines if line.split(",")[0] not in set(events)]
    path.write_bytes("\n".join(kept).encode("utf-8"))
    return len(lines) - len(kept)


def test_a_file_cut_short_is_reported_with_the_rows_it_lacks_and_nothing_is_deleted(loaded_app, tmp_path):
    cut, dropped = cut_short(tmp_path, "events", 12)
    with loaded_app.app_context():
        total = counts(db.session)["Event"]
        before = snapshot(db.session, tmp_path, "before")
        report = load(cut, db.session)
        assert report.changed == 0
        assert report.counts["events"]["rows"] == total - 12
        assert report.missing["events"] == sorted(dropped)
        assert report.missing["citations"] == []
        events_line = next(line for line in report.lines() if line.startswith("events.csv:"))
        assert events_line == (
            f"events.csv: 0 inserted, 0 updated, {total - 12} unchanged; "
            f"{total - 12} rows in the file, 12 rows of the database not in "
            f"the file (kept)"
        )
        [warning] = report.warnings()
        named = ", ".join(sorted(dropped)[:10])
        assert warning == (
            "events.csv: 12 rows of the database are not in the file and were kept (was the "
            f"file cut short? `tracker load DIR --prune` deletes them): {named}, and 2 more"
        )
        assert snapshot(db.session, tmp_path, "after") == before


def test_prune_refuses_to_delete_rows_that_rows_staying_still_refer_to(loaded_app, tmp_path):
    cut, dropped = cut_short(tmp_path, "events", 3)
    with loaded_app.app_context():
        before = snapshot(db.session, tmp_path, "before")
        cited = next(slug for slug in dropped if f"\n{slug}," in (cut / "citations.csv").read_text())
        line = line_of(cut / "citations.csv", f"{cited},")
        with pytest.raises(LoadError) as info:
            load(cut, db.session, prune=True)
        assert (
            f"events.csv: slug: cannot delete {cited!r}, which is not in the file: "
            f"citations.csv:{line} still refers to it (event)"
        ) in info.value.problems
        assert snapshot(db.session, tmp_path, "after") == before


def test_prune_checks_references_from_tables_whose_file_is_absent(loaded_app, tmp_path):
    with loaded_app.app_context():
        measure = db.session.scalars(select(Measure).order_by(Measure.slug)).first()
        adopter = measure.adopted_by.slug
        copy = tmp_path / "actors-only"
        copy.mkdir()
        lines = (DATA_DIR / "actors.csv").read_text(encoding="utf-8").split("\n")
        (copy / "actors.csv").write_text(
            "\n".join(line for line in lines if not line.startswith(f"{adopter},")), encoding="utf-8"
        )
        report = load(copy, db.session)
        assert report.missing == {"actors": [adopter]}
        assert (
            "measures.csv: 0 inserted, 0 updated, 0 unchanged; no such file, its rows are "
            "left alone" in report.lines()
        )
        with pytest.raises(LoadError) as info:
            load(copy, db.session, prune=True)
        assert (
            f"actors.csv: slug: cannot delete {adopter!r}, which is not in the file: measure "
            f"{measure.slug!r} in the database (measures.csv is not in the directory) still "
            f"refers to it (adopted_by)"
        ) in info.value.problems
        assert db.session.scalar(select(func.count()).select_from(Actor).where(Actor.slug == adopter)) == 1


def test_prune_deletes_the_rows_the_files_lack_in_the_same_transaction(loaded_app, tmp_path):
    cut, dropped = cut_short(tmp_path, "events", 12)
    n_citations = drop_citations_of(cut, dropped)
    assert n_citations > 0
    with loaded_app.app_context():
        total = counts(db.session)
        report = load(cut, db.session, prune=True)
        assert report.counts["events"]["deleted"] == 12
        assert report.counts["citations"]["deleted"] == n_citations
        assert report.changed == 12 + n_citations
        assert any(
            line.endswith("12 rows of the database not in the file (deleted)") for line in report.lines()
        )
        assert report.warnings() == []
        assert report.deletions()[0].startswith("events.csv: deleted 12 rows not in the file: ")
        assert counts(db.session)["Event"] == total["Event"] - 12
        assert counts(db.session)["Citation"] == total["Citation"] - n_citations
        exported = snapshot(db.session, tmp_path, "pruned")
        # The data files as cut (the codebook beside them is not data).
        assert exported == {
            p.relative_to(cut).as_posix(): p.read_bytes()
            for p in sorted(cut.rglob("*"))
            if p.is_file() and p.suffix != ".md"
        }
        assert load(cut, db.session, prune=True).changed == 0


def test_prune_deletes_an_actor_together_with_its_children(app, tmp_path):
    header = ",".join(BY_NAME["actors"].header)
    full, short = tmp_path / "full", tmp_path / "short"
    full.mkdir()
    short.mkdir()
    rows = ["a,A,region,,,,,,,", "b,B,county,,a,,,,,", "c,C,city,,b,,,,,"]
    (full / "actors.csv").write_text("\n".join([header, *rows, ""]), encoding="utf-8")
    (short / "actors.csv").write_text("\n".join([header, rows[0], ""]), encoding="utf-8")
    with app.app_context():
        load(full, db.session)
        report = load(short, db.session, prune=True)
        assert report.counts["actors"]["deleted"] == 2
        assert db.session.scalars(select(Actor.slug)).all() == ["a"]


def test_cli_load_warns_about_rows_a_file_lacks_and_prune_deletes_them(app, runner, tmp_path):
    cut, dropped = cut_short(tmp_path, "citations", 2)
    assert runner.invoke(args=["load", str(DATA_DIR)]).exit_code == 0
    result = runner.invoke(args=["load", str(cut)])
    assert result.exit_code == 0, result.output
    assert "citations.csv: 2 rows of the database are not in the file and were kept" in result.stderr
    assert result.stderr.startswith("Warning: ")
    assert "2 rows of the database not in the file (kept)" in result.stdout
    result = runner.invoke(args=["load", str(cut), "--prune"])
    assert result.exit_code == 0, result.output
    assert "citations.csv: deleted 2 rows not in the file: " in result.stdout
    assert "Warning" not in result.output
    with app.app_context():
        assert (
            counts(db.session)["Citation"]
            == len((cut / "citations.csv").read_text(encoding="utf-8").splitlines()) - 1
        )


# --- how the rows are written: Core batches, versions, the data version, atomicity --------


def data_version(session) -> int:
    return session.scalar(select(DataVersion.version))


def row_state(session) -> dict[str, list[tuple]]:
    """Every data row's id, version and timestamps, per table (the export does not show
    them)."""
    return {
        spec.name: session.execute(
            select(spec.model.id, spec.model.version, spec.model.created_at, spec.model.updated_at).order_by(
                spec.model.id
            )
        ).all()
        for spec in FILES
    }


def test_small_batches_write_the_same_database_references_further_down_included(app, tmp_path, monkeypatch):
    """Batches of 3 rows: actors' parents and measures' replacements further down the file
    (Alabama's parent is the United States, 230 lines below) land in later batches."""
    monkeypatch.setattr(loader, "BATCH_SIZE", 3)
    with app.app_context():
        first = load(DATA_DIR, db.session)
        exported = snapshot(db.session, tmp_path, "small-batches")
        assert load(DATA_DIR, db.session).changed == 0
    assert first.counts["actors"]["inserted"] == len((DATA_DIR / "actors.csv").read_text().splitlines()) - 1
    assert exported == {
        p.relative_to(DATA_DIR).as_posix(): p.read_bytes()
        for p in sorted(DATA_DIR.rglob("*"))
        if p.is_file() and p.suffix != ".md"
    }


def test_an_update_increments_the_rows_version_and_moves_its_updated_at_only(loaded_app, tmp_path):
    with loaded_app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.slug)).first()
        event_id, title = event.id, event.title
        before = row_state(db.session)
        db.session.rollback()
        report = load(corrupt(tmp_path, "events.csv", title, title + " (corrected)"), db.session)
        assert report.counts["events"]["updated"] == 1
        after = row_state(db.session)
    [(_, version, created, updated)] = [r for r in before["events"] if r[0] == event_id]
    [(_, new_version, new_created, new_updated)] = [r for r in after["events"] if r[0] == event_id]
    assert (new_version, new_created) == (version + 1, created)
    assert new_updated > updated
    assert [r for r in after["events"] if r[0] != event_id] == [
        r for r in before["events"] if r[0] != event_id
    ]
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"
    }


def test_a_change_to_a_list_alone_is_an_update_that_increments_the_version(loaded_app, tmp_path):
    """Only the link table changes (a measure's technologies), but editors' forms must see
    the row as changed, so its version moves as if a column had."""
    with loaded_app.app_context():
        measure = db.session.scalars(
            select(Measure).where(Measure.slug == "alabama-facial-recognition-arrest-rule-2022")
        ).one()
        version = measure.version
        assert [t.slug for t in measure.technologies] == ["face-recognition"]
        changed = corrupt(
            tmp_path,
            "measures.csv",
            ",alabama,face-recognition,SB 56",
            ",alabama,alpr; face-recognition,SB 56",
        )
        report = load(changed, db.session)
        assert report.counts["measures"]["updated"] == 1 and report.changed == 1
        measure = db.session.get(Measure, measure.id)
        assert measure.version == version + 1
        assert [t.slug for t in measure.technologies] == ["alpr", "face-recognition"]
        assert load(changed, db.session).changed == 0


def test_the_data_version_moves_once_per_load_that_changes_rows_and_not_on_an_unchanged_one(
    loaded_app, tmp_path
):
    with loaded_app.app_context():
        start = data_version(db.session)
        assert load(DATA_DIR, db.session).changed == 0
        assert data_version(db.session) == start
        event = db.session.scalars(select(Event).order_by(Event.slug)).first()
        changed = corrupt(tmp_path, "events.csv", event.title, event.title + " (corrected)")
        technologies = (changed / "technologies.csv").read_text(encoding="utf-8")
        (changed / "technologies.csv").write_text(technologies + "gait-recognition,Gait recognition,\n")
        report = load(changed, db.session)
        assert report.changed == 2
        assert data_version(db.session) == start + 1


def test_a_first_load_moves_the_data_version_once(app):
    with app.app_context():
        start = data_version(db.session)
        load(DATA_DIR, db.session)
        assert data_version(db.session) == start + 1


def test_a_failure_in_the_middle_of_the_second_file_leaves_the_database_as_it_was(
    loaded_app, tmp_path, monkeypatch
):
    """technologies.csv is written, then a first batch of actors.csv (with a changed row in
    it), then the write fails: everything goes back, timestamps, versions and the data
    version included."""
    changed = corrupt(tmp_path, "technologies.csv", "Face recognition", "Face recognition (renamed)")
    text = (changed / "actors.csv").read_text(encoding="utf-8")
    (changed / "actors.csv").write_text(text.replace("American Civil Liberties Union,", "ACLU (renamed),", 1))
    monkeypatch.setattr(loader, "BATCH_SIZE", 50)
    write_batch = loader._FileWriter.write_batch
    written: list[str] = []

    def failing(writer, rows):
        if writer.spec.name == "actors" and "actors" in written:
            raise RuntimeError("the disk is full")
        write_batch(writer, rows)
        written.append(writer.spec.name)

    monkeypatch.setattr(loader._FileWriter, "write_batch", failing)
    with loaded_app.app_context():
        before = snapshot(db.session, tmp_path, "before"), row_state(db.session), data_version(db.session)
        with pytest.raises(RuntimeError, match="the disk is full"):
            load(changed, db.session)
        assert written == ["technologies", "actors"]
        after = snapshot(db.session, tmp_path, "after"), row_state(db.session), data_version(db.session)
    assert after == before


def test_the_search_index_finds_what_the_loader_inserted_and_updated(loaded_app, tmp_path):
    """SQLite's FTS5 index follows the tables by triggers and PostgreSQL's is an expression
    index, so rows written without the ORM are found too."""
    with loaded_app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.slug)).first()
        slug, title = event.slug, event.title
        db.session.rollback()
        changed = corrupt(tmp_path, "events.csv", title, "Quixotic zebra ordinance vote")
        actors = (changed / "actors.csv").read_text(encoding="utf-8")
        (changed / "actors.csv").write_text(
            actors + "xylophonic-institute,Xylophonic Institute,organisation,,,,,,,\n"
        )
        load(changed, db.session)
    client = loaded_app.test_client()
    found = client.get("/events.json?q=Quixotic").get_json()
    assert [item["slug"] for item in found["items"]] == [slug]
    assert [a["slug"] for a in client.get("/actors.json?q=Xylophonic").get_json()["items"]] == [
        "xylophonic-institute"
    ]


def replace_in(path: Path, find: str, replace: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert find in text, f"{find!r} not in {path.name}"
    path.write_text(text.replace(find, replace, 1), encoding="utf-8")


def test_the_hook_after_the_write_gets_the_measures_whose_row_or_events_changed(
    loaded_app, tmp_path, monkeypatch
):
    calls: list[set[int] | None] = []
    actor_calls: list[set[int]] = []
    after = loader._after_bulk_write

    def record(session, changed_measure_ids, changed_actor_ids):
        calls.append(changed_measure_ids)
        actor_calls.append(set(changed_actor_ids))
        after(session, changed_measure_ids, changed_actor_ids)

    monkeypatch.setattr(loader, "_after_bulk_write", record)
    work = tmp_path / "work"
    shutil.copytree(DATA_DIR, work)
    with loaded_app.app_context():
        assert load(work, db.session).changed == 0
        assert calls == []
        # An event's title: its measure.
        event = db.session.scalars(
            select(Event).where(Event.measure_id.is_not(None)).order_by(Event.slug)
        ).first()
        measure_id, measure_slug = event.measure_id, event.measure.slug
        replace_in(work / "events.csv", event.title, event.title + " (corrected)")
        load(work, db.session)
        assert calls.pop() == {measure_id}
        assert actor_calls.pop() == set()
        # An event without a measure: its actor (the facet counts of its measure-less events).
        loose = db.session.scalars(
            select(Event).where(Event.measure_id.is_(None)).order_by(Event.slug)
        ).first()
        replace_in(work / "events.csv", loose.title, loose.title + " (corrected)")
        load(work, db.session)
        assert (calls.pop(), actor_calls.pop()) == (set(), {loose.actor_id})
        # An event moved to another measure: both.
        other_id, other_slug = db.session.execute(
            select(Measure.id, Measure.slug).where(Measure.id != measure_id, Measure.replaces_id.is_(None))
        ).first()
        replace_in(work / "events.csv", f",{measure_slug},", f",{other_slug},")
        load(work, db.session)
        assert calls.pop() == {measure_id, other_id}
        # A measure that replaces another: both (the replaced one ends when it takes effect).
        successor = db.session.scalars(select(Measure).where(Measure.replaces_id.is_not(None))).first()
        replace_in(work / "measures.csv", successor.title, successor.title + " (corrected)")
        load(work, db.session)
        assert calls.pop() == {successor.id, successor.replaces_id}
        # A source only: no measure.
        source = db.session.scalars(
            select(Source).where(Source.title.is_not(None)).order_by(Source.slug)
        ).first()
        replace_in(work / "sources.csv", source.title, source.title + " (corrected)")
        load(work, db.session)
        assert calls.pop() == set()
        # An event pruned: its measure.
        slug, measure_id = db.session.execute(
            select(Event.slug, Event.measure_id)
            .join(Event.measure)
            .where(Measure.replaces_id.is_(None))
            .order_by(Event.slug.desc())
        ).first()
        with (work / "events.csv").open(encoding="utf-8", newline="") as f:
            rows = [row for row in csv.reader(f) if row[0] != slug]
        with (work / "events.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
        drop_citations_of(work, [slug])
        assert load(work, db.session, prune=True).counts["events"]["deleted"] == 1
        assert calls.pop() == {measure_id}
    assert calls == []


def test_a_first_load_tells_the_hook_every_measure_changed(app, monkeypatch):
    calls = []
    monkeypatch.setattr(loader, "_after_bulk_write", lambda session, ids, actors: calls.append(ids))
    with app.app_context():
        load(DATA_DIR, db.session)
    assert calls == [None]
