"""How fresh the record is: status checks, the needs-review list and feed, the home page's
"current to", the events that need confirmation, and the feed of changes to the record."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import select

from tests.editor_helpers import editor_client, measure_form, setup_world
from tracker.core.freshness import checked_recently, months_later, review_reasons
from tracker.core.status import today
from tracker.datafiles.load import LoadError, load
from tracker.db.models import Event, Measure, RevisionChange
from tracker.extensions import db
from tracker.render.formatting import evidence_caveat

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
D = dt.date


# --- the rules (pure) ---------------------------------------------------------------------------


def test_months_later_is_a_calendar_month_and_clamps_to_the_month_end():
    assert months_later(D(2025, 12, 1), 12) == D(2026, 12, 1)
    assert months_later(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert months_later(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert months_later(D(2026, 12, 1), -12) == D(2025, 12, 1)
    assert months_later(D(2026, 3, 15), -3) == D(2025, 12, 15)


def test_a_check_counts_for_twelve_months_to_the_day():
    assert checked_recently(D(2025, 12, 2), D(2026, 12, 1))
    assert not checked_recently(D(2025, 12, 1), D(2026, 12, 1))
    assert not checked_recently(None, D(2026, 12, 1))


def _reasons(**given):
    base = {
        "today": D(2026, 12, 1),
        "created": D(2026, 1, 1),
        "checked_on": D(2026, 6, 1),
        "status": "in_effect",
        "status_since": D(2020, 1, 1),
        "session_end": None,
        "outcome_recorded": False,
    }
    return [(r.code, r.since) for r in review_reasons(**{**base, **given})]


def test_review_reasons_name_never_checked_and_stale_checks_with_the_day_they_began():
    assert _reasons() == []
    assert _reasons(checked_on=None) == [("never_checked", D(2026, 1, 1))]
    assert _reasons(checked_on=D(2025, 11, 30)) == [("stale", D(2026, 11, 30))]


def test_a_bill_failed_by_the_end_of_its_session_needs_review_until_an_outcome_or_a_check():
    # The 116th Congress ended on 3 January 2021: the rule fails the bill from the 4th.
    ended = {"status": "failed", "status_since": D(2021, 1, 4), "session_end": D(2021, 1, 3)}
    assert _reasons(**ended, checked_on=None) == [
        ("never_checked", D(2026, 1, 1)),
        ("session_over", D(2021, 1, 4)),
    ]
    assert _reasons(**ended, checked_on=None, outcome_recorded=True) == [("never_checked", D(2026, 1, 1))]
    assert _reasons(**ended) == []  # checked (1 June 2026) after the session ended
    assert ("session_over", D(2021, 1, 4)) in _reasons(**{**ended, "checked_on": D(2020, 6, 1)})


def test_a_bill_pending_for_a_year_without_a_session_end_needs_review():
    pending = {"status": "pending", "status_since": D(2015, 5, 7)}
    assert ("pending_no_session", D(2016, 5, 7)) in _reasons(**pending)
    assert _reasons(status="pending", status_since=D(2026, 6, 1)) == []
    assert _reasons(**pending, session_end=D(2030, 1, 3)) == []


def test_the_curators_flag_adds_a_confirmation_caveat_to_any_evidence():
    class S:
        def __init__(self, slug, kind="news_article"):
            self.slug, self.kind, self.title, self.publisher, self.published = (
                slug,
                kind,
                "T",
                "P",
                D(2026, 1, 1),
            )

    class C:
        def __init__(self, source):
            self.source = source

    two = [C(S("a")), C(S("b"))]
    assert evidence_caveat(two) is None
    assert "needs confirmation from an original source" in evidence_caveat(two, needs_confirmation=True)
    one = evidence_caveat([C(S("a"))], needs_confirmation=True)
    assert one == "A single source documents this event. It needs confirmation before it is relied on."
    copies = evidence_caveat([C(S("a", "mirror"))], needs_confirmation=True)
    assert copies.count("confirmation") == 1


# --- editors record a status check ----------------------------------------------------------


def test_a_status_check_is_a_revision_with_its_source_and_every_format_shows_it(app):
    world = setup_world(app)
    client = editor_client(app)
    checked = today() - dt.timedelta(days=3)
    url = f"/measures/{world['measure']}/edit"
    response = client.post(
        url,
        data=measure_form(
            world, status_checked_on=checked.isoformat(), status_checked_source=world["source"]
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        [change] = db.session.scalars(
            select(RevisionChange).where(RevisionChange.collection == "measures")
        ).all()
        assert change.after == {
            "status_checked_on": checked.isoformat(),
            "status_checked_source": world["source"],
        }
        assert change.before == {"status_checked_on": None, "status_checked_source": None}
    public = app.test_client()
    page = public.get(f"/measures/{world['measure']}").get_data(as_text=True)
    assert "Status checked on" in page and "Council bans face recognition" in page
    record = public.get(f"/measures/{world['measure']}.json").get_json()
    assert record["status_checked_on"] == checked.isoformat()
    assert record["status_checked_source"] == world["source"]
    lines = public.get("/measures.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    header = lines[0].split(",")
    row = next(line for line in lines[1:] if line.startswith(world["measure"]))
    assert row.split(",")[header.index("status_checked_on")] == checked.isoformat()
    assert public.get("/needs-review.json").get_json()["count"] == 0
    home = public.get("/").get_data(as_text=True)
    assert "1 of 1 measures had their status checked" in home
    # The source now holds evidence of the check: deleting it is refused, with why.
    page = client.get(f"/sources/{world['source']}/delete").get_data(as_text=True)
    assert "cannot be deleted" in page and world["measure"] in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"status_checked_on": "2026-01-05"}, "status_checked_on", "Choose the source"),
        ({"status_checked_source": "springfield-press-release"}, "status_checked_source", "Give the day"),
        (
            {
                "status_checked_on": (today() + dt.timedelta(days=30)).isoformat(),
                "status_checked_source": "springfield-press-release",
            },
            "status_checked_on",
            "still to come",
        ),
    ],
)
def test_a_status_check_needs_a_day_not_in_the_future_and_a_source(app, fields, field, message):
    world = setup_world(app)
    client = editor_client(app)
    response = client.post(f"/measures/{world['measure']}/edit", data=measure_form(world, **fields))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    typed = fields.get(field)
    if field == "status_checked_on":
        assert f'value="{typed}"' in page  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(Measure.status_checked_on)) is None


def test_a_concurrent_status_check_is_refused_with_the_conflict_page(app):
    world = setup_world(app)
    alice = editor_client(app, "alice@example.org")
    bob = editor_client(app, "bob@example.org")
    url = f"/measures/{world['measure']}/edit"
    first = (today() - dt.timedelta(days=1)).isoformat()
    second = today().isoformat()
    assert (
        alice.post(
            url, data=measure_form(world, status_checked_on=first, status_checked_source=world["source"])
        ).status_code
        == 302
    )
    response = bob.post(
        url, data=measure_form(world, status_checked_on=second, status_checked_source=world["source"])
    )
    assert response.status_code == 409 and "Edit conflict" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Measure.status_checked_on)).isoformat() == first


def _set_check(app, slug: str, day: dt.date | None, source: str | None = None) -> None:
    from tracker.db.models import Source

    with app.app_context():
        measure = db.session.scalar(select(Measure).where(Measure.slug == slug))
        checked_source = db.session.scalar(select(Source).where(Source.slug == source)) if source else None
        measure.status_checked_on = day
        measure.status_checked_source = checked_source
        db.session.commit()


def test_needs_review_lists_stale_checks_as_html_json_and_a_clean_atom_feed(app):
    world = setup_world(app)
    stale = months_later(today(), -13)
    _set_check(app, world["measure"], stale, world["source"])
    client = app.test_client()
    record = client.get("/needs-review.json").get_json()
    [measure] = record["measures"]
    assert measure["slug"] == world["measure"]
    assert measure["reasons"] == [
        {
            "code": "stale",
            "label": "Status not checked in the last 12 months",
            "since": months_later(stale, 12).isoformat(),
        }
    ]
    page = client.get("/needs-review").get_data(as_text=True)
    assert "Springfield ban on face recognition" in page
    assert "Status not checked in the last 12 months: <strong>1</strong>" in page
    response = client.get("/needs-review.atom")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    [entry] = feed.entries
    assert entry.link.endswith(f"/measures/{world['measure']}")
    assert "not checked in the last 12 months" in entry.title
    assert client.get("/needs-review?page=2").status_code == 400


def test_needs_review_on_the_real_data_names_ended_sessions_and_long_pending_bills(shared_client):
    record = shared_client.get("/needs-review.json").get_json()
    by_slug = {m["slug"]: [r["code"] for r in m["reasons"]] for m in record["measures"]}
    # 116th Congress: the rule fails it from 4 January 2021, but no source says so.
    assert "session_over" in by_slug["justice-in-policing-act-2020"]
    assert all("never_checked" in codes for codes in by_slug.values())
    feed = feedparser.parse(shared_client.get("/needs-review.atom").data)
    assert not feed.bozo and len(feed.entries) == sum(len(c) for c in by_slug.values())
    assert len({e.id for e in feed.entries}) == len(feed.entries)


def test_home_page_says_to_which_date_the_record_is_current(shared_client):
    page = shared_client.get("/").get_data(as_text=True)
    assert "The record is current to" in page and "2 August 2026" in page
    assert "measures had their status checked against a source in the last 12 months" in page


# --- events that need confirmation ------------------------------------------------------------


def test_the_part_three_events_resting_on_one_or_aggregator_sources_say_so(shared_client):
    flagged = {
        "milwaukee-county-board-passes-face-recognition-resolution",
        "new-orleans-live-face-recognition-ordinance-withdrawn",
        "ring-rolls-out-familiar-faces-face-recognition-in-us",
        "lane-county-sheriff-cancels-flock-contract",
        "flagstaff-council-votes-to-end-flock-contract",
        "ring-and-flock-cancel-planned-integration",
        "lynnwood-council-votes-to-cancel-flock-contract",
        "coralville-council-votes-to-end-flock-contract",
        "washington-governor-signs-driver-privacy-act",
    }
    listed = shared_client.get("/events.json?per_page=500").get_json()["items"]
    assert {e["slug"] for e in listed if e["needs_confirmation"]} == flagged
    for slug in flagged:
        record = next(e for e in listed if e["slug"] == slug)
        assert "confirmation" in record["evidence_caveat"], slug
    page = shared_client.get("/events/ring-and-flock-cancel-planned-integration").get_data(as_text=True)
    assert "needs confirmation" in page
    csv_text = shared_client.get("/events.csv?q=Flagstaff").get_data(as_text=True)
    header, *rows = csv_text.lstrip("\ufeff").splitlines()
    assert "needs_confirmation" in header.split(",") and any(",yes," in r for r in rows)


def test_a_status_check_without_its_source_is_refused_at_its_line(app, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    path = copy / "measures.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[1].endswith(",,")
    lines[1] = lines[1][:-2] + ",2026-11-30,"
    path.write_text("\n".join(lines), encoding="utf-8")
    with app.app_context(), pytest.raises(LoadError) as info:
        load(copy, db.session)
    assert any(p.startswith("measures.csv:2: status_checked_source: ") for p in info.value.problems), (
        info.value.problems
    )
    with app.app_context():
        assert db.session.scalar(select(Event.id).limit(1)) is None


# --- the feed of changes to the record ---------------------------------------------------------


def test_changes_atom_follows_edits_with_the_collection_filter(app):
    world = setup_world(app)
    client = editor_client(app)
    url = f"/measures/{world['measure']}/edit"
    checked = today().isoformat()
    assert (
        client.post(
            url,
            data=measure_form(world, status_checked_on=checked, status_checked_source=world["source"]),
        ).status_code
        == 302
    )
    public = app.test_client()
    feed = feedparser.parse(public.get("/changes.atom").data)
    assert not feed.bozo, feed.bozo_exception
    [entry] = feed.entries
    assert "/revisions/" in entry.link and world["measure"] in entry.summary
    assert "editor@example.org" not in public.get("/changes.atom").get_data(as_text=True)
    assert feedparser.parse(public.get("/changes.atom?collection=events").data).entries == []
    assert len(feedparser.parse(public.get("/changes.atom?collection=measures").data).entries) == 1
    page = public.get("/changes?collection=measures").get_data(as_text=True)
    assert world["measure"] in page and "/changes.atom?collection=measures" in page
    for bad in ("/changes.atom?collection=planets", "/changes?collection=planets", "/changes.atom?before=3"):
        response = public.get(bad)
        assert response.status_code == 400, bad
    assert "collection" in public.get("/changes.atom?collection=planets").get_data(as_text=True)


def test_the_api_description_lists_the_collections_changes_can_be_filtered_by():
    from tracker.editing.history_routes import CHANGE_COLLECTIONS
    from tracker.render.openapi import build_spec

    spec = build_spec("http://localhost")
    [parameter] = spec["paths"]["/changes.atom"]["get"]["parameters"]
    assert parameter["schema"]["enum"] == list(CHANGE_COLLECTIONS)
    assert "/needs-review.json" in spec["paths"] and "/needs-review.atom" in spec["paths"]
