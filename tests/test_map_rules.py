"""The ban map's pure rules (tracker/core/mapping.py) and outputs (tracker/render/maps.py):
no database, no Flask."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.core import mapping, vocab
from tracker.core.status import Period
from tracker.read.maps import MapDay, MapMeasure, MapPlace
from tracker.render import maps as map_render
from tracker.render.figures import data_json

D = dt.date


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (["government_use"], "general"),
        (["police_use"], "general"),
        ("government_use; schools", "general"),
        (["body_cameras"], "narrow"),  # Oregon's ban on face recognition in body-camera footage
        (["schools"], "narrow"),  # New York's school biometrics moratorium
        (["federal_use"], "narrow"),  # the IRS leaving one vendor
        (["sales_to_police"], "narrow"),
        (["private_use", "public_places"], "narrow"),
        ([], "narrow"),
        (None, "narrow"),  # nothing recorded: never painted as a general ban on a guess
        ("police_use; one_product", "narrow"),  # one vendor's product (New Jersey on Clearview AI)
        (["government_use", "one_product"], "narrow"),
    ],
)
def test_scope_class(scopes, expected):
    assert mapping.scope_class(scopes) == expected


def test_every_scope_code_is_classed_and_only_two_are_general():
    general = {code for code in vocab.SCOPES.codes if mapping.scope_class([code]) == "general"}
    assert general == {"government_use", "police_use"} == set(mapping.GENERAL_SCOPES)


@pytest.mark.parametrize(
    ("scopes", "choice", "expected"),
    [
        ("body_cameras", "all", True),
        ("body_cameras", "general", False),
        ("body_cameras", "narrow", True),
        ("body_cameras", "body_cameras", True),
        ("government_use; schools", "schools", True),
        ("government_use; schools", "narrow", False),
        (None, "narrow", True),
        (None, "schools", False),
    ],
)
def test_scope_matches(scopes, choice, expected):
    assert mapping.scope_matches(scopes, choice) is expected


def test_valid_scope_choices():
    assert all(mapping.valid_scope_choice(c) for c in ("all", "general", "narrow", "schools"))
    assert not mapping.valid_scope_choice("everything")


def test_display_key_in_force_then_general_then_stronger():
    start = D(2020, 1, 1)
    general_oversight = mapping.display_key("in_effect", "general", "oversight", start, "a")
    narrow_ban = mapping.display_key("in_effect", "narrow", "ban", start, "b")
    pending_general_ban = mapping.display_key("pending", "general", "ban", start, "c")
    general_ban = mapping.display_key("in_effect", "general", "ban", D(2021, 1, 1), "d")
    assert sorted([pending_general_ban, narrow_ban, general_oversight, general_ban]) == [
        general_ban,
        general_oversight,
        narrow_ban,
        pending_general_ban,
    ]


def test_quarter_starts():
    assert mapping.quarter_starts(D(2019, 2, 10), D(2019, 10, 1)) == [
        D(2019, 4, 1),
        D(2019, 7, 1),
        D(2019, 10, 1),
    ]
    assert mapping.quarter_starts(D(2019, 1, 1), D(2019, 1, 1)) == [D(2019, 1, 1)]
    assert mapping.quarter_starts(D(2019, 5, 1), D(2019, 6, 1)) == []


def test_slider_steps_every_change_plus_quarters_and_the_date_asked():
    changes = [D(2019, 5, 14), D(2019, 5, 21), D(2019, 5, 14), D(2030, 1, 1)]
    steps = mapping.slider_steps(changes, D(2019, 12, 31), extra=[D(2019, 6, 3)])
    assert steps == [
        D(2019, 5, 14),
        D(2019, 5, 21),
        D(2019, 6, 3),
        D(2019, 7, 1),
        D(2019, 10, 1),
        D(2019, 12, 31),
    ]
    assert mapping.slider_steps([], D(2020, 1, 1)) == [D(2020, 1, 1)]


def test_dense_start_skips_the_lonely_first_years():
    changes = [D(2008, 3, 1)] + [D(2019, 1, 1) + dt.timedelta(days=30 * i) for i in range(40)]
    assert mapping.dense_start(changes) == D(2019, 1, 1)
    assert mapping.dense_start([]) is None
    assert mapping.dense_start([D(2020, 1, 1)]) == D(2020, 1, 1)


def test_play_frames_are_change_dates_thinned_and_end_today():
    changes = [D(2008, 3, 1)] + [D(2019, 1, 1) + dt.timedelta(days=3 * i) for i in range(500)]
    today = D(2026, 1, 1)
    frames = mapping.play_frames(changes, today, max_frames=60)
    assert len(frames) <= 60 and frames[-1] == today
    assert frames[0] >= D(2019, 1, 1)  # not 2008
    assert set(frames[:-1]) <= set(changes)  # only dates on which something changes
    assert frames == sorted(frames)
    assert mapping.play_frames([], today) == [today]


def test_styles_tell_scope_and_status_apart():
    styles = map_render.map_styles()
    assert len(styles) == len(vocab.MAP_STRENGTH) * 2 * 2
    general = styles[map_render.style_key("ban", True, "general")]
    narrow = styles[map_render.style_key("ban", True, "narrow")]
    pending = styles[map_render.style_key("ban", False, "general")]
    assert len({general["fill"], narrow["fill"], pending["fill"]}) == 3
    assert (
        general["symbol"] == "circle" and narrow["symbol"] == "diamond" and pending["symbol"] == "circle-open"
    )


def test_world_figure_keeps_every_continent_in_view():
    world = map_render.map_figure("world").to_plotly_json()["layout"]["geo"]
    assert world["lonaxis"]["range"] == [-180, 180]
    assert world["lataxis"]["range"][0] <= -50 and world["lataxis"]["range"][1] >= 80
    us = map_render.map_figure("us").to_plotly_json()["layout"]
    assert us["geo"]["scope"] == "usa" and us["dragmode"] == "pan"


def _measure(slug, status="in_effect", scope=("government_use",)):
    return MapMeasure(
        slug,
        f"{slug} <title>",
        "ban",
        status,
        D(2019, 5, 21),
        "day",
        scope,
        mapping.scope_class(scope),
        "Someone",
    )


def test_record_and_csv_rows_list_the_same_places():
    places = [
        MapPlace(
            "oregon",
            "Oregon",
            "region",
            "state",
            "OR",
            None,
            None,
            _measure("or", scope=("body_cameras",)),
            1,
        ),
        MapPlace("sf", "San Francisco", "city", "point", None, 37.77, -122.42, _measure("sf"), 2),
    ]
    day = MapDay(D(2021, 1, 1), "all", places, [_measure("corp")], 5)
    steps = [D(2019, 5, 14), D(2021, 1, 1)]
    record = map_render.map_record(
        day,
        measure_url="/measures/__slug__",
        place_url="/actors/__slug__",
        steps=steps,
        play=steps,
        eu_members=["DEU"],
        filters=[],
        caption="Measures",
        links={"csv": "/map.csv"},
    )
    assert [p["slug"] for p in record["places"]] == ["oregon", "sf"]
    assert record["places"][0]["measure"]["scope_class"] == "narrow"
    assert record["steps"] == {"first": "2019-05-14", "days": [0, 598], "play": [0, 598]}
    assert record["corporate_total"] == 5 and record["links"]["measure"] == "/measures/__slug__"
    text = data_json(record)
    assert "<" not in text and json.loads(text)["places"][1]["measure"]["title"] == "sf <title>"
    rows = map_render.map_csv_rows(day, "http://x/measures/__slug__")
    assert [r[0] for r in rows] == [p["slug"] for p in record["places"]]
    columns = map_render.MAP_CSV_COLUMNS
    assert (
        rows[0][columns.index("scope_class")] == "narrow"
        and rows[1][columns.index("url")] == "http://x/measures/sf"
    )


def _segment_on(segments, day):
    held = [s for s in segments if s[0] <= day and (s[1] is None or day < s[1])]
    assert len(held) <= 1
    return held[0] if held else None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 15) | st.none(), st.integers(0, 5)),
        max_size=12,
    )
)
def test_place_segments_show_on_every_day_the_smallest_live_key_and_the_number_live(raw):
    """Brute force on every day: the live candidates (start <= day < end), the smallest key
    among them and how many; the segments follow each other without gaps or repeats."""
    base = dt.date(2020, 1, 1)
    candidates = [
        (
            base + dt.timedelta(days=s),
            None if length is None else base + dt.timedelta(days=s + length),
            (k, i),
        )
        for i, (s, length, k) in enumerate(raw)
    ]
    segments = mapping.place_segments(candidates)
    for offset in range(-1, 60):
        day = base + dt.timedelta(days=offset)
        live = [c for c in candidates if c[0] <= day and (c[1] is None or day < c[1])]
        seg = _segment_on(segments, day)
        if seg is None:
            assert not candidates or day < min(c[0] for c in candidates)
            continue
        assert seg[2] == (min(c[2] for c in live) if live else None)
        assert seg[3] == len(live)
    for a, b in zip(segments, segments[1:], strict=False):
        assert a[1] == b[0] and (a[2], a[3]) != (b[2], b[3])
    assert not segments or segments[-1][1] is None


def test_live_pieces_keep_the_drawn_periods_cut_at_scope_changes():
    p = [
        Period("pending", D(2019, 1, 1), D(2019, 5, 1)),
        Period("in_effect", D(2019, 5, 1), D(2022, 1, 1)),
        Period("repealed", D(2022, 1, 1), None),
    ]
    changes = [(D(2018, 6, 1), "body_cameras"), (D(2020, 3, 1), "police_use"), (D(2023, 1, 1), "schools")]
    assert mapping.live_pieces(p, "government_use", changes) == [
        ("pending", D(2019, 1, 1), D(2019, 1, 1), D(2019, 5, 1), "narrow"),
        ("in_effect", D(2019, 5, 1), D(2019, 5, 1), D(2020, 3, 1), "narrow"),
        ("in_effect", D(2019, 5, 1), D(2020, 3, 1), D(2022, 1, 1), "general"),
    ]
    # Two changes on one day: the later one applies.
    same_day = [(D(2019, 2, 1), "police_use"), (D(2019, 2, 1), "body_cameras")]
    assert mapping.live_pieces(p[:1], None, same_day)[-1][-1] == "narrow"
