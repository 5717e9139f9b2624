"""The methodology page, the OpenAPI description and the citable data package."""

from __future__ import annotations

import tempfile

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from sqlalchemy import select

from tracker.core import vocab
from tracker.core.status import today
from tracker.datafiles.spec import FILES
from tracker.db.models import Actor, Technology
from tracker.extensions import db
from tracker.read.lifecycles import dataset_fingerprint
from tracker.read.parameters import reject_unknown
from tracker.render.exports import FORMULA_PREFIXES, write_data_package
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
    """Built into a spooled temporary file (on disk past 8 MB), then streamed from it. It
    takes no parameters: any is a 400 (a client that sends one expects it to mean something)."""
    reject_unknown(request.args, frozenset())
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed below
    try:
        version = write_data_package(
            db.session,
            spool,
            url_for("public.home", _external=True),
            today().isoformat(),
            dataset_fingerprint(db.session)[1],
        )
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def stream():
        try:
            while chunk := spool.read(64 * 1024):
                yield chunk
        finally:
            spool.close()

    filename = f"surveillance-policy-tracker-{version}.zip"
    return Response(
        stream(),
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Data-Version": version,
        },
    )
