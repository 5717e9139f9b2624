"""Public lists and detail pages: HTML, JSON and CSV from one data function.

Each list view parses the query string into a Filters object, asks the query layer for the
rows once, and only the last step differs by format (Datasette's rule: every view exports
exactly what is on screen, with the same query string).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from tracker.core.status import today
from tracker.extensions import db
from tracker.read import details, queries
from tracker.read.choices import form_choices
from tracker.read.collections import EVENTS, LISTED, Collection
from tracker.read.filters import (
    CSV_PARAMS,
    FORM_TEXT_FIELDS,
    Filters,
    caption_slug,
    parse_as_of,
    parse_filters,
)
from tracker.read.parameters import BadParameter, reject_unknown
from tracker.render.exports import (
    FORMATS,
    actor_detail_record,
    csv_chunks,
    measure_detail_record,
    milestone_fields,
    source_detail_record,
)
from tracker.render.formatting import highlight_quotes

bp = Blueprint("browse", __name__)


def filters_for(collection: Collection, **options) -> Filters:
    """The request's filters; ``options`` are parse_filters' per-format ones (``bom`` on
    CSV, the HTML form's empty fields)."""
    return parse_filters(
        request.args, collection, db.session, per_page_max=current_app.config["PER_PAGE_MAX"], **options
    )


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
    base = _abs(f"{f.collection.list_endpoint}_json")
    return {
        "self": f.url(base),
        "next": f.url(base, page=f.page + 1) if p and p.has_next else None,
        "prev": f.url(base, page=f.page - 1) if p and p.has_prev else None,
        "csv": f.url(_abs(f"{f.collection.list_endpoint}_csv"), paging=False),
    }


def records(items: list, extra: dict, f: Filters) -> list[dict]:
    make = FORMATS[f.collection.name].record
    statuses = extra.get("statuses", {})
    out = [make(item, statuses, f.as_of, _abs) for item in items]
    found = extra.get("milestones")
    if found is not None:
        for record, item in zip(out, items, strict=True):
            record.update(milestone_fields(found.get(item.id)))
    snippets = extra.get("snippets")
    if snippets is not None:
        for record, item in zip(out, items, strict=True):
            record["match"] = snippets[item.id].text if item.id in snippets else None
    return out


def list_json(collection: Collection):
    f = filters_for(collection)
    p = queries.page(db.session, f)
    return jsonify(
        {
            "items": records(p.items, p.extra, f),
            "total": p.total,
            "page": p.page,
            "per_page": p.per_page,
            "links": list_links(f, p),
            "filters": f.as_dict(),
            "caption": f.caption(),
        }
    )


def list_csv(collection: Collection):
    """Every matching row (page/per_page ignored), streamed in chunks, formula-safe."""
    f = filters_for(collection, extra_params=CSV_PARAMS)
    fmt = FORMATS[collection.name]
    bom = request.args.get("bom") == "1"

    def rows():
        if fmt.csv_rows is not None:  # a large list's rows straight from SQL (the events)
            yield from fmt.csv_rows(db.session, f, _abs)
            return
        for items, extra in queries.chunks(db.session, f):
            yield [fmt.csv_row(record) for record in records(items, extra, f)]

    # Rows from csv_rows arrive formula-safe (it neutralises their free text only); records'
    # rows are checked cell by cell.
    safe = fmt.csv_rows is None
    generate = stream_with_context(csv_chunks(rows(), fmt.csv_columns, bom=bom, safe=safe))
    filename = caption_slug(f) + ".csv"
    return Response(
        generate,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def list_html(collection: Collection):
    """The page with the filter form: a field the user left empty is no filter. The form
    offers every technology, actor and region (``choices``), the facets what the rows hold."""
    f = filters_for(collection, blank_as_absent=FORM_TEXT_FIELDS)
    facets, total = queries.facets_and_total(db.session, f)
    p = queries.page(db.session, f, total=total)
    return render_template(
        f"browse/{collection}.html",
        f=f,
        page=p,
        facets=facets,
        choices=form_choices(db.session),
        collection=collection.name,
        sorts=collection.listing.sorts if collection.listing else (),
        links=list_links(f, p),
        singular=collection.singular,
    )


def _register_list(collection: Collection) -> None:
    bp.add_url_rule(f"/{collection}", collection.name, lambda: list_html(collection))
    bp.add_url_rule(f"/{collection}.json", f"{collection}_json", lambda: list_json(collection))
    bp.add_url_rule(f"/{collection}.csv", f"{collection}_csv", lambda: list_csv(collection))


for _collection in LISTED.values():
    _register_list(_collection)


# --- detail pages ------------------------------------------------------------------------
# Each page and its .json twin take the same data from read.details; they differ only in
# how they show it.


@bp.get("/events/<slug>")
def event_detail(slug: str):
    on, _ = parse_as_of(request.args)
    d = details.event_detail(db.session, slug, on)
    return render_template(
        "browse/event_detail.html", event=d.event, history=d.history, siblings=d.siblings, on=on
    )


@bp.get("/events/<slug>.json")
def event_detail_json(slug: str):
    on, _ = parse_as_of(request.args)
    d = details.event_detail(db.session, slug, on)
    return jsonify(FORMATS[EVENTS.name].record(d.event, d.statuses, on, _abs))


@bp.get("/measures/<slug>")
def measure_detail(slug: str):
    on, _ = parse_as_of(request.args)
    d = details.measure_detail(db.session, slug, on)
    return render_template(
        "browse/measure_detail.html", measure=d.measure, history=d.history, replaced_by=d.replaced_by, on=on
    )


@bp.get("/measures/<slug>.json")
def measure_detail_json(slug: str):
    on, _ = parse_as_of(request.args)
    d = details.measure_detail(db.session, slug, on)
    return jsonify(measure_detail_record(d, _abs))


@bp.get("/actors/<slug>")
def actor_detail(slug: str):
    """A place's page also says what applies there on ``as_of`` (its own measures and those
    of every place above it); its date field may be left empty (today)."""
    on, given = parse_as_of(request.args, blank_as_absent=True)
    d = details.actor_detail(db.session, slug, on)
    return render_template(
        "browse/actor_detail.html",
        actor=d.actor,
        on=on,
        as_of_given=given,
        own=d.own,
        below=d.below,
        statuses=d.statuses,
        events=d.events,
        published=d.published,
        levels=d.levels,
        applies=d.applies,
    )


@bp.get("/what-applies")
def what_applies():
    """The home page's "What applies in a place?" form, which works without JavaScript: a
    GET naming a place (the chooser sends its slug; a name or alias typed by hand works too)
    and optionally a date, answered with a redirect to the place's page, which says what
    applies there. A place nobody recorded is a 404 naming ``place``; an ambiguous name a
    400 listing the places it fits; without ``place`` at all, the form itself. Without a
    date the page is today's, so the redirect carries no date either."""
    reject_unknown(request.args, {"place", "as_of"})
    texts = [v.strip() for v in request.args.getlist("place")]
    if not texts:  # no question asked: the form that asks it
        return redirect(url_for("public.home", _anchor="h-what-applies"), code=302)
    if len(texts) > 1:
        raise BadParameter("place", f"give place once, not {len(texts)} times")
    if not texts[0]:
        raise BadParameter("place", "choose a place (its name or slug)")
    dated = request.args.copy()
    dated.poplist("place")
    on, given = parse_as_of(dated, blank_as_absent=True)
    place = details.find_place(db.session, texts[0])
    target = url_for("browse.actor_detail", slug=place.slug, as_of=on.isoformat() if given else None)
    return redirect(target + "#h-applies", code=302)


@bp.get("/actors/<slug>.json")
def actor_detail_json(slug: str):
    on, _ = parse_as_of(request.args)
    return jsonify(actor_detail_record(details.actor_detail(db.session, slug, on), _abs))


@bp.get("/sources/<slug>")
def source_detail(slug: str):
    on, _ = parse_as_of(request.args)
    source = details.source_detail(db.session, slug, on).source
    marked = None
    if source.text is not None:
        quotes = [
            (c.quote, url_for("browse.event_detail", slug=c.event.slug), c.event.title)
            for c in source.citations
            if c.quote
        ]
        marked = highlight_quotes(source.text, quotes)
    return render_template("browse/source_detail.html", source=source, marked=marked)


@bp.get("/sources/<slug>.json")
def source_detail_json(slug: str):
    on, _ = parse_as_of(request.args)
    return jsonify(source_detail_record(details.source_detail(db.session, slug, on), _abs))


@bp.app_template_global()
def list_url(
    collection: str,
    f: Filters | None = None,
    fmt: str = "",
    *,
    paging: bool = True,
    extra: dict[str, str] | None = None,
    **overrides,
) -> str:
    """A list's address (``fmt``: "", "json" or "csv") with the filter ``f`` (see Filters.url)."""
    base = url_for(LISTED[collection].list_endpoint + (f"_{fmt}" if fmt else ""))
    return f.url(base, paging=paging, extra=extra, **overrides) if f is not None else base


@bp.app_template_global()
def today_iso() -> str:
    return today().isoformat()
