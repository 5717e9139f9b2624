"""Statement → suggested citations: the pure pieces, the real ACLU statement, the ingest page."""

from __future__ import annotations

import datetime as dt
import html as html_module
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.editor_helpers import editor_client, setup_world
from tracker import ingest
from tracker.datafiles.load import quote_in_text
from tracker.db.models import Citation, RevisionChange, Source
from tracker.extensions import db

STATEMENTS = Path(__file__).parent / "fixtures" / "statements"
ACLU = STATEMENTS / "aclu-statement-amazon-face-recognition-moratorium-2020-06-10.txt"
ACLU_EXPECTED = {
    "amazon-announces-rekognition-police-moratorium",
    "ibm-exits-general-purpose-face-recognition",
    "google-cloud-holds-back-face-recognition-apis",
    "aclu-test-rekognition-matches-28-members-of-congress",
    "san-francisco-board-gives-final-approval-to-surveillance-ordinance",
    "berkeley-council-bans-face-recognition",
    "oakland-council-gives-final-approval-to-face-recognition-ban",
    "springfield-council-passes-face-surveillance-moratorium",
    "cambridge-council-bans-face-recognition",
    "newsom-signs-ab-1215-body-camera-biometric-ban",
    "justice-in-policing-act-introduced",
}


def test_header_is_parsed_and_metadata_proposed():
    statement = ingest.read_statement(ACLU.read_text(encoding="utf-8"))
    assert statement.meta["title"] == "ACLU Statement on Amazon Face Recognition Moratorium"
    assert statement.date == dt.date(2020, 6, 10)
    assert statement.meta["kind"] == "statement"
    assert statement.text.startswith("ACLU Statement on Amazon")
    publishers = [
        (["Amazon", "Amazon.com", "AWS"], "Amazon"),
        (["American Civil Liberties Union", "ACLU"], "American Civil Liberties Union"),
    ]
    bare = ingest.read_statement(statement.text, publishers=publishers)
    assert bare.meta["date"] == "2020-06-10"  # "June 10, 2020 6:45 pm" near the top
    assert bare.meta["title"] == "ACLU Statement on Amazon Face Recognition Moratorium"
    # Both are named in the title; the one named first is proposed.
    assert bare.meta["publisher"] == "American Civil Liberties Union"
    assert "publisher" not in ingest.read_statement(statement.text).meta


def test_html_is_reduced_to_text():
    html = (
        "<html><head><title>T</title><script>var x=1;</script></head><body><nav>Menu</nav>"
        "<h1>Council bans it</h1><p>On <b>Monday</b> the council voted.</p></body></html>"
    )
    statement = ingest.read_statement(html, html=True)
    assert "var x" not in statement.text and "Menu" not in statement.text
    assert "On\nMonday\nthe council voted." in statement.text or "Monday" in statement.text
    assert statement.meta["title"] == "Council bans it"


def test_sentences_do_not_break_at_abbreviations():
    text = "The U.S. House of Representatives acted. Sen. Markey spoke.\nNew line here."
    assert [s.text for s in ingest.split_sentences(text)] == [
        "The U.S. House of Representatives acted.",
        "Sen. Markey spoke.",
        "New line here.",
    ]


def test_dates_in_prose():
    ref = dt.date(2020, 6, 10)
    found = {
        d.text: (d.start, d.precision)
        for d in ingest.find_dates(
            "In May of 2018 and in July 2018, on June 8, 2020, two years ago, today, next week", ref
        )
    }
    assert found["May of 2018"] == (dt.date(2018, 5, 1), "month")
    assert found["July 2018"] == (dt.date(2018, 7, 1), "month")
    assert found["June 8, 2020"] == (dt.date(2020, 6, 8), "day")
    assert found["today"] == (ref, "day")
    two_years = next(d for d in ingest.find_dates("two years ago", ref))
    assert two_years.start < dt.date(2018, 6, 10) < two_years.end
    assert ingest.find_dates("It was 2021-02-30.", ref) == []


def test_term_matching_handles_variants():
    assert ingest.term_match("IBM", "join IBM, Google, and Amazon") == 1.0
    assert ingest.term_match("Amazon", "Amazon’s Rekognition software") == 1.0
    assert ingest.term_match("AB 1215", "under ab 1215 today") == 1.0
    assert ingest.term_match("IBM", "ibmx") == 0.0
    assert ingest.term_match("Justice in Policing Act", "changes to the Justice in Policing Act,") == 1.0
    assert ingest.term_match("Amazon Rekognition", "Amazon's Rekognition software matched") >= 0.75


def _candidate(slug, date, kind, names, measure_type=None, title=None):
    return ingest.Candidate(
        slug=slug,
        date=date,
        precision="day",
        kind=kind,
        title=title or slug.replace("-", " "),
        measure_type=measure_type,
        terms=[ingest.Term(n, f"actor:{slug}") for n in names],
    )


def test_suggest_ranks_and_skips_future_events():
    candidates = [
        _candidate(
            "acme-moratorium", dt.date(2020, 6, 10), "adopted", ["Acme", "Acme Corp"], "corporate_moratorium"
        ),
        _candidate("acme-extension", dt.date(2021, 5, 18), "extended", ["Acme"], "corporate_moratorium"),
        _candidate("town-ban", dt.date(2019, 5, 14), "adopted", ["Smallville"], "ban"),
        _candidate("unrelated", dt.date(2019, 1, 1), "adopted", ["Elsewhere"], "ban"),
    ]
    statement = ingest.Statement(
        text="Acme today announced a one-year moratorium. In May 2019 Smallville banned it.",
        meta={"date": "2020-06-10", "publisher": "Example Org", "kind": "statement"},
    )
    found = ingest.suggest(statement, candidates)
    assert [s.event for s in found] == ["acme-moratorium", "town-ban"]
    assert found[0].role == "reaction" and found[1].role == "mention"
    assert found[0].quote == "Acme today announced a one-year moratorium."
    assert 0 < found[1].score < found[0].score <= 1


def test_aclu_statement_suggests_the_events_it_speaks_of(loaded_app):
    with loaded_app.app_context():
        candidates = ingest.load_candidates(db.session)
    statement = ingest.read_statement(ACLU.read_text(encoding="utf-8"))
    found = ingest.suggest(statement, candidates)
    assert {s.event for s in found} >= ACLU_EXPECTED
    assert found[0].event == "amazon-announces-rekognition-police-moratorium"
    for s in found:
        assert quote_in_text(s.quote, statement.text)


def test_suggest_command_prints_json(loaded_app):
    result = loaded_app.test_cli_runner().invoke(args=["suggest", str(ACLU), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["event"] for r in rows} >= ACLU_EXPECTED
    first = rows[0]
    assert set(first) == {"event", "date", "title", "role", "score", "quote"}
    assert first["date"] == "2020-06-10" and 0 <= first["score"] <= 1
    assert first["role"] in ("reaction", "announcement", "news_report", "mention", "primary_record")


def test_labelled_set_is_well_formed():
    labels = json.loads((STATEMENTS / "labels.json").read_text())
    files = {k for k in labels if not k.startswith("_")}
    assert files == {p.name for p in STATEMENTS.glob("*.txt")}
    assert 6 <= len(files) <= 9
    for name in files:
        text = (STATEMENTS / name).read_text()
        if name.startswith("synthetic"):
            assert "SYNTHETIC TEST FIXTURE" in text


def test_ingest_page_proposes_then_saves_one_revision(app):
    world = setup_world(app)
    client = editor_client(app)
    text = (
        "title: Council statement\npublisher: City of Springfield\ndate: 2020-02-25\n"
        "url: https://example.org/s\nkind: statement\n\n"
        "Yesterday the Springfield City Council voted to ban face recognition.\n"
    )
    response = client.post("/sources/ingest", data={"step": "propose", "text": text, "url": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert world["event"] in page and 'value="Council statement"' in page
    response = client.post(
        "/sources/ingest",
        data={
            "step": "save",
            "text": text.split("\n\n", 1)[1],
            "title": "Council statement",
            "publisher": "City of Springfield",
            "kind": "statement",
            "url": "https://example.org/s",
            "published": "2020-02-25",
            "pick": "0",
            "s-0-event": world["event"],
            "s-0-role": "announcement",
            "s-0-quote": "Yesterday the Springfield City Council voted to ban face recognition.",
        },
    )
    assert response.status_code == 302, response.data
    with app.app_context():
        source = db.session.scalar(select(Source).where(Source.title == "Council statement"))
        assert source.published == dt.date(2020, 2, 25) and source.text
        [citation] = db.session.scalars(select(Citation).where(Citation.source_id == source.id)).all()
        assert citation.event.slug == world["event"] and citation.role == "announcement"
        changes = db.session.scalars(select(RevisionChange)).all()
        assert {c.collection for c in changes} == {"sources", "citations"}
        assert len({c.revision_id for c in changes}) == 1


def test_ingest_refuses_a_quote_not_in_the_text(app):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(
        "/sources/ingest",
        data={
            "step": "save",
            "text": "Some statement text.",
            "title": "T",
            "kind": "statement",
            "pick": "0",
            "s-0-event": world["event"],
            "s-0-role": "mention",
            "s-0-quote": "Not there",
        },
    )
    assert response.status_code == 400
    assert "does not occur in the text" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Source).where(Source.title == "T")) is None


def test_ingest_accepts_an_html_upload(app):
    import io

    setup_world(app)
    client = editor_client(app)
    html = b"<html><body><h1>Ban</h1><p>The Springfield City Council voted to ban it.</p></body></html>"
    response = client.post(
        "/sources/ingest",
        data={"step": "propose", "upload": (io.BytesIO(html), "statement.html"), "text": "", "url": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "voted to ban it" in response.get_data(as_text=True)


def test_publisher_is_proposed_from_the_records_actors(loaded_app):
    from tracker.extensions import db

    body = ingest.parse_header(ACLU.read_text(encoding="utf-8"))[1]
    with loaded_app.app_context():
        publishers = ingest.load_publishers(db.session)
    assert all(names for names, _ in publishers)
    assert ingest.read_statement(body, publishers=publishers).meta["publisher"] == (
        "American Civil Liberties Union"
    )
    issued = "Council votes\n\nIssued by: Office of the Mayor of Nowhere\n\nThe council voted."
    assert ingest.read_statement(issued, publishers=publishers).meta["publisher"] == (
        "Office of the Mayor of Nowhere"
    )


def _textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return html_module.unescape(match.group(1)).strip()


def _input_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return html_module.unescape(match.group(1)) if match else ""


def test_an_uploaded_statement_fills_the_review_forms_text_and_can_be_saved(app):
    import io

    world = setup_world(app)
    client = editor_client(app)
    body = b"The Springfield City Council voted to ban face recognition on 24 February 2020."
    response = client.post(
        "/sources/ingest",
        data={"step": "propose", "upload": (io.BytesIO(body), "statement.txt"), "text": "", "url": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _textarea(page, "text")
    assert text == body.decode()
    response = client.post(
        "/sources/ingest",
        data={
            "step": "save",
            "text": text,
            "title": "Upload",
            "kind": "statement",
            "pick": "0",
            "s-0-event": world["event"],
            "s-0-role": "mention",
            "s-0-quote": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize(
    "written,expected",
    [
        ("2020-02-25", "2020-02-25"),
        ("25 February 2020", "2020-02-25"),
        ("February 25, 2020", "2020-02-25"),
        ("2020-02", "2020-02"),
    ],
)
def test_a_pasted_header_is_metadata_not_text(app, written, expected):
    setup_world(app)
    client = editor_client(app)
    text = (
        f"title: Council statement\npublisher: City of Springfield\ndate: {written}\n\n"
        "Yesterday the Springfield City Council voted to ban face recognition.\n"
    )
    page = client.post("/sources/ingest", data={"step": "propose", "text": text, "url": ""}).get_data(
        as_text=True
    )
    assert _textarea(page, "text") == "Yesterday the Springfield City Council voted to ban face recognition."
    assert _input_value(page, "title") == "Council statement"
    assert _input_value(page, "publisher") == "City of Springfield"
    assert _input_value(page, "published") == expected


def test_a_statement_over_the_size_limit_is_a_413_that_says_so(app):
    import io

    setup_world(app)
    client = editor_client(app)
    big = ("The council voted. " * 10_000).encode()  # 190,000 characters
    response = client.post(
        "/sources/ingest",
        data={"step": "propose", "upload": (io.BytesIO(big), "long.txt"), "text": "", "url": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "characters" in response.get_data(as_text=True)
    response = client.post("/sources/ingest", data={"step": "propose", "text": big.decode(), "url": ""})
    assert response.status_code == 413


def test_a_request_over_the_size_cap_is_refused_before_it_is_parsed(client):
    response = client.post("/login", data={"email": "x@example.org", "password": "p" * (5 * 2**20)})
    assert response.status_code == 413


def test_clearing_a_cited_sources_text_is_refused(app):
    world = setup_world(app)
    client = editor_client(app)
    url = f"/sources/{world['source']}/edit"
    response = client.post(
        url,
        data={
            "title": "Council bans face recognition",
            "publisher": "City of Springfield",
            "kind": "statement",
            "url": "https://example.org/springfield",
            "published": "2020-02-24",
            "text": "",
            "version": "1",
        },
    )
    assert response.status_code == 200
    assert "quote" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Source.text).where(Source.slug == world["source"]))
