"""/timeline and /map: parse filters → chartdata (SQL) → charts (figures) → template.

Thin on purpose: every number comes from :mod:`tracker.chartdata` (the same query layer as
the lists) and every figure from :mod:`tracker.charts`. Figures reach the page as JSON in
``<script type="application/json">``, read by our own static script, so the pages work
under the site's Content-Security-Policy, which forbids inline scripts (tracker.security).
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, g, render_template, request, url_for

from tracker.core import vocab
from tracker.core.status import today
from tracker.extensions import db
from tracker.read import chartdata
from tracker.read.collections import EVENTS, MEASURES
from tracker.read.filters import CHART_OMITS, Filters, parse_filters
from tracker.read.parameters import BadParameter
from tracker.render import figures as charts

bp = Blueprint("charts", __name__)

INTERVALS = ("quarter", "month")
# Each page's own parameters beside the list filters (the OpenAPI description reads these).
TIMELINE_PARAMS = frozenset({"interval"})
MAP_PARAMS = frozenset({"view"})
# The map's form has a date field a visitor can clear; cleared, it means today.
MAP_FORM_FIELDS = frozenset({"as_of"})


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


@bp.get("/map")
def map_view():
    session = db.session
    filters = parse_filters(
        request.args,
        MEASURES,
        session,
        extra_params=MAP_PARAMS,
        without=CHART_OMITS,
        blank_as_absent=MAP_FORM_FIELDS,
    )
    view = _choice("view", charts.VIEWS)
    data = chartdata.map_data(session, filters)
    members = chartdata.eu_members()
    on_day = chartdata.on_date(data.segments, filters.as_of)
    # The figures carry only the layout and the 16 empty traces; map.js fills them from the
    # places (sent once, with their timelines) for the slider's date: no place is sent twice.
    figures = {v: charts.to_json(charts.map_figure(on_day.iloc[0:0], v, members)) for v in charts.VIEWS}
    start = data.first or filters.as_of
    return render_template(
        "map.html",
        filters=filters,
        view=view,
        figures=figures,
        on_day=on_day,
        corporate=chartdata.on_date(data.corporate, filters.as_of),
        unplaced=chartdata.on_date(data.unplaced, filters.as_of),
        data=data,
        payload=charts.data_json(charts.map_payload(data.segments, data.corporate, members)),
        config_json=charts.data_json(_plotly_config()),
        measure_url=_measure_url_template(),
        first=min(start, filters.as_of),
        today=today(),
        measures_csv=_url("browse.measures_csv", filters),
        measures_list=_url("browse.measures", filters),
        view_links={v: url_for("charts.map_view", **_args_with(view=v)) for v in charts.VIEWS},
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
