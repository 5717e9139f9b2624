"""The methodology page, the OpenAPI description and the citable data package."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request, stream_with_context, url_for
from sqlalchemy import select

from tracker.core import vocab
from tracker.core.status import today
from tracker.datafiles.spec import FILES
from tracker.db.models import Actor, Technology
from tracker.extensions import db
from tracker.read.lifecycles import dataset_fingerprint
from tracker.read.parameters import reject_unknown
from tracker.render.exports import FORMULA_PREFIXES, data_package_chunks
from tracker.render.openapi import build_spec

bp = Blueprint("meta", __name__)


@bp.get("/methodology")
def methodology():
    return render_template(
        "methodology.html",
        vocabularies=vocab.ALL,
        kind_effect=vocab.KIND_EFFECT,
        files=FILES,
        formula_prefixes=[repr(p) for p in FORMULA_PREFIXES],
    )


@bp.get("/openapi.json")
def openapi():
    """Generated per request: the technology and actor parameters list the slugs that exist."""
    slugs = {
        "technology": list(db.session.scalars(select(Technology.slug).order_by(Technology.slug))),
        "actor": list(db.session.scalars(select(Actor.slug).order_by(Actor.slug))),
        # the map's panel parameter: places only
        "place": list(
            db.session.scalars(
                select(Actor.slug).where(Actor.kind.in_(vocab.PLACE_KINDS)).order_by(Actor.slug)
            )
        ),
    }
    return jsonify(build_spec(url_for("public.home", _external=True).rstrip("/"), slugs))


@bp.get("/data-package.zip")
def data_package():
    """Streamed as it is written (the first bytes leave at once; a 100,000-event package
    took over 20 s to build whole). It takes no parameters: any is a 400 (a client that
    sends one expects it to mean something).

    The content's own version (a hash) is known only at the end, inside datapackage.json
    and CITATION.txt; the file name and ``X-Data-Version`` carry the database's data version,
    known before the first byte, which changes with every edit as the ETag does."""
    reject_unknown(request.args, frozenset())
    data_version, last_change = dataset_fingerprint(db.session)
    chunks = data_package_chunks(
        db.session, url_for("public.home", _external=True), today().isoformat(), last_change
    )
    filename = f"surveillance-policy-tracker-data-{data_version}.zip"
    return Response(
        stream_with_context(chunks),
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Data-Version": data_version,
        },
    )
