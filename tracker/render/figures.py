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
from collections import defaultdict

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
# Okabe & Ito's eight colours (2008), told apart with the common colour-vision deficiencies:
# one per event family (core.vocab.EVENT_FAMILIES), so no two families share a colour.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
FAMILY_COLOURS = {
    "proposed": "#56B4E9",
    "legislative": "#0072B2",
    "enacted": "#009E73",
    "in_force": "#F0E442",
    "ended": "#D55E00",
    "courts": "#CC79A7",
    "public": "#E69F00",
    "business": "#000000",
}
TINT_ALPHA = 0.28
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


def _layout(**extra) -> dict:
    base = {
        "template": "none",
        "font": FONT,
        "margin": {"l": 50, "r": 20, "t": 10, "b": 30},
        "hoverlabel": {"align": "left"},
        # Above the plot, where Plotly makes room for it (it pushes the top margin by the
        # legend's height, however many rows it wraps to): no blank band sized for the
        # widest case between a range slider and a legend placed below it.
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
    }
    base.update(extra)
    return base


def _date_axis(slider: bool = True, window: tuple[dt.date, dt.date] | None = None) -> dict:
    """A date axis showing ``window`` first (the dense years), or everything when None.

    The range slider under it always spans the whole record, so the early years are in
    sight; the page's own buttons (charts.js) switch to all time and back."""
    axis: dict = {"type": "date", "rangeslider": {"visible": slider, "thickness": 0.07}}
    if window is not None:
        axis["range"] = [window[0].isoformat(), window[1].isoformat()]
        axis["autorange"] = False
    return axis


def tint(colour: str, alpha: float = TINT_ALPHA) -> str:
    """'#D55E00' → 'rgba(213,94,0,0.28)': the pale fill of a measure not yet in force."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _figure(layout: dict) -> dict:
    """A figure as plain data (``{"data": [], "layout": ...}``), for plotly.js to draw.

    Why not ``go.Figure``: it validates every property as it is set, which took 300 ms for
    the timeline's figures at 100,000 events (a hundred annotations, a few thousand bars);
    these builders write only properties plotly.js knows, and the tests read the dicts.
    Plotly's ``"none"`` template is empty in plotly.js, so the layout carries none."""
    layout = {k: v for k, v in layout.items() if k != "template"}
    return {"data": [], "layout": layout}


def _trace(kind: str, **properties) -> dict:
    """One trace of a :func:`_figure`, of plotly.js type ``kind``."""
    return {"type": kind, **properties}


def to_json(fig: go.Figure | dict) -> str:
    """The figure as compact JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are escaped as ``\\u003c``… so no text (a measure title) can close
    the script element; the JSON means the same.
    """
    if isinstance(fig, dict):
        return data_json(fig)
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


def events_figure(
    counts: pd.DataFrame, interval: str = "quarter", window: tuple[dt.date, dt.date] | None = None
) -> dict:
    """Events per month or quarter, stacked by family of kinds; corporate actions hatched.

    ``counts``: columns ``period`` (date), ``kind``, ``sector`` (government|corporate),
    ``count`` (from :func:`tracker.read.chartdata.event_counts`). One colour per family
    (:data:`FAMILY_COLOURS`), since 29 kinds cannot have 29 colours anyone can tell apart;
    the hover names each kind of the bar (label and code) with its count, from
    ``customdata`` (one small integer per kind and bar). Government and corporate actions
    share one axis, so a city's ban and a company's moratorium of the same quarter stack in
    the same bar; a family's two traces share a legend entry. ``window``: the x range shown
    first (:func:`tracker.read.chartdata.dense_range`).
    """
    fig = _figure(
        _layout(
            barmode="stack",
            xaxis=_date_axis(window=window),
            yaxis={"title": {"text": "events"}, "rangemode": "tozero", "automargin": True},
            height=520,
            meta={"window": [w.isoformat() for w in window] if window else None, "minPlot": 300},
        )
    )
    if counts.empty:
        return fig
    # {(family, sector): {period: {kind: count}}} in one pass over the (small) counts.
    cells: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(dict))
    for period, kind, sector, n in zip(
        counts["period"], counts["kind"], counts["sector"], counts["count"], strict=True
    ):
        by_kind = cells[(vocab.FAMILY_OF_KIND[kind], sector)][period]
        by_kind[kind] = by_kind.get(kind, 0) + int(n)
    when = "%{x|%B %Y}" if interval == "month" else "quarter from %{x|%b %Y}"
    for family in vocab.EVENT_FAMILIES.codes:
        shown_in_legend = False
        for sector in ("government", "corporate"):
            bars = cells.get((family, sector))
            if not bars:
                continue
            present = {k for by_kind in bars.values() for k in by_kind}
            kinds = [k for k in vocab.EVENT_KIND_FAMILIES[family] if k in present]
            periods = sorted(bars)
            label = vocab.EVENT_FAMILIES.label(family) + (" (corporate)" if sector == "corporate" else "")
            lines = "".join(
                f"<br>{vocab.EVENT_KINDS.label(k)} <i>{k}</i>: %{{customdata[{i}]}}"
                for i, k in enumerate(kinds)
            )
            fig["data"].append(
                _trace(
                    "bar",
                    x=[_iso(p) for p in periods],
                    y=[sum(bars[p].values()) for p in periods],
                    customdata=[[bars[p].get(k, 0) for k in kinds] for p in periods],
                    name=vocab.EVENT_FAMILIES.label(family),
                    legendgroup=family,
                    showlegend=not shown_in_legend,
                    marker={
                        "color": FAMILY_COLOURS[family],
                        "line": {"color": "#ffffff", "width": 0.5},
                        "pattern": {"shape": "/" if sector == "corporate" else ""},
                    },
                    meta={"family": family, "sector": sector, "kinds": kinds},
                    hovertemplate=f"{when}<br><b>{label}</b>: %{{y}}{lines}<extra></extra>",
                    xperiod=("M3" if interval == "quarter" else "M1"),
                    xperiodalignment="start",
                )
            )
            shown_in_legend = True
    return fig


# --- measures in effect ------------------------------------------------------------------------


def in_effect_figure(counts: pd.DataFrame, window: tuple[dt.date, dt.date] | None = None) -> dict:
    """Measures in force over time, one stepped line per measure type.

    ``counts``: ``date``, ``measure_type``, ``count`` (from
    :func:`tracker.chartdata.in_effect_counts`); lines step down on expiries and repeals.
    """
    fig = _figure(
        _layout(
            xaxis=_date_axis(window=window),
            yaxis={"title": {"text": "measures in effect"}, "rangemode": "tozero", "automargin": True},
            height=440,
            meta={"window": [w.isoformat() for w in window] if window else None, "minPlot": 240},
        )
    )
    for code in vocab.MEASURE_TYPES.codes:
        part = counts[counts["measure_type"] == code]
        if part.empty:
            continue
        label = vocab.MEASURE_TYPES.label(code)
        fig["data"].append(
            _trace(
                "scatter",
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


ROW_PX = 30
"""Height of one measure's row on the lifespan chart: its name above a 12 px bar."""
LIFESPAN_MARGIN = {"l": 12, "r": 16, "t": 10, "b": 36}
AXIS_STRIP_PX = 34


def lifespan_window(
    periods: pd.DataFrame, events: pd.DataFrame | None = None
) -> tuple[dt.date, dt.date] | None:
    """The lifespan chart's x range: its first start to its last end, padded by 2% each side
    (fixed, so the sticky axis strip above it can show the same range)."""
    if periods.empty:
        return None
    dates = [*periods["start"], *periods["end"]]
    if events is not None and not events.empty:
        dates.extend(events["date"])
    first, last = min(dates), max(dates)
    pad = dt.timedelta(days=max(15, (last - first).days // 50))
    return first - pad, last + pad


def lifespan_axis_figure(window: tuple[dt.date, dt.date] | None) -> dict:
    """A date axis alone, drawn above the lifespan chart and kept in view while the reader
    scrolls down its rows (CSS ``position: sticky``): a chart of a hundred measures is
    taller than a screen, and an axis only at its foot or head is out of sight in the
    middle. Same margins and range as :func:`lifespan_figure`; charts.js keeps the range
    in step when the chart is zoomed."""
    axis = {
        "type": "date",
        "side": "top",
        "fixedrange": True,
        "showgrid": False,
        "ticks": "outside",
        "showline": True,
    }
    if window is not None:
        axis["range"] = [window[0].isoformat(), window[1].isoformat()]
    return _figure(
        _layout(
            height=AXIS_STRIP_PX,
            margin={**LIFESPAN_MARGIN, "t": AXIS_STRIP_PX - 2, "b": 0},
            showlegend=False,
            xaxis=axis,
            yaxis={"visible": False, "fixedrange": True},
            paper_bgcolor="#ffffff",
            plot_bgcolor="#ffffff",
        )
    )


def lifespan_figure(periods: pd.DataFrame, events: pd.DataFrame) -> dict:
    """Each measure's life as a bar from its first event to its end or today, by status.

    ``periods``/``events`` from :func:`tracker.read.chartdata.lifespans`. Rows are measures
    (y = slug), earliest start at the top; each status period is a bar segment coloured by
    status; the measure's events are markers on it. A measure's name is written above its
    bar, from the left edge (annotations), not as a tick label beside it: a phone has no
    room for a column of names, which Plotly cut at the left, and the bars get the whole
    width. ``customdata[0]`` is the measure's slug on every point, so the page's script
    opens ``/measures/<slug>`` on a click. The date axis is at the foot, and, for the rows
    in between, in :func:`lifespan_axis_figure` above.
    """
    order = list(dict.fromkeys(periods["slug"]))
    titles = dict(zip(periods["slug"], periods["title"], strict=False))
    window = lifespan_window(periods, events)
    height = LIFESPAN_MARGIN["t"] + LIFESPAN_MARGIN["b"] + 40 + ROW_PX * max(len(order), 4)
    xaxis = _date_axis(slider=False, window=window)
    fig = _figure(
        _layout(
            barmode="overlay",
            bargap=0.6,
            height=height,
            xaxis={**xaxis, "ticks": "outside", "showline": True},
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": order,
                "showticklabels": False,
                # Fixed, top row first: Plotly widens an autorange to fit annotations' text,
                # which left five empty rows above the first measure.
                "range": [len(order) - 0.5, -0.8],
                "autorange": False,
                "fixedrange": True,
            },
            margin=LIFESPAN_MARGIN,
            annotations=[
                {
                    "x": 0,
                    "xref": "paper",
                    "xanchor": "left",
                    "y": slug,
                    "yref": "y",
                    "yanchor": "bottom",
                    "yshift": 7,
                    "showarrow": False,
                    "align": "left",
                    "font": {"size": 11, "color": "#333333"},
                    "text": _esc(_short(titles[slug], 46)),
                }
                for slug in order
            ],
        )
    )
    # One pass over the periods (a few hundred), grouped by status in plain Python: a pandas
    # filter per status cost more than drawing them.
    by_status: dict[str, list] = defaultdict(list)
    for row in zip(
        periods["slug"],
        periods["title"],
        periods["status"],
        periods["start"],
        periods["start_precision"],
        periods["end"],
        periods["ongoing"],
        strict=True,
    ):
        by_status[row[2]].append(row)
    for status in vocab.STATUSES.codes:
        rows = by_status.get(status)
        if not rows:
            continue
        label = vocab.STATUSES.label(status)
        fig["data"].append(
            _trace(
                "bar",
                orientation="h",
                y=[r[0] for r in rows],
                base=[r[3].isoformat() for r in rows],
                # Bar lengths in milliseconds (a date axis), at least one day.
                x=[max(1, (r[5] - r[3]).days) * 86_400_000 for r in rows],
                name=label,
                marker={"color": STATUS_COLOURS[status]},
                customdata=[[r[0]] for r in rows],
                hovertext=[
                    f"<b>{_esc(_short(r[1], 60))}</b><br>{label}: {date_label(r[3], r[4])} – "
                    f"{'today' if r[6] else date_label(r[5])}"
                    for r in rows
                ],
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
        fig["data"].append(
            _trace(
                "scatter",
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
