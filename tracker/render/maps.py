"""The ban map's outputs: the figure's layout, the drawing styles, the JSON record of one
date (the page's data and ``/map.json``) and the CSV rows (``/map.csv``). Pure: a
:class:`tracker.read.maps.MapDay` in, plain data out; no Flask, no database.

Why the browser draws the traces: the points are clustered in screen space (places closer
than a marker's width are drawn as one numbered marker until the map is zoomed in), which
depends on the zoom of the moment. The server sends the layout and :func:`map_styles`, the
only place the colours and symbols of each category are decided; ``static/js/map.js``
reads them, so the two never disagree.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from tracker.core import vocab
from tracker.core.dates import date_label
from tracker.core.mapping import SCOPE_CLASSES
from tracker.read.maps import MapDay, MapMeasure, MapPlace
from tracker.render.figures import TYPE_COLOURS, _layout, tint

VIEWS = ("us", "world")
MAP_TYPES = vocab.MAP_STRENGTH

# How far the world view reaches: every continent but Antarctica, at any width (the
# figure keeps these bounds instead of fitting the data, which cropped it to the places
# with measures: North America and Europe).
WORLD_LON = (-180, 180)
WORLD_LAT = (-56, 84)


def style_key(measure_type: str, in_effect: bool, scope_class: str) -> str:
    """'ban|in_effect|general': the category a shown measure is drawn in."""
    return f"{measure_type}|{'in_effect' if in_effect else 'not_yet'}|{scope_class}"


def map_styles() -> dict[str, dict]:
    """Every category's fill, outline and point symbol.

    - type: the colour (ban vermillion, moratorium orange, restriction blue, oversight green);
    - in force or not yet: solid, or pale with a coloured outline (hollow points);
    - general or narrow scope: a narrow measure (body cameras, schools, one vendor...) is a
      lighter tone of the colour with a dotted-looking thick outline on areas and a diamond
      for points, so a state is never painted like a general ban for a narrow one.
    """
    out = {}
    for measure_type in MAP_TYPES:
        colour = TYPE_COLOURS[measure_type]
        for in_effect in (True, False):
            for scope in SCOPE_CLASSES:
                general = scope == "general"
                if in_effect:
                    fill = colour if general else tint(colour, 0.5)
                    line, width = ("#ffffff", 0.8) if general else (colour, 2.4)
                else:
                    fill = tint(colour, 0.28 if general else 0.12)
                    line, width = colour, 1.6
                out[style_key(measure_type, in_effect, scope)] = {
                    "fill": fill,
                    "line": line,
                    "width": width,
                    "symbol": ("circle" if general else "diamond") + ("" if in_effect else "-open"),
                    "colour": colour,
                }
    return out


def map_figure(view: str) -> go.Figure:
    """The map's empty figure: the geography of the view and no traces (``map.js`` adds
    them). Dragging pans, the wheel and a pinch zoom (the page's config turns scroll zoom on)."""
    geo: dict[str, object] = {
        "scope": "usa" if view == "us" else "world",
        "projection": {"type": "albers usa" if view == "us" else "natural earth"},
        "showland": True,
        "landcolor": "#f4f4f1",
        "showlakes": False,
        "subunitcolor": "#bbbbbb",
        "countrycolor": "#bbbbbb",
        "showcountries": view == "world",
        "showframe": False,
        "bgcolor": "rgba(0,0,0,0)",
    }
    if view == "world":
        geo |= {
            "lonaxis": {"range": list(WORLD_LON)},
            "lataxis": {"range": list(WORLD_LAT)},
            "showocean": True,
            "oceancolor": "#f7fbfd",
        }
    return go.Figure(
        layout=_layout(
            height=520 if view == "us" else 480,
            margin={"l": 0, "r": 0, "t": 0, "b": 0},
            showlegend=False,
            dragmode="pan",
            geo=geo,
        )
    )


def _measure(m: MapMeasure) -> dict:
    return {
        "slug": m.slug,
        "title": m.title,
        "type": m.measure_type,
        "status": m.status,
        "since": m.since.isoformat(),
        "precision": m.since_precision,
        "scope": list(m.scope),
        "scope_class": m.scope_class,
        "adopter": m.adopter,
    }


def _place(p: MapPlace) -> dict:
    out: dict[str, object] = {
        "slug": p.slug,
        "name": p.name,
        "kind": p.kind,
        "geo": p.geo,
        "loc": p.loc,
        "lat": p.lat,
        "lon": p.lon,
        "count": p.count,
        "measure": _measure(p.measure),
    }
    if p.measures:
        out["measures"] = [_measure(m) for m in p.measures]
    return out


def map_record(
    day: MapDay,
    *,
    measure_url: str,
    place_url: str,
    steps: list[dt.date],
    play: list[dt.date],
    eu_members: list[str],
    filters: list[tuple[str, str]],
    caption: str,
    links: dict[str, str],
) -> dict:
    """The map on one date as plain data: what ``/map.json`` answers and what the page
    carries (``<script type="application/json" id="map-data">``).

    ``steps`` and ``play`` (the slider's stops and Play's frames) are sent as day offsets
    from ``steps[0]``: a few bytes each, however many there are. ``place_url`` and
    ``measure_url`` are templates with ``__slug__``."""
    first = steps[0] if steps else day.day
    return {
        "as_of": day.day.isoformat(),
        "scope": day.scope,
        "caption": caption,
        "filters": [list(pair) for pair in filters],
        "places": [_place(p) for p in day.places],
        "corporate": [_measure(m) for m in day.corporate],
        "corporate_total": day.corporate_total,
        "unplaced": [_measure(m) for m in day.unplaced],
        "unplaced_total": day.unplaced_total,
        "steps": {
            "first": first.isoformat(),
            "days": [(d - first).days for d in steps],
            "play": [(d - first).days for d in play],
        },
        "eu": eu_members,
        "styles": map_styles(),
        "labels": {
            "types": {c: vocab.MEASURE_TYPES.label(c) for c in vocab.MEASURE_TYPES.codes},
            "statuses": {c: vocab.STATUSES.label(c) for c in vocab.STATUSES.codes},
            "scopes": {c: vocab.SCOPES.label(c) for c in vocab.SCOPES.codes},
            "geos": dict(GEO_LABELS),
        },
        "links": {**links, "measure": measure_url, "place": place_url},
    }


GEO_LABELS = (
    ("state", "US states"),
    ("point", "Cities and counties"),
    ("country", "Countries"),
    ("eu", "European Union"),
)

MAP_CSV_COLUMNS = [
    "place",
    "place_name",
    "place_kind",
    "area",
    "latitude",
    "longitude",
    "measures_here",
    "measure",
    "title",
    "measure_type",
    "status",
    "since",
    "scope",
    "scope_class",
    "url",
]


def map_csv_rows(day: MapDay, measure_url: str) -> list[list]:
    """One row per place on the map, with the measure it shows: the CSV of exactly what the
    map draws for its date and filters (``measure_url``: absolute, with ``__slug__``)."""
    return [
        [
            p.slug,
            p.name,
            p.kind,
            p.loc,
            p.lat,
            p.lon,
            p.count,
            p.measure.slug,
            p.measure.title,
            p.measure.measure_type,
            p.measure.status,
            p.measure.since.isoformat(),
            "; ".join(p.measure.scope),
            p.measure.scope_class,
            measure_url.replace("__slug__", p.measure.slug),
        ]
        for p in day.places
    ]


def since_phrase(m: MapMeasure) -> str:
    """'in effect since 14 May 2019' (map.js writes the same)."""
    return f"{vocab.STATUSES.label(m.status).lower()} since {date_label(m.since, m.since_precision or 'day')}"
