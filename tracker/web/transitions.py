"""/changes-in (what changed when, + .json and .csv) and its /year/<yyyy> alias.

Thin: :mod:`tracker.read.transitions` parses the query string and reads the changes from
the stored status periods; the three formats only render that one answer, so the page, its
JSON and its CSV cannot disagree. Like every page computed from the data, the answers are
tagged and shared by data version, UTC date and URL (:mod:`tracker.web.caching`): the page
without ``from``/``to`` is the current year's, so it changes with the date too.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from tracker.core import vocab
from tracker.core.dates import EARLIEST, LATEST
from tracker.extensions import db
from tracker.read import transitions
from tracker.read.parameters import BadParameter
from tracker.render.exports import (
    CHANGE_CSV_COLUMNS,
    change_csv_row,
    change_record,
    changes_record,
    csv_chunks,
)

bp = Blueprint("transitions", __name__)
MIN_YEAR, MAX_YEAR = EARLIEST.year, LATEST.year


def _url(endpoint: str, pairs: list[tuple[str, str]], external: bool = False) -> str:
    base = url_for(endpoint, _external=external)
    return f"{base}?{urlencode(pairs)}" if pairs else base


def _links(q: transitions.Query, external: bool = False) -> dict:
    pairs = q.pairs()
    return {
        "self": _url("transitions.changes_in_json", pairs, external),
        "html": _url("transitions.changes_in", pairs, external),
        "csv": _url("transitions.changes_in_csv", pairs, external),
        "csv_excel": _url("transitions.changes_in_csv", [*pairs, ("bom", "1")], external),
    }


def _abs(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


@bp.get("/changes-in")
def changes_in():
    """The page, with a form to change the period and filters; empty form fields are no filter."""
    q = transitions.parse(request.args, db.session, form=True)
    found = transitions.changes(db.session, q)
    year = q.whole_year
    years = {}
    if year is not None:
        # Whole years step to the previous and next one, keeping the filters.
        for name, y in (("previous", year - 1), ("next", year + 1)):
            if MIN_YEAR <= y <= MAX_YEAR:
                pairs = [p for p in q.pairs() if p[0] not in ("from", "to")]
                years[name] = (y, _url("transitions.changes_in", [("from", str(y)), ("to", str(y)), *pairs]))
    return render_template(
        "changes_in.html",
        q=q,
        changes=found,
        links=_links(q),
        years=years,
        levels=transitions.LEVELS,
        measure_types=vocab.MEASURE_TYPES,
    )


@bp.get("/changes-in.json")
def changes_in_json():
    q = transitions.parse(request.args, db.session)
    found = transitions.changes(db.session, q)
    return jsonify(changes_record(found, _abs, _links(q, external=True)))


@bp.get("/changes-in.csv")
def changes_in_csv():
    """One row per change, in the page's order (grouped by what happened, then by day);
    formula-like text neutralised, ``bom=1`` for Excel."""
    q = transitions.parse(request.args, db.session, csv=True)
    found = transitions.changes(db.session, q)
    rows = [change_csv_row(change_record(c, _abs)) for g in found.groups for c in g.items]
    body = "".join(csv_chunks([rows], CHANGE_CSV_COLUMNS, bom=request.args.get("bom") == "1", safe=True))
    filename = transitions.file_name(q) + ".csv"
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.get("/year/<year>")
def year(year: str):
    """``/year/2021`` is ``/changes-in?from=2021&to=2021`` (other parameters are passed on):
    a short address for "what changed in 2021". A year outside the record's range or not
    written in four digits is a 404."""
    if not re.fullmatch(r"[0-9]{4}", year) or not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise NotFound(f"no year {year!r}: give four digits between {MIN_YEAR} and {MAX_YEAR}")
    for name in ("from", "to"):
        if name in request.args:
            raise BadParameter(name, f"/year/{year} sets from and to; use /changes-in to give {name}")
    pairs = [("from", year), ("to", year), *request.args.items(multi=True)]
    return redirect(_url("transitions.changes_in", pairs), code=302)
