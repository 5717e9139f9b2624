"""The figure builders: DataFrames in, Plotly figures out; no database, no Flask."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.graph_objects as go

from tracker.read.chartdata import MAP_COLUMNS
from tracker.render import figures as charts

D = dt.date


def _counts() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (D(2019, 4, 1), "adopted", "government", 3),
            (D(2019, 4, 1), "adopted", "corporate", 1),
            (D(2019, 7, 1), "introduced", "government", 2),
        ],
        columns=["period", "kind", "sector", "count"],
    )


def test_events_figure_stacks_families_and_hatches_corporate_actions():
    fig = charts.events_figure(_counts(), "quarter")
    assert fig["layout"]["barmode"] == "stack"
    traces = fig["data"]
    # Families in vocabulary order; a family's corporate trace shares its legend entry.
    assert [(t["name"], t["meta"]["sector"]) for t in traces] == [
        ("Proposed or introduced", "government"),
        ("Adopted or enacted", "government"),
        ("Adopted or enacted", "corporate"),
    ]
    assert [t["showlegend"] for t in traces] == [True, True, False]
    assert traces[1]["legendgroup"] == traces[2]["legendgroup"] == "enacted"
    corporate = traces[2]
    assert corporate["marker"]["pattern"]["shape"] == "/" and traces[1]["marker"]["pattern"]["shape"] == ""
    assert traces[1]["x"] == ["2019-04-01"] and traces[1]["y"] == [3]
    assert traces[1]["marker"]["color"] == charts.FAMILY_COLOURS["enacted"]


def test_events_figure_names_each_kind_and_its_code_on_hover():
    counts = pd.DataFrame(
        [
            (D(2020, 1, 1), "repealed", "government", 2),
            (D(2020, 1, 1), "expired", "government", 1),
            (D(2020, 4, 1), "repealed", "government", 4),
        ],
        columns=["period", "kind", "sector", "count"],
    )
    (ended,) = charts.events_figure(counts)["data"]
    assert ended["name"] == "Ended or failed"
    assert ended["y"] == [3, 4]  # the family's total per bar
    assert ended["meta"]["kinds"] == ["expired", "repealed"]  # vocabulary order, only those present
    assert ended["customdata"] == [[1, 2], [0, 4]]
    assert "Expired <i>expired</i>: %{customdata[0]}" in ended["hovertemplate"]
    assert "Repealed <i>repealed</i>: %{customdata[1]}" in ended["hovertemplate"]


def test_family_colours_are_distinct_okabe_ito_colours():
    assert len(set(charts.FAMILY_COLOURS.values())) == len(charts.FAMILY_COLOURS) == len(charts.OKABE_ITO)


def test_events_figure_opens_on_its_window_with_a_range_slider():
    window = (D(2019, 1, 1), D(2020, 1, 1))
    fig = charts.events_figure(_counts(), "month", window)
    xaxis = fig["layout"]["xaxis"]
    assert xaxis["rangeslider"]["visible"] is True
    assert xaxis["range"] == ["2019-01-01", "2020-01-01"] and xaxis["autorange"] is False
    assert fig["layout"]["meta"]["window"] == ["2019-01-01", "2020-01-01"]  # charts.js's "back" button
    unbounded = charts.events_figure(_counts(), "month")["layout"]
    assert "range" not in unbounded["xaxis"] and unbounded["meta"]["window"] is None
    # The legend is above the plot, where Plotly makes room for however many rows it has.
    assert fig["layout"]["legend"]["y"] > 1 and fig["layout"]["legend"]["yanchor"] == "bottom"


def test_in_effect_figure_draws_stepped_lines_per_type():
    counts = pd.DataFrame(
        [(D(2019, 5, 14), "ban", 1), (D(2020, 1, 1), "ban", 2), (D(2023, 1, 1), "moratorium", 0)],
        columns=["date", "measure_type", "count"],
    )
    fig = charts.in_effect_figure(counts, (D(2019, 1, 1), D(2024, 1, 1)))
    assert [t["name"] for t in fig["data"]] == ["Ban", "Moratorium"]
    assert all(t["line"]["shape"] == "hv" for t in fig["data"])
    assert fig["data"][0]["y"] == [1, 2]
    assert fig["layout"]["xaxis"]["range"] == ["2019-01-01", "2024-01-01"]


def _lifespan_frames():
    periods = pd.DataFrame(
        [
            ("a-ban", "A ban", "ban", "pending", D(2019, 1, 1), "day", D(2019, 5, 14), False),
            ("a-ban", "A ban", "ban", "in_effect", D(2019, 5, 14), "day", D(2020, 1, 1), True),
            (
                "b-rule",
                "B <rule> & more",
                "restriction",
                "repealed",
                D(2019, 3, 1),
                "month",
                D(2020, 1, 1),
                True,
            ),
        ],
        columns=["slug", "title", "measure_type", "status", "start", "start_precision", "end", "ongoing"],
    )
    events = pd.DataFrame(
        [("a-ban", D(2019, 5, 14), "day", "adopted", "Board adopts ban")],
        columns=["slug", "date", "date_precision", "kind", "title"],
    )
    return periods, events


def test_lifespan_figure_bars_from_start_with_slugs_for_clicks():
    periods, events = _lifespan_frames()
    fig = charts.lifespan_figure(periods, events)
    bars = [t for t in fig["data"] if t["type"] == "bar"]
    assert {t["name"] for t in bars} == {"Pending", "In effect", "Repealed"}
    in_effect = next(t for t in bars if t["name"] == "In effect")
    assert in_effect["base"] == ["2019-05-14"] and in_effect["customdata"][0][0] == "a-ban"
    assert in_effect["x"][0] == (D(2020, 1, 1) - D(2019, 5, 14)).days * 86_400_000
    assert "today" in in_effect["hovertext"][0]
    repealed = next(t for t in bars if t["name"] == "Repealed")
    assert "March 2019" in repealed["hovertext"][0] and "&lt;rule&gt; &amp;" in repealed["hovertext"][0]
    markers = [t for t in fig["data"] if t["type"] == "scatter"]
    assert markers[0]["customdata"][0][0] == "a-ban"
    assert fig["layout"]["yaxis"]["categoryarray"] == ["a-ban", "b-rule"]


def test_lifespan_names_are_written_above_the_bars_not_cut_beside_them():
    periods, events = _lifespan_frames()
    layout = charts.lifespan_figure(periods, events)["layout"]
    assert layout["yaxis"]["showticklabels"] is False
    names = {a["y"]: a for a in layout["annotations"]}
    assert set(names) == {"a-ban", "b-rule"}
    assert names["b-rule"]["text"] == "B &lt;rule&gt; &amp; more"
    assert all(a["xref"] == "paper" and a["x"] == 0 and a["xanchor"] == "left" for a in names.values())
    assert layout["height"] >= charts.ROW_PX * 2


def test_the_lifespan_axis_strip_has_the_charts_range_and_margins():
    periods, events = _lifespan_frames()
    window = charts.lifespan_window(periods, events)
    assert window is not None and window[0] < D(2019, 1, 1) and window[1] > D(2020, 1, 1)
    chart = charts.lifespan_figure(periods, events)["layout"]
    strip = charts.lifespan_axis_figure(window)["layout"]
    assert (
        strip["xaxis"]["range"] == chart["xaxis"]["range"] == [window[0].isoformat(), window[1].isoformat()]
    )
    assert strip["xaxis"]["side"] == "top"
    assert (strip["margin"]["l"], strip["margin"]["r"]) == (chart["margin"]["l"], chart["margin"]["r"])
    assert charts.lifespan_window(periods.iloc[0:0]) is None


def _segments(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=MAP_COLUMNS)


SF = (
    "san-francisco",
    "San Francisco",
    "point",
    None,
    37.77,
    -122.42,
    "sf-ban",
    "SF ban",
    "ban",
    "in_effect",
    D(2019, 5, 14),
    "day",
    D(2019, 5, 14),
    None,
)
CA = (
    "california",
    "California",
    "state",
    "CA",
    None,
    None,
    "ca-mor",
    "AB 1215",
    "moratorium",
    "in_effect",
    D(2020, 1, 1),
    "day",
    D(2020, 1, 1),
    D(2023, 1, 1),
)
TX = (
    "texas",
    "Texas",
    "state",
    "TX",
    None,
    None,
    "tx-bill",
    "TX bill",
    "ban",
    "pending",
    D(2021, 2, 1),
    "month",
    D(2021, 2, 1),
    None,
)
EU = (
    "european-union",
    "European Union",
    "eu",
    "EU",
    None,
    None,
    "ai-act",
    "AI Act",
    "restriction",
    "in_effect",
    D(2025, 2, 2),
    "day",
    D(2025, 2, 2),
    None,
)
DE = (
    "germany",
    "Germany",
    "country",
    "DEU",
    None,
    None,
    "de-ban",
    "DE ban",
    "ban",
    "in_effect",
    D(2024, 1, 1),
    "day",
    D(2024, 1, 1),
    None,
)
FR = (
    "france",
    "France",
    "country",
    "FRA",
    None,
    None,
    "fr-ov",
    "FR oversight",
    "oversight",
    "in_effect",
    D(2024, 1, 1),
    "day",
    D(2024, 1, 1),
    None,
)


def _traces(fig, role, measure_type=None, filled=None):
    return [
        t
        for t in fig.data
        if t.meta["role"] == role
        and (measure_type is None or t.meta["type"] == measure_type)
        and (filled is None or t.meta["filled"] == filled)
    ]


def test_map_figure_has_fixed_traces_for_the_browser_to_refill():
    fig = charts.map_figure(_segments([]), "us", ["DEU"])
    assert len(fig.data) == 16
    assert [(t.meta["role"], t.meta["type"], t.meta["filled"]) for t in fig.data][:2] == [
        ("area", "ban", True),
        ("area", "ban", False),
    ]
    assert fig.layout.geo.scope == "usa"


def test_map_figure_us_view_states_shaded_cities_marked_filled_or_hollow():
    fig = charts.map_figure(_segments([SF, CA, TX]), "us", [])
    (ban_points,) = _traces(fig, "point", "ban", True)
    assert list(ban_points.text) == ["San Francisco"] and ban_points.customdata[0][0] == "sf-ban"
    assert "in effect since 14 May 2019" in ban_points.hovertext[0]
    (mor_areas,) = _traces(fig, "area", "moratorium", True)
    assert list(mor_areas.locations) == ["CA"] and mor_areas.locationmode == "USA-states"
    (pending,) = _traces(fig, "area", "ban", False)
    assert list(pending.locations) == ["TX"] and "pending since February 2021" in pending.hovertext[0]
    assert pending.colorscale[0][1].startswith("rgba(")  # pale: not in force yet
    (hollow_points,) = _traces(fig, "point", "ban", False)
    assert hollow_points.marker.symbol == "circle-open"


def test_map_figure_world_view_eu_shades_members_unless_stronger_at_home():
    fig = charts.map_figure(_segments([EU, DE, FR]), "world", ["DEU", "FRA", "ITA"])
    (ban,) = _traces(fig, "area", "ban", True)
    (restriction,) = _traces(fig, "area", "restriction", True)
    assert list(ban.locations) == ["DEU"]  # its own ban is stronger than the EU's restriction
    assert sorted(restriction.locations) == ["FRA", "ITA"]  # the EU's restriction beats oversight
    assert fig.layout.geo.scope == "world"


def test_map_payload_sends_each_place_once_with_its_stretches():
    later = SF[:6] + ("sf-ban", "SF ban", "ban", "repealed", D(2030, 1, 1), "day", D(2030, 1, 1), None)
    payload = charts.map_payload(
        _segments([SF, later, CA]),
        pd.DataFrame(columns=["slug", "title", "measure_type", "actor", "status", "start", "end"]),
        ["DEU"],
    )
    names = [p[0] for p in payload["places"]]
    assert names == ["California", "San Francisco"]
    sf = payload["places"][1]
    assert sf[1:5] == ["point", None, 37.77, -122.42]
    assert [s[0] for s in sf[5]] == ["2019-05-14", "2030-01-01"]
    assert payload["measures"][sf[5][0][2]] == ["sf-ban", "SF ban", "ban"]
    assert len(payload["measures"]) == 2  # sent once however many stretches name it
    json.loads(charts.data_json(payload))


def test_to_json_cannot_close_the_script_element():
    fig = go.Figure(go.Bar(x=["a"], y=[1], name="</script><script>alert(1)</script>"))
    text = charts.to_json(fig)
    assert "</script>" not in text and "<" not in text
    assert json.loads(text)["data"][0]["name"] == "</script><script>alert(1)</script>"
    small = json.loads(charts.to_json(charts.events_figure(_counts())))
    assert len(json.dumps(small["layout"].get("template", {}))) < 3000  # not Plotly's ~10 KB default
    titled = charts.to_json(charts.lifespan_figure(*_lifespan_frames()))
    assert "<" not in titled and "B &lt;rule&gt;" in json.loads(titled)["layout"]["annotations"][1]["text"]


def test_no_figure_is_built_at_import():
    assert not [name for name, value in vars(charts).items() if isinstance(value, go.Figure)]
    assert "flask" not in charts.__dict__ and not any(m.startswith("flask") for m in dir(charts))
