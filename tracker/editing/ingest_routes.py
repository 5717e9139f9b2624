"""Statement ingestion (editors): a pasted or uploaded statement becomes a source and the
citations an editor picks from the suggestions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from sqlalchemy.exc import IntegrityError

from tracker import ingest
from tracker.accounts.users import editor_required
from tracker.core import vocab
from tracker.core.status import today
from tracker.datafiles.load import quote_in_text
from tracker.db.models import Citation, Source
from tracker.editing import apply as editing
from tracker.editing.forms import IngestForm, IngestSourceForm
from tracker.editing.revisions import Recorder
from tracker.editing.routes import (
    _integrity_message,
    _user,
    bp,
)
from tracker.extensions import db

# --- statements → source + citations -----------------------------------------------------------


@bp.route("/sources/ingest", methods=["GET", "POST"])
@editor_required
def ingest_statement():
    """Two steps on one URL: (1) text or file + URL → proposed source and citations;
    (2) the editor's ticks → one source, its citations, one revision."""

    step = request.form.get("step", "propose")
    if request.method == "POST" and step == "save":
        form = IngestSourceForm()
        suggestions = _posted_suggestions()
        if form.validate_on_submit():
            text = form.text.data.replace("\r\n", "\n")
            errors = [
                f"{s['event']}: the quote does not occur in the text"
                for s in suggestions
                if s["picked"] and s["quote"] and not quote_in_text(s["quote"], text)
            ]
            errors += [
                f"{s['event']}: unknown role {s['role']!r}"
                for s in suggestions
                if s["picked"] and s["role"] not in vocab_roles()
            ]
            if not errors:
                return _save_ingested(form, text, [s for s in suggestions if s["picked"]])
            for error in errors:
                flash(error, "error")
        return render_template(
            "editor/ingest_review.html", form=form, suggestions=suggestions, roles=vocab_roles()
        ), 400
    form = IngestForm()
    if form.validate_on_submit():
        raw = ""
        html = False
        if form.upload.data:
            data = form.upload.data.read(ingest.STATEMENT_MAX_UPLOAD_BYTES + 1)
            if len(data) > ingest.STATEMENT_MAX_UPLOAD_BYTES:
                form.upload.errors.append(
                    f"The file is larger than {ingest.STATEMENT_MAX_UPLOAD_BYTES // 2**20} MB."
                )
                return render_template("editor/ingest.html", form=form), 413
            raw = data.decode("utf-8", errors="replace")
            html = form.upload.data.filename.lower().endswith((".html", ".htm"))
        elif form.text.data and form.text.data.strip():
            raw = form.text.data
        if not raw.strip():
            form.text.errors.append("Paste the statement's text or upload a file.")
        else:
            statement = ingest.read_statement(raw, html=html, publishers=ingest.load_publishers(db.session))
            if len(statement.text) > ingest.STATEMENT_MAX_CHARS:
                field = form.upload if form.upload.data else form.text
                field.errors.append(
                    f"The statement has {len(statement.text):,} characters; the most it can read "
                    f"is {ingest.STATEMENT_MAX_CHARS:,}. Keep the part that speaks of the events."
                )
                return render_template("editor/ingest.html", form=form), 413
            if form.url.data:
                statement.meta["url"] = form.url.data
            found = ingest.suggest(statement, ingest.load_candidates(db.session), limit=30, min_score=0.3)
            meta = statement.meta
            # formdata=None: the review form shows what the statement says, not the fields
            # of the request that carried it (which holds the raw text, header included, or
            # nothing at all when the statement was uploaded).
            review = IngestSourceForm(
                formdata=None,
                data={
                    "text": statement.text,
                    "title": meta.get("title"),
                    "publisher": meta.get("publisher"),
                    "kind": meta.get("kind") if meta.get("kind") in vocab_source_kinds() else "statement",
                    "url": meta.get("url"),
                    "published": statement.published,
                },
            )
            suggestions = [
                {
                    "event": s.event,
                    "title": s.title,
                    "date": s.date,
                    "role": s.role,
                    "score": s.score,
                    "quote": s.quote,
                    "reasons": s.reasons,
                    "picked": s.score >= ingest.DEFAULT_MIN_SCORE,
                }
                for s in found
            ]
            return render_template(
                "editor/ingest_review.html", form=review, suggestions=suggestions, roles=vocab_roles()
            )
    return render_template("editor/ingest.html", form=form)


def vocab_roles() -> list[str]:
    return vocab.CITATION_ROLES.codes


def vocab_source_kinds() -> list[str]:

    return vocab.SOURCE_KINDS.codes


def _posted_suggestions() -> list[dict]:
    """The review table's rows as posted: s-<n>-event, -role, -quote, and the tick."""
    rows = []
    picked = set(request.form.getlist("pick"))
    n = 0
    while f"s-{n}-event" in request.form and n < 200:
        rows.append(
            {
                "event": request.form[f"s-{n}-event"],
                "role": request.form.get(f"s-{n}-role", ""),
                "quote": request.form.get(f"s-{n}-quote", "").strip(),
                "title": request.form.get(f"s-{n}-title", ""),
                "date": request.form.get(f"s-{n}-date", ""),
                "score": request.form.get(f"s-{n}-score", ""),
                "picked": str(n) in picked,
                "reasons": [],
            }
        )
        n += 1
    return rows


def _save_ingested(form, text: str, picked: list[dict]):

    values = {
        "title": (form.title.data or "").strip() or None,
        "publisher": (form.publisher.data or "").strip() or None,
        "kind": form.kind.data,
        "url": (form.url.data or "").strip() or None,
        "published": form.published.data[0] if form.published.data else None,
        "published_precision": form.published.data[1] if form.published.data else None,
        "accessed": today(),
        "text": text,
    }
    source = Source()
    source.slug = editing.unique_slug(db.session, Source, editing.slug_base("sources", values))
    editing.apply_values(db.session, "sources", source, values)
    db.session.add(source)
    recorder = Recorder(
        db.session, _user(), "create", f"Ingested statement {source.slug} with {len(picked)} citation(s)"
    )
    try:
        recorder.created(source)
        for row in picked:
            citation = Citation()
            editing.apply_values(
                db.session,
                "citations",
                citation,
                {
                    "event": row["event"],
                    "source": source.slug,
                    "role": row["role"],
                    "quote": row["quote"] or None,
                    "note": None,
                },
            )
            db.session.add(citation)
            recorder.created(citation)
        db.session.commit()
    except editing.EditError as exc:
        db.session.rollback()
        abort(400, f"Cannot save: {exc}.")
    except IntegrityError as exc:
        db.session.rollback()
        abort(409, _integrity_message(exc))
    flash(f"Saved source {source.slug} with {len(picked)} citation(s).", "info")
    return redirect(editing.record_url("sources", source))
