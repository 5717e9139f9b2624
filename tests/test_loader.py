"""tracker load: validation with FILE:LINE: column: reason, all-or-nothing, idempotent."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.exports import export_dir
from tracker.extensions import db
from tracker.loader import LoadError, load, quote_in_text
from tracker.models import Citation, Event, Measure, Source

from .conftest import DATA_DIR


def counts(session):
    return {m.__name__: session.scalar(select(func.count()).select_from(m))
            for m in (Event, Measure, Source, Citation)}


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


def test_load_updates_a_changed_row_only(app, tmp_path):
    with app.app_context():
        load(DATA_DIR, db.session)
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
    app, tmp_path, filename, column, find, replace, reason
):
    with app.app_context():
        load(DATA_DIR, db.session)
        before = snapshot(db.session, tmp_path, "before")
        bad = corrupt(tmp_path, filename, find, replace)
        line = line_of(bad / filename, replace)
        with pytest.raises(LoadError) as info:
            load(bad, db.session)
        problems = info.value.problems
        assert any(p.startswith(f"{filename}:{line}: {column}: ") and reason in p
                   for p in problems), problems
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
    assert any(f"technologies.csv:{len(lines) + 1}: slug: duplicate" in p
               for p in info.value.problems), info.value.problems

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
    assert f"citations.csv:{line}: quote: not found in the stored text of {aclu!r}" in (
        info.value.problems
    )


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
