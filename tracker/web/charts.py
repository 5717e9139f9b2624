"""/timeline and /map: parse filters → chartdata (SQL) → charts (figures) → template.

Thin on purpose: every number comes from :mod:`tracker.chartdata` (the same query layer as
the lists) and every figure from :mod:`tracker.charts`. Figures reach the page as JSON in
``<script type="application/json">``, read by our own static script, so the pages work
under the site's Content-Security-Policy, which forbids inline scripts (tracker.security).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from sqlalchemy import select

from tracker.core import mapping, vocab
from tracker.core.codes import SLUG_RE
from tracker.core.dates import date_label
from tracker.core.status import today
from tracker.db.models import Actor, Technology
from tracker.extensions import db
from tracker.read import chartdata, maps
from tracker.read.collections import EVENTS, MEASURES
from tracker.read.filters import CHART_OMITS, Filters, caption_slug, parse_filters
from tracker.read.parameters import BadParameter
from tracker.render import figures as charts
from tracker.render import maps as map_render
from tracker.render.exports import rows_to_csv

bp = Blueprint("charts", __name__)

INTERVALS = ("quarter", "month")
# Each page's own parameters beside the list filters (the OpenAPI description reads these).
TIMELINE_PARAMS = frozenset({"interval"})
MAP_PARAMS = maps.MAP_PAGE_PARAMS
MAP_JSON_PARAMS = maps.MAP_JSON_PARAMS
MAP_CSV_PARAMS = maps.MAP_CSV_PARAMS
# The map's form has a date field a visitor can clear (cleared, it means today) and two
# menus whose first choice ("All technologies", "All types") is sent empty: no filter.
MAP_FORM_FIELDS = frozenset({"as_of", "technology", "measure_type"})


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    """One value of ``allowed`` (the first when absent); empty or repeated is a 400."""
    values = [v.strip() for v in request.args.getlist(name)]
    if "" in values:
        raise BadParameter(
            name, f"{name} is empty: give one of {', '.join(allowed)}, or leave the parameter out"
        )
    if len(values) > 1:
        raise BadParameter(name, f"give {name} once, not {len(values)} times")
    if values and values[0] not in allowed:
        raise BadParameter(name, f"unknown {name} {values[0]!r} (one of: {', '.join(allowed)})")
    return values[0] if values else allowed[0]


def _url(endpoint: str, filters: Filters | None = None, **values) -> str:
    """url_for with the filter's query string (the lists' exports of the same rows)."""
    base = url_for(endpoint, **values)
    return filters.url(base, paging=False) if filters is not None else base


def _measure_url_template() -> str:
    """'/measures/__slug__': the page's script swaps in a measure's slug on a click."""
    return _url("browse.measure_detail", slug="__slug__")


def _plotly_config() -> dict:
    return {
        "displaylogo": False,
        "responsive": True,
        "showLink": False,
        "showSendToCloud": False,
        "topojsonURL": url_for("static", filename="vendor/topojson/"),
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


@bp.get("/timeline")
def timeline():
    session = db.session
    filters = parse_filters(request.args, EVENTS, session, extra_params=TIMELINE_PARAMS, without=CHART_OMITS)
    interval = _choice("interval", INTERVALS)
    counts = chartdata.event_counts(session, filters, interval)
    in_effect = chartdata.in_effect_counts(session, filters)
    window = chartdata.counts_window(counts, interval)
    figures = {
        "events": charts.to_json(charts.events_figure(counts, interval, window)),
        "in-effect": charts.to_json(charts.in_effect_figure(in_effect, window)),
    }
    spans = None
    if not g.get("embed"):  # the embed draws the first two charts only
        spans = chartdata.lifespans(
            session, filters, current_app.config.get("TIMELINE_MEASURE_LIMIT", chartdata.LIFESPAN_LIMIT)
        )
        figures["lifespans"] = charts.to_json(charts.lifespan_figure(spans.periods, spans.events))
        figures["lifespans-axis"] = charts.to_json(
            charts.lifespan_axis_figure(charts.lifespan_window(spans.periods, spans.events))
        )
    return render_template(
        "timeline.html",
        filters=filters,
        interval=interval,
        figures=figures,
        counts=counts,
        family_table=chartdata.family_table(counts),
        family_kinds=vocab.EVENT_KIND_FAMILIES,
        in_effect=in_effect.pivot(index="date", columns="measure_type", values="count").fillna(0).astype(int)
        if not in_effect.empty
        else None,
        spans=spans,
        window=window,
        config_json=charts.data_json(_plotly_config()),
        measure_url=_measure_url_template(),
        events_csv=_url("browse.events_csv", filters),
        measures_csv=_url("browse.measures_csv", replace(filters, collection=MEASURES, kind=())),
        events_list=_url("browse.events", filters),
        interval_links={i: url_for("charts.timeline", **_args_with(interval=i)) for i in INTERVALS},
        year_links=[(y, _changes_url(filters, y)) for y in _years(counts)],
    )


def _years(counts) -> list[int]:
    """The years the events chart spans (its year labels), oldest first, none left out."""
    if counts.empty:
        return []
    years = [p.year for p in counts["period"]]
    return list(range(min(years), max(years) + 1))


def _changes_url(filters: Filters, year: int) -> str:
    """What changed in ``year`` (/changes-in) for the timeline's filter, as far as the two
    share parameters: measure type, technology, actor and place carry over; an event kind,
    a status, a date range or a search of events mean something else there and do not."""
    return filters.url(
        url_for("transitions.changes_in"),
        paging=False,
        extra={"from": str(year), "to": str(year)},
        kind=(),
        status=(),
        q=None,
        date_from=None,
        date_to=None,
        as_of=None,
    )


def _args_with(**overrides) -> dict:
    args = request.args.to_dict(flat=False)
    for key, value in overrides.items():
        args[key] = value
    return args


# --- the ban map ------------------------------------------------------------------------------


@dataclass
class MapPage:
    """Everything the map page (and ``/embed/map``) draws: the filter, the view, the scope
    choice, the date's places (:class:`tracker.read.maps.MapDay`), the slider's stops and
    the JSON record the page's script reads (:func:`tracker.render.maps.map_record`)."""

    filters: Filters
    view: str
    scope: str
    day: maps.MapDay
    steps: list[dt.date]
    record: dict


def _scope_choice() -> str:
    """The ``scope`` parameter: all (default), general, narrow or one scope code."""
    values = [v.strip() for v in request.args.getlist("scope")]
    if len(values) > 1:
        raise BadParameter("scope", f"give scope once, not {len(values)} times")
    if not values:
        return "all"
    if not mapping.valid_scope_choice(values[0]):
        raise BadParameter(
            "scope",
            f"unknown scope {values[0]!r} (one of: {', '.join(mapping.SCOPE_CHOICES)}, "
            f"or a scope code: {', '.join(vocab.SCOPES.codes)})",
        )
    return values[0]


def _map_filters(extra: frozenset, form: bool = False) -> Filters:
    """The map's filters; only the page (``form``) reads its form's empty fields as absent."""
    return parse_filters(
        request.args,
        MEASURES,
        db.session,
        extra_params=extra,
        without=CHART_OMITS,
        blank_as_absent=MAP_FORM_FIELDS if form else frozenset(),
    )


def _map_pairs(filters: Filters, scope: str, **extra: str) -> list[tuple[str, str]]:
    """The map's own query string (filters, ``as_of`` when given, ``scope`` when not all)."""
    pairs = filters.args(page=None, per_page=None)
    if scope != "all":
        pairs.append(("scope", scope))
    return pairs + list(extra.items())


def _with_query(base: str, pairs: list[tuple[str, str]]) -> str:
    return f"{base}?{urlencode(pairs)}" if pairs else base


def build_map(
    session, filters: Filters, view: str = "us", scope: str = "all", place: str | None = None
) -> MapPage:
    """The map's data for ``filters.as_of``: the one builder of its payload (the page, its
    JSON and ``/embed/map`` call it). A few SQL queries over the stored lifecycles
    (:func:`tracker.read.maps.map_day`, :func:`tracker.read.maps.change_dates`)."""
    day = maps.map_day(session, filters, filters.as_of, scope, place)
    changes = maps.change_dates(session, filters, scope)
    last = max(today(), filters.as_of)
    steps = mapping.slider_steps(changes, last, extra=[filters.as_of])
    play = mapping.play_frames(changes, today())
    pairs = _map_pairs(filters, scope)
    links = {
        "map": _with_query(url_for("charts.map_view"), pairs),
        "json": _with_query(url_for("charts.map_json"), pairs),
        "csv": _with_query(url_for("charts.map_csv"), pairs),
        "list": filters.url(url_for("browse.measures"), paging=False),
    }
    record = map_render.map_record(
        day,
        measure_url=_measure_url_template(),
        place_url=url_for("browse.actor_detail", slug="__slug__"),
        steps=steps,
        play=play,
        eu_members=maps.eu_members(),
        filters=filters.args(page=None, per_page=None, as_of=None),
        caption=filters.caption(),
        links=links,
    )
    return MapPage(filters, view, scope, day, steps, record)


@bp.get("/map")
def map_view():
    filters = _map_filters(MAP_PARAMS, form=True)
    view = _choice("view", map_render.VIEWS)
    scope = _scope_choice()
    page = build_map(db.session, filters, view, scope)
    figures = {v: charts.to_json(map_render.map_figure(v)) for v in map_render.VIEWS}
    technologies = db.session.execute(
        select(Technology.slug, Technology.name).order_by(Technology.name)
    ).all()
    return render_template(
        "map.html",
        page=page,
        filters=filters,
        view=view,
        scope=scope,
        day=page.day,
        figures=figures,
        payload=charts.data_json(page.record),
        config_json=charts.data_json({**_plotly_config(), "scrollZoom": True}),
        styles=map_render.map_styles(),
        style_key=map_render.style_key,
        since=map_render.since_phrase,
        geo_labels=map_render.GEO_LABELS,
        technologies=technologies,
        scope_choices=mapping.SCOPE_CHOICES,
        first=page.steps[0],
        today=today(),
        links=page.record["links"],
        as_of=filters.as_of.isoformat(),
        as_of_label=date_label(filters.as_of),
        type_labels={c: vocab.MEASURE_TYPES.label(c) for c in vocab.MEASURE_TYPES.codes},
        scope_labels={c: vocab.SCOPES.label(c).lower() for c in vocab.SCOPES.codes},
        hidden_filters=[
            (k, v)
            for k, v in filters.args(page=None, per_page=None, as_of=None)
            if k not in ("technology", "measure_type")
        ],
        view_links={
            v: _with_query(url_for("charts.map_view"), _map_pairs(filters, scope, view=v))
            for v in map_render.VIEWS
        },
    )


@bp.get("/map.json")
def map_json():
    """The map on one date as JSON (the page's slider asks for each date it stops on);
    ``place`` adds every measure live at that place (the page's panel)."""
    filters = _map_filters(MAP_JSON_PARAMS)
    scope = _scope_choice()
    place = _place_param()
    return jsonify(build_map(db.session, filters, "us", scope, place).record)


def _place_param() -> str | None:
    values = [v.strip() for v in request.args.getlist("place")]
    if not values:
        return None
    if len(values) > 1:
        raise BadParameter("place", f"give place once, not {len(values)} times")
    if not SLUG_RE.match(values[0]):
        raise BadParameter("place", f"{values[0]!r} is not a slug")
    found = db.session.scalar(select(Actor.kind).where(Actor.slug == values[0]))
    if found is None:
        raise BadParameter("place", f"unknown place {values[0]!r}")
    if found not in vocab.PLACE_KINDS:
        raise BadParameter("place", f"{values[0]!r} is not a place (a {found})")
    return values[0]


@bp.get("/map.csv")
def map_csv():
    """One row per place the map shows for its date and filters, with the measure it shows:
    built from the same :func:`build_map` as the page, so the two cannot disagree."""
    filters = _map_filters(MAP_CSV_PARAMS)
    scope = _scope_choice()
    day = maps.map_day(db.session, filters, filters.as_of, scope)
    rows = map_render.map_csv_rows(day, url_for("browse.measure_detail", slug="__slug__", _external=True))
    body = rows_to_csv(rows, map_render.MAP_CSV_COLUMNS, bom=request.args.get("bom") == "1")
    name = caption_slug(filters, filters.as_of)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="map-{name}.csv"'},
    )


# --- embeds --------------------------------------------------------------------------------
# /embed/timeline and /embed/map are the chart pages themselves, drawn with minimal chrome
# (base.html under ``g.embed``): each calls its page's view, so an embed takes the same
# parameters, parsed by the same code (a bad one is the same 400), and shows what the page
# shows. They are the only pages other sites may frame (tracker.web.security.FRAMEABLE).

EMBEDS = {"charts.timeline": "charts.embed_timeline", "charts.map_view": "charts.embed_map"}
"""The chart pages that have an embed, and its endpoint."""


def _embedding(page: str, what: str) -> None:
    """Mark this request as an embed of ``page``: base.html then draws the chart with a
    caption (``what``, the filter, the date) and a link back to the full page with the same
    query string."""
    g.embed = {"what": what, "page_url": url_for(page, _external=True, **_args_with())}


@bp.get("/embed/timeline")
def embed_timeline():
    _embedding("charts.timeline", "Surveillance-policy events over time")
    return timeline()


@bp.get("/embed/map")
def embed_map():
    _embedding("charts.map_view", "Surveillance-technology measures on the map")
    return map_view()


@bp.app_context_processor
def _embed_links() -> dict:
    """On /timeline and /map, the URL of the same view's embed (for "Embed this")."""
    embed = EMBEDS.get(request.endpoint or "")
    if embed is None or g.get("embed"):
        return {}
    return {"embed_url": url_for(embed, _external=True, **_args_with())}
