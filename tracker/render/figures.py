"""Plotly figure builders: a pandas DataFrame in, a Plotly figure out. Pure; no Flask here.

Why pure: the figures are tested without a server or a database, and a view only chains
``chartdata`` (SQL aggregation) → a builder here → a template. Nothing is built at import.

Why the figures are small: the inputs are already aggregated (see :mod:`tracker.chartdata`),
the layout uses the tiny ``"none"`` template instead of Plotly's default (~10 KB a figure),
and hover texts are built from a few short fields.

The map's figure, styles and records are in :mod:`tracker.render.maps`.
"""

from __future__ import annotations

import datetime as dt
import html
import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from tracker.core import vocab
from tracker.core.dates import date_label

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
TYPE_COLOURS = {
    "ban": "#D55E00",
    "moratorium": "#E69F00",
    "restriction": "#0072B2",
    "oversight": "#009E73",
    "discontinuation": "#6699CC",
    "corporate_moratorium": "#CC79A7",
    "corporate_exit": "#882255",
    "corporate_restriction": "#AA4499",
    "court_order": "#56B4E9",
    "settlement": "#999933",
    "resolution": "#888888",
}
STATUS_COLOURS = {
    "pending": "#BBBBBB",
    "passed": "#88CCEE",
    "adopted": "#44AA99",
    "in_effect": "#117733",
    "expired": "#DDCC77",
    "repealed": "#CC6677",
    "failed": "#777777",
    "struck_down": "#332288",
    "replaced": "#AA4499",
}
KIND_PALETTE = [
    "#4477AA",
    "#EE6677",
    "#228833",
    "#CCBB44",
    "#66CCEE",
    "#AA3377",
    "#BBBBBB",
    "#332288",
    "#117733",
    "#882255",
    "#DDCC77",
    "#44AA99",
    "#999933",
    "#CC6677",
]
TINT_ALPHA = 0.28
RANGE_BUTTONS = [
    {"count": 1, "label": "1y", "step": "year", "stepmode": "backward"},
    {"count": 5, "label": "5y", "step": "year", "stepmode": "backward"},
    {"step": "all", "label": "all"},
]
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


def _layout(**extra) -> dict:
    base = {
        "template": "none",
        "font": FONT,
        "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
        "hoverlabel": {"align": "left"},
        # Below the range slider, whatever the chart's height: positioned in the container.
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
    }
    base.update(extra)
    return base


def _date_axis(slider: bool = True) -> dict:
    return {
        "type": "date",
        "rangeselector": {"buttons": RANGE_BUTTONS},
        "rangeslider": {"visible": slider, "thickness": 0.08},
    }


def tint(colour: str, alpha: float = TINT_ALPHA) -> str:
    """'#D55E00' → 'rgba(213,94,0,0.28)': the pale fill of a measure not yet in force."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def to_json(fig: go.Figure) -> str:
    """The figure as compact JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are escaped as ``\\u003c``… so no text (a measure title) can close
    the script element; the JSON means the same.
    """
    text = pio.to_json(fig, validate=False, pretty=False, remove_uids=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def data_json(data) -> str:
    """Plain data (the map's places) as script-safe JSON, like :func:`to_json`."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _iso(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def period_label(day: dt.date, interval: str) -> str:
    """'2019 Q2' or 'May 2019'."""
    if interval == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return day.strftime("%B %Y")


# --- events per period ----------------------------------------------------------------------


def events_figure(counts: pd.DataFrame, interval: str = "quarter") -> go.Figure:
    """Events per month or quarter, stacked by kind; corporate actions hatched.

    ``counts``: columns ``period`` (date), ``kind``, ``sector`` (government|corporate),
    ``count`` (from :func:`tracker.chartdata.event_counts`). Government and corporate actions
    share one axis, so a city's ban and a company's moratorium of the same quarter stack
    in the same bar.
    """
    fig = go.Figure(
        layout=_layout(
            barmode="stack",
            xaxis=_date_axis(),
            yaxis={"title": {"text": "events"}, "rangemode": "tozero"},
            margin={"l": 50, "r": 20, "t": 30, "b": 170},
            height=600,
        )
    )
    kinds = [k for k in vocab.EVENT_KINDS.codes if k in set(counts["kind"])]
    for i, kind in enumerate(kinds):
        colour = KIND_PALETTE[i % len(KIND_PALETTE)]
        for sector in ("government", "corporate"):
            part = counts[(counts["kind"] == kind) & (counts["sector"] == sector)]
            if part.empty:
                continue
            label = vocab.EVENT_KINDS.label(kind) + (" (corporate)" if sector == "corporate" else "")
            fig.add_trace(
                go.Bar(
                    x=[_iso(p) for p in part["period"]],
                    y=part["count"].tolist(),
                    name=label,
                    marker={"color": colour, "pattern": {"shape": "/" if sector == "corporate" else ""}},
                    hovertemplate=("%{x|%B %Y}" if interval == "month" else "quarter from %{x|%b %Y}")
                    + "<br>"
                    + label
                    + ": %{y}<extra></extra>",
                    xperiod=("M3" if interval == "quarter" else "M1"),
                    xperiodalignment="start",
                )
            )
    return fig


# --- measures in effect ------------------------------------------------------------------------


def in_effect_figure(counts: pd.DataFrame) -> go.Figure:
    """Measures in force over time, one stepped line per measure type.

    ``counts``: ``date``, ``measure_type``, ``count`` (from
    :func:`tracker.chartdata.in_effect_counts`); lines step down on expiries and repeals.
    """
    fig = go.Figure(
        layout=_layout(
            xaxis=_date_axis(),
            yaxis={"title": {"text": "measures in effect"}, "rangemode": "tozero"},
            margin={"l": 50, "r": 20, "t": 30, "b": 110},
            height=480,
        )
    )
    for code in vocab.MEASURE_TYPES.codes:
        part = counts[counts["measure_type"] == code]
        if part.empty:
            continue
        label = vocab.MEASURE_TYPES.label(code)
        fig.add_trace(
            go.Scatter(
                x=[_iso(d) for d in part["date"]],
                y=part["count"].tolist(),
                name=label,
                mode="lines",
                line={"shape": "hv", "color": TYPE_COLOURS.get(code), "width": 2},
                hovertemplate="%{x|%d %b %Y}<br>" + label + " in effect: %{y}<extra></extra>",
            )
        )
    return fig


# --- lifespans ------------------------------------------------------------------------------


def _esc(text: str) -> str:
    """Plotly renders a little HTML in hover texts: a title's own '<' or '&' must stay text."""
    return html.escape(str(text), quote=False)


def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def lifespan_figure(periods: pd.DataFrame, events: pd.DataFrame) -> go.Figure:
    """Each measure's life as a bar from its first event to its end or today, by status.

    ``periods``/``events`` from :func:`tracker.chartdata.lifespans`. Rows are measures
    (y = slug, labelled by title), earliest start at the top; each status period is a bar
    segment coloured by status; the measure's events are markers on it. ``customdata[0]``
    is the measure's slug on every point, so the page's script opens ``/measures/<slug>``
    on a click.
    """
    order = list(dict.fromkeys(periods["slug"]))
    titles = dict(zip(periods["slug"], periods["title"], strict=False))
    height = max(260, 90 + 22 * len(order))
    fig = go.Figure(
        layout=_layout(
            barmode="overlay",
            height=height,
            xaxis=_date_axis(slider=False),
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": order,
                "tickvals": order,
                "ticktext": [_esc(_short(titles[s])) for s in order],
                "autorange": "reversed",
                "automargin": True,
            },
            legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
            margin={"l": 10, "r": 20, "t": 60, "b": 40},
        )
    )
    for status in vocab.STATUSES.codes:
        part = periods[periods["status"] == status]
        if part.empty:
            continue
        starts = pd.to_datetime(part["start"])
        ends = pd.to_datetime(part["end"])
        widths = ((ends - starts).dt.total_seconds() * 1000).clip(lower=86_400_000)
        label = vocab.STATUSES.label(status)
        hover = [
            f"<b>{_esc(_short(title, 60))}</b><br>{label}: {date_label(s, sp)} – "
            f"{'today' if ongoing else date_label(e)}"
            for title, s, sp, e, ongoing in zip(
                part["title"],
                part["start"],
                part["start_precision"],
                part["end"],
                part["ongoing"],
                strict=True,
            )
        ]
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=part["slug"].tolist(),
                base=[_iso(s) for s in part["start"]],
                x=widths.round().astype("int64").tolist(),
                name=label,
                marker={"color": STATUS_COLOURS[status]},
                customdata=[[s] for s in part["slug"]],
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    if not events.empty:
        hover = [
            f"{_esc(_short(t, 60))}<br>{vocab.EVENT_KINDS.label(k)}, {date_label(d, p)}"
            for t, k, d, p in zip(
                events["title"], events["kind"], events["date"], events["date_precision"], strict=True
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=[_iso(d) for d in events["date"]],
                y=events["slug"].tolist(),
                mode="markers",
                name="Event",
                marker={
                    "symbol": "diamond",
                    "size": 8,
                    "color": "#222222",
                    "line": {"color": "white", "width": 1},
                },
                customdata=[[s] for s in events["slug"]],
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    return fig
