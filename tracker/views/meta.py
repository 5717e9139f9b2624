"""The methodology page, the OpenAPI description and the citable data package."""

from __future__ import annotations

import tempfile

from flask import Blueprint, jsonify, render_template, send_file, url_for

from .. import vocab
from ..datafiles import FILES
from ..exports import FORMULA_PREFIXES, write_data_package
from ..extensions import db
from ..openapi import build_spec
from ..status import today

bp = Blueprint("meta", __name__)


@bp.get("/methodology")
def methodology():
    return render_template(
        "methodology.html", vocabularies=vocab.ALL, kind_effect=vocab.KIND_EFFECT,
        files=FILES, formula_prefixes=[repr(p) for p in FORMULA_PREFIXES],
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_spec(url_for("public.home", _external=True).rstrip("/")))


@bp.get("/data-package.zip")
def data_package():
    """Spooled to a temporary file (on disk past 8 MB), then streamed."""
    # Not a context manager: send_file streams it and closes it when the response ends.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    version = write_data_package(db.session, spool, url_for("public.home", _external=True),
                                 today().isoformat())
    spool.seek(0)
    response = send_file(spool, mimetype="application/zip", as_attachment=True,
                         download_name=f"surveillance-policy-tracker-{version}.zip")
    response.headers["X-Data-Version"] = version
    return response
