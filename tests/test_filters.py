"""Parsing and captions of filters (the shared filter layer)."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from tracker.read.collections import EVENTS, LISTED, MEASURES
from tracker.read.filters import Filters, caption, caption_slug, parse_as_of, parse_filters
from tracker.read.parameters import BadParameter


def parse(shared_loaded_app, collection: str, **args):
    from tracker.extensions import db

    multi = MultiDict([(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])])
    with shared_loaded_app.app_context():
        return parse_filters(multi, LISTED[collection], db.session)


def test_repeated_values_or_and_defaults(shared_loaded_app):
    f = parse(shared_loaded_app, "events", kind=["adopted", "repealed", "adopted"], country="us")
    assert f.kind == ("adopted", "repealed")
    assert f.country == ("US",)
    assert f.sort == "-date" and f.page == 1 and f.per_page == 50
    assert f.as_of == dt.datetime.now(dt.UTC).date() and not f.as_of_given


def test_partial_dates_cover_their_whole_period(shared_loaded_app):
    f = parse(shared_loaded_app, "events", date_from="2019", date_to="2020-02")
    assert f.date_from == dt.date(2019, 1, 1)
    assert f.date_to == dt.date(2020, 2, 29)
    assert f.query_string() == "date_from=2019&date_to=2020-02"


def test_empty_form_fields_are_not_filters_but_other_empty_values_are_a_400(shared_loaded_app):
    from tracker.extensions import db
    from tracker.read.filters import FORM_TEXT_FIELDS

    args = MultiDict([("q", ""), ("as_of", ""), ("date_from", " "), ("sort", "relevance")])
    with shared_loaded_app.app_context():
        f = parse_filters(args, EVENTS, db.session, blank_as_absent=FORM_TEXT_FIELDS)
    # The search box the user cleared takes "Best match" with it: the default order applies.
    assert f == Filters(collection=EVENTS, as_of=f.as_of)
    for name in ("kind", "q", "as_of", "page"):
        with pytest.raises(BadParameter) as info:
            parse(shared_loaded_app, "events", **{name: ""})
        assert info.value.parameter == name


def test_search_defaults_to_relevance(shared_loaded_app):
    assert parse(shared_loaded_app, "events", q="ban").effective_sort == "relevance"
    assert parse(shared_loaded_app, "events", q="ban", sort="date").effective_sort == "date"
    with pytest.raises(BadParameter) as info:
        parse(shared_loaded_app, "events", sort="relevance")
    assert info.value.parameter == "sort"


def test_bad_values_name_their_parameter(shared_loaded_app):
    cases = {
        "kind": "bogus",
        "per_page": "0",
        "date_to": "2020-02-30",
        "technology": "nope",
        "bom": "2",
        "region": "US_CA",
    }
    for name, value in cases.items():
        with pytest.raises(BadParameter) as info:
            parse(shared_loaded_app, "events", **{name: value})
        assert info.value.parameter == name
    with pytest.raises(BadParameter) as info:
        parse(shared_loaded_app, "events", q=["a", "b"])
    assert info.value.parameter == "q"


def test_each_collection_accepts_its_own_parameters(shared_loaded_app):
    assert parse(shared_loaded_app, "sources", kind="news_article").kind == ("news_article",)
    assert parse(shared_loaded_app, "actors", kind="city").kind == ("city",)
    for collection, name, value in [
        ("sources", "status", "in_effect"),
        ("actors", "as_of", "2020-01-01"),
        ("measures", "kind", "adopted"),
    ]:
        with pytest.raises(BadParameter) as info:
            parse(shared_loaded_app, collection, **{name: value})
        assert info.value.parameter == name


def test_captions():
    f = Filters(
        collection=MEASURES,
        measure_type=("ban", "moratorium"),
        technology=("face-recognition",),
        actor=("massachusetts",),
        date_from=dt.date(2019, 1, 1),
        date_to=dt.date(2020, 12, 31),
        names={"technology": ["Face recognition"], "actor": ["Massachusetts"]},
    )
    assert caption(f) == "bans and moratoriums on face recognition in Massachusetts, 2019–2020"
    g = Filters(collection=MEASURES, status=("in_effect",), as_of=dt.date(2021, 1, 1), as_of_given=True)
    assert caption(g) == "measures in effect on 1 January 2021"
    h = Filters(
        collection=EVENTS,
        kind=("adopted",),
        country=("US",),
        q="Rekognition",
        date_from=dt.date(2020, 1, 1),
    )
    assert caption(h) == "adopted events in United States, since 2020, matching “Rekognition”"
    assert (
        caption_slug(h, dt.date(2026, 1, 2))
        == "adopted-events-in-united-states-since-2020-matching-rekognition-2026-01-02"
    )


def test_parse_as_of_for_detail_pages():
    assert parse_as_of(MultiDict({"as_of": "2021-01-01"})) == (dt.date(2021, 1, 1), True)
    with pytest.raises(BadParameter):
        parse_as_of(MultiDict({"page": "2"}))


def test_one_url_builder_for_links_exports_and_feeds(shared_loaded_app):
    f = parse(shared_loaded_app, "events", kind="adopted", page="3", per_page="20")
    assert f.url("/events") == "/events?kind=adopted&page=3&per_page=20"
    assert f.url("/events.csv", paging=False) == "/events.csv?kind=adopted"
    assert f.url("/events.csv", paging=False, extra={"bom": "1"}) == "/events.csv?kind=adopted&bom=1"
    assert f.url("/events", page=4) == "/events?kind=adopted&page=4&per_page=20"
    assert parse(shared_loaded_app, "events").url("/events.csv", paging=False) == "/events.csv"
