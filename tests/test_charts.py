"""The figure builders: DataFrames in, Plotly figures out; no database, no Flask."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.graph_objects as go

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
