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


def test_events_figure_stacks_kinds_and_hatches_corporate_actions():
    fig = charts.events_figure(_counts(), "quarter")
    assert fig.layout.barmode == "stack"
    names = [t.name for t in fig.data]
    assert names == ["Introduced", "Adopted", "Adopted (corporate)"]
    corporate = fig.data[2]
    assert corporate.marker.pattern.shape == "/" and fig.data[1].marker.pattern.shape == ""
    assert list(fig.data[1].x) == ["2019-04-01"] and list(fig.data[1].y) == [3]


def test_events_figure_has_range_slider_and_buttons():
    fig = charts.events_figure(_counts(), "month")
    xaxis = fig.layout.xaxis
    assert xaxis.rangeslider.visible is True
    assert [b.label for b in xaxis.rangeselector.buttons] == ["1y", "5y", "all"]


def test_in_effect_figure_draws_stepped_lines_per_type():
    counts = pd.DataFrame(
        [(D(2019, 5, 14), "ban", 1), (D(2020, 1, 1), "ban", 2), (D(2023, 1, 1), "moratorium", 0)],
        columns=["date", "measure_type", "count"],
    )
    fig = charts.in_effect_figure(counts)
    assert [t.name for t in fig.data] == ["Ban", "Moratorium"]
    assert all(t.line.shape == "hv" for t in fig.data)
    assert list(fig.data[0].y) == [1, 2]


def test_lifespan_figure_bars_from_start_with_slugs_for_clicks():
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
    fig = charts.lifespan_figure(periods, events)
    bars = [t for t in fig.data if t.type == "bar"]
    assert {t.name for t in bars} == {"Pending", "In effect", "Repealed"}
    in_effect = next(t for t in bars if t.name == "In effect")
    assert list(in_effect.base) == ["2019-05-14"] and in_effect.customdata[0][0] == "a-ban"
    assert in_effect.x[0] == (D(2020, 1, 1) - D(2019, 5, 14)).days * 86_400_000
    assert "today" in in_effect.hovertext[0]
    repealed = next(t for t in bars if t.name == "Repealed")
    assert "March 2019" in repealed.hovertext[0] and "&lt;rule&gt; &amp;" in repealed.hovertext[0]
    markers = [t for t in fig.data if t.type == "scatter"]
    assert markers[0].customdata[0][0] == "a-ban"
    assert fig.layout.yaxis.categoryarray == ("a-ban", "b-rule")


def test_to_json_cannot_close_the_script_element():
    fig = go.Figure(go.Bar(x=["a"], y=[1], name="</script><script>alert(1)</script>"))
    text = charts.to_json(fig)
    assert "</script>" not in text and "<" not in text
    assert json.loads(text)["data"][0]["name"] == "</script><script>alert(1)</script>"
    small = json.loads(charts.to_json(charts.events_figure(_counts())))
    assert len(json.dumps(small["layout"]["template"])) < 3000  # not Plotly's ~10 KB default


def test_no_figure_is_built_at_import():
    assert not [name for name, value in vars(charts).items() if isinstance(value, go.Figure)]
    assert "flask" not in charts.__dict__ and not any(m.startswith("flask") for m in dir(charts))
