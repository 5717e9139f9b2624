"""tracker export: the data-file format, byte-identical round trips on both engines, and the
web CSV's formula neutralisation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker import create_app
from tracker.datafiles.export import frame_to_csv
from tracker.datafiles.load import load
from tracker.extensions import db
from tracker.render.exports import neutralise, rows_to_csv

from .conftest import DATA_DIR, _reset


def tree(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def roundtrip(database_url: str, engine_name: str, tmp_path: Path, tag: str) -> dict:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        _reset(engine_name)
        load(DATA_DIR, db.session)
        first = tmp_path / f"{tag}-1"
        runner = app.test_cli_runner()
        result = runner.invoke(args=["export", str(first)])
        assert result.exit_code == 0, result.output
        _reset(engine_name)
        load(first, db.session)
        second = tmp_path / f"{tag}-2"
        from tracker.datafiles.export import export_dir

        export_dir(db.session, second)
        db.session.remove()
        db.engine.dispose()
    assert tree(first) == tree(second)
    return tree(first)


def test_round_trip_is_byte_identical_and_equals_the_data_folder(database_url, engine_name, tmp_path):
    exported = roundtrip(database_url, engine_name, tmp_path, engine_name)
    assert exported == tree(DATA_DIR), "data/ is not in canonical export form"


def test_postgresql_export_equals_sqlite_export(pg_database_url, tmp_path):
    sqlite = roundtrip(f"sqlite:///{tmp_path / 'a.sqlite3'}", "sqlite", tmp_path, "sqlite")
    postgres = roundtrip(pg_database_url, "postgresql", tmp_path, "postgresql")
    assert sqlite == postgres


def test_exported_dataset_meets_the_sourcing_rules(tmp_path):
    """≥ 97 events, each cited by a source with a URL; the ACLU statement cited ≥ 10 times."""
    import pandas as pd

    read = lambda name: pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False)  # noqa: E731
    events, sources, citations = read("events.csv"), read("sources.csv"), read("citations.csv")
    assert len(events) >= 97
    assert {f"E{i:03d}" for i in range(1, 98)} <= set(events.fact_id)
    with_url = set(sources.slug[sources.url != ""])
    cited = set(citations.event[citations.source.isin(with_url)])
    assert set(events.slug) <= cited
    aclu = citations[citations.source == "aclu-statement-amazon-face-recognition-moratorium"]
    assert len(aclu) >= 10
    assert (aclu.quote != "").all()


def test_neutralise_formula_like_text_but_not_numbers():
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert neutralise("+1 555") == "'+1 555"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("\tcmd") == "'\tcmd"
    assert neutralise("\rcmd") == "'\rcmd"
    assert neutralise("-122.41942") == "-122.41942"
    assert neutralise("-x") == "'-x"
    assert neutralise("Safe text") == "Safe text"
    assert neutralise(12) == 12


def test_rows_to_csv_safe_and_raw_and_bom():
    rows = [["=1+1", "Café"], ["plain", "-3"]]
    safe = rows_to_csv(rows, ["a", "b"])
    assert safe == "a,b\n'=1+1,Café\nplain,-3\n"
    assert rows_to_csv(rows, ["a", "b"], safe=False) == "a,b\n=1+1,Café\nplain,-3\n"
    assert rows_to_csv(rows, ["a", "b"], bom=True).startswith("\ufeffa,b\n")


def test_csv_cells_without_text_are_written_as_they_are():
    rows = [[None, 1, 1.5, "=x", "-3"], [None, None, None, "ok", "-x"]]
    assert rows_to_csv(rows, list("abcde")) == "a,b,c,d,e\n,1,1.5,'=x,-3\n,,,ok,'-x\n"


CELL = st.none() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=6))
def test_the_streamed_csv_writes_the_dialect_of_the_data_files(rows):
    """The web CSV (the csv module's writer) and the data files (pandas) write one dialect:
    the same quoting, line ends and empty cells for the same rows."""
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object)
    assert rows_to_csv(rows, ["a", "b", "c"], safe=False) == frame_to_csv(frame)
