"""Public lists and detail pages: HTML, JSON and CSV from one data function.

Each list view parses the query string into a Filters object, asks the query layer for the
rows once, and only the last step differs by format (Datasette's rule: every view exports
exactly what is on screen, with the same query string).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from tracker.core.status import status_in, today
from tracker.db.models import Actor, Citation, Event, Measure, Source
from tracker.extensions import db
from tracker.read import queries
from tracker.read.filters import (
    COLLECTIONS,
    CSV_PARAMS,
    FORM_TEXT_FIELDS,
    Filters,
    caption_slug,
    parse_as_of,
    parse_filters,
)
from tracker.render.exports import RECORDS, csv_chunks
from tracker.render.formatting import highlight_quotes

bp = Blueprint("browse", __name__)

SINGULAR = {"events": "event", "measures": "measure", "sources": "source", "actors": "actor"}


def filters_for(collection: str, **options) -> Filters:
    """The request's filters; ``options`` are parse_filters' per-format ones (``bom`` on
    CSV, the HTML form's empty fields)."""
    return parse_filters(request.args, collection, db.session,
                         per_page_max=current_app.config["PER_PAGE_MAX"], **options)


def _abs(endpoint: str, **values) -> str:
    """An absolute URL. Detail URLs (slug only) are built from a per-request template:
    url_for costs ~30 µs, which dominated a 100,000-row CSV export."""
    if set(values) != {"slug"}:
        return url_for(endpoint, _external=True, **values)
    templates = g.setdefault("detail_url_templates", {})
    if endpoint not in templates:
        templates[endpoint] = url_for(endpoint, slug="SLUG", _external=True).rsplit("SLUG", 1)
    head, tail = templates[endpoint]
    return f"{head}{values['slug']}{tail}"


def list_links(f: Filters, p: queries.Page | None = None) -> dict:
    base = _abs(f"browse.{f.collection}_json")

    def link(**overrides) -> str:
        qs = f.query_string(**overrides)
        return base + ("?" + qs if qs else "")

    csv_qs = f.query_string(page=1, per_page=50)
    return {
        "self": link(),
        "next": link(page=f.page + 1) if p and p.has_next else None,
        "prev": link(page=f.page - 1) if p and p.has_prev else None,
        "csv": _abs(f"browse.{f.collection}_csv") + ("?" + csv_qs if csv_qs else ""),
    }


def records(collection: str, items: list, extra: dict, f: Filters) -> list[dict]:
    make = RECORDS[collection][0]
    statuses = extra.get("statuses", {})
    out = [make(item, statuses, f.as_of, _abs) for item in items]
    snippets = extra.get("snippets")
    if snippets is not None:
        from tracker.db.search import plain

        for record, item in zip(out, items, strict=True):
            record["match"] = plain(snippets[item.id]) if item.id in snippets else None
    return out


def list_json(collection: str):
    f = filters_for(collection)
    p = queries.page(db.session, f)
    return jsonify({
        "items": records(collection, p.items, p.extra, f),
        "total": p.total,
        "page": p.page,
        "per_page": p.per_page,
        "links": list_links(f, p),
        "filters": f.as_dict(),
        "caption": f.caption(),
    })


def list_csv(collection: str):
    """Every matching row (page/per_page ignored), streamed in chunks, formula-safe."""
    f = filters_for(collection, extra_params=CSV_PARAMS)
    _, columns, to_row = RECORDS[collection]
    bom = request.args.get("bom") == "1"

    def rows():
        for items, extra in queries.chunks(db.session, f):
            yield [to_row(record) for record in records(collection, items, extra, f)]

    generate = stream_with_context(csv_chunks(rows(), columns, bom=bom, safe=True))
    filename = caption_slug(f) + ".csv"
    return Response(
        generate,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def list_html(collection: str):
    """The page with the filter form: a field the user left empty is no filter."""
    f = filters_for(collection, blank_as_absent=FORM_TEXT_FIELDS)
    p = queries.page(db.session, f)
    facets = queries.facets(db.session, f)
    return render_template(
        f"browse/{collection}.html", f=f, page=p, facets=facets, collection=collection,
        links=list_links(f, p), singular=SINGULAR[collection],
    )


def _register_list(collection: str) -> None:
    bp.add_url_rule(f"/{collection}", collection, lambda: list_html(collection))
    bp.add_url_rule(f"/{collection}.json", f"{collection}_json", lambda: list_json(collection))
    bp.add_url_rule(f"/{collection}.csv", f"{collection}_csv", lambda: list_csv(collection))


for _collection in COLLECTIONS:
    _register_list(_collection)


# --- detail pages ------------------------------------------------------------------------


def _get(model, slug: str, *options):
    obj = db.session.scalar(select(model).where(model.slug == slug).options(*options))
    if obj is None:
        abort(404, description=f"no {model.__name__.lower()} with slug {slug!r}")
    return obj


def _as_of() -> tuple:
    """Detail pages take one parameter, ``as_of`` (the date statuses are shown for)."""
    return parse_as_of(request.args)


def measure_history(measure: Measure, on) -> dict:
    """The measure's lifecycle (the same derivation as every list, replacements and the end of
    its session included), its status on ``on`` and, when its technologies change on a date,
    when it covered each of them."""
    found = queries.histories(db.session, [measure.id])
    periods = found.lifecycles.get(measure.id, [])
    return {"periods": periods, "status": status_in(periods, on),
            "coverage": found.coverage.get(measure.id, {})}


@bp.get("/events/<slug>")
def event_detail(slug: str):
    on, _ = _as_of()
    event = _get(Event, slug, *queries.EVENT_LOAD)
    history = measure_history(event.measure, on) if event.measure else None
    siblings = event.measure.events if event.measure else []
    return render_template("browse/event_detail.html", event=event, history=history,
                           siblings=siblings, on=on)


@bp.get("/events/<slug>.json")
def event_detail_json(slug: str):
    on, _ = _as_of()
    event = _get(Event, slug, *queries.EVENT_LOAD)
    statuses = queries.measure_statuses(db.session, on, [event.measure_id] if event.measure_id else [])
    return jsonify(RECORDS["events"][0](event, statuses, on, _abs))


@bp.get("/measures/<slug>")
def measure_detail(slug: str):
    on, _ = _as_of()
    measure = _get(Measure, slug, *queries.MEASURE_LOAD,
                   selectinload(Measure.events).selectinload(Event.citations)
                   .selectinload(Citation.source))
    replaced_by = db.session.scalars(select(Measure).where(Measure.replaces_id == measure.id)).all()
    return render_template("browse/measure_detail.html", measure=measure,
                           history=measure_history(measure, on), replaced_by=replaced_by, on=on)


@bp.get("/measures/<slug>.json")
def measure_detail_json(slug: str):
    on, _ = _as_of()
    measure = _get(Measure, slug, *queries.MEASURE_LOAD, selectinload(Measure.events))
    history = measure_history(measure, on)
    record = RECORDS["measures"][0](measure, {measure.id: history["status"]}, on, _abs)
    record["history"] = [
        {"status": p.status, "start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None}
        for p in history["periods"]
    ]
    record["coverage"] = {
        tech: [{"from": a.isoformat() if a else None, "until": b.isoformat() if b else None}
               for a, b in intervals]
        for tech, intervals in history["coverage"].items()
    }
    record["events"] = [
        {"slug": e.slug, "kind": e.kind, "title": e.title, "date": e.date.isoformat(),
         "date_precision": e.date_precision, "url": _abs("browse.event_detail", slug=e.slug)}
        for e in measure.events
    ]
    return jsonify(record)


def _actor_context(actor: Actor, on):
    tree = queries.actor_and_descendants([actor.slug])
    own = db.session.scalars(
        select(Measure).where(or_(Measure.adopted_by_id == actor.id,
                                  Measure.jurisdiction_id == actor.id))
        .options(*queries.MEASURE_LOAD).order_by(Measure.title)
    ).all()
    below = db.session.scalars(
        select(Measure).where(
            or_(Measure.adopted_by_id.in_(tree), Measure.jurisdiction_id.in_(tree)),
            Measure.id.not_in([m.id for m in own] or [-1]),
        ).options(*queries.MEASURE_LOAD).order_by(Measure.title)
    ).all()
    statuses = queries.measure_statuses(db.session, on, [m.id for m in (*own, *below)])
    events = db.session.scalars(
        select(Event).where(Event.actor_id == actor.id).order_by(Event.date.desc(), Event.slug)
    ).all()
    names = [actor.name, *actor.alias_list]
    published = db.session.scalars(
        select(Source).where(Source.publisher.in_(names)).order_by(Source.published.desc().nulls_last(),
                                                                   Source.slug)
    ).all()
    return {"own": own, "below": below, "statuses": statuses, "events": events,
            "published": published}


@bp.get("/actors/<slug>")
def actor_detail(slug: str):
    on, _ = _as_of()
    actor = _get(Actor, slug, selectinload(Actor.children), selectinload(Actor.parent))
    return render_template("browse/actor_detail.html", actor=actor, on=on,
                           **_actor_context(actor, on))


@bp.get("/actors/<slug>.json")
def actor_detail_json(slug: str):
    on, _ = _as_of()
    actor = _get(Actor, slug, selectinload(Actor.children), selectinload(Actor.parent))
    ctx = _actor_context(actor, on)
    record = RECORDS["actors"][0](actor, {}, on, _abs)
    record["children"] = [c.slug for c in actor.children]
    measure = RECORDS["measures"][0]
    record["measures"] = [measure(m, ctx["statuses"], on, _abs) for m in ctx["own"]]
    record["sub_jurisdiction_measures"] = [measure(m, ctx["statuses"], on, _abs) for m in ctx["below"]]
    record["events"] = [e.slug for e in ctx["events"]]
    record["published_sources"] = [s.slug for s in ctx["published"]]
    return jsonify(record)


@bp.get("/sources/<slug>")
def source_detail(slug: str):
    _as_of()
    source = _get(Source, slug, selectinload(Source.citations).selectinload(Citation.event))
    marked = None
    if source.text is not None:
        quotes = [(c.quote, url_for("browse.event_detail", slug=c.event.slug), c.event.title)
                  for c in source.citations if c.quote]
        marked = highlight_quotes(source.text, quotes)
    return render_template("browse/source_detail.html", source=source, marked=marked)


@bp.get("/sources/<slug>.json")
def source_detail_json(slug: str):
    on, _ = _as_of()
    source = _get(Source, slug, selectinload(Source.citations).selectinload(Citation.event))
    record = RECORDS["sources"][0](source, {}, on, _abs)
    record["text"] = source.text
    record["citations"] = [
        {"event": c.event.slug, "role": c.role, "quote": c.quote, "note": c.note,
         "url": _abs("browse.event_detail", slug=c.event.slug)}
        for c in source.citations
    ]
    return jsonify(record)


@bp.app_template_global()
def list_url(collection: str, f: Filters | None = None, fmt: str = "", **overrides) -> str:
    endpoint = f"browse.{collection}" + (f"_{fmt}" if fmt else "")
    qs = f.query_string(**overrides) if f is not None else ""
    return url_for(endpoint) + ("?" + qs if qs else "")


@bp.app_template_global()
def today_iso() -> str:
    return today().isoformat()
