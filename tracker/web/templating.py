"""The filters and globals every template can use: dates and caveats in words, vocabulary
labels, citations strongest first. Registered here, in the web layer, so that ``render``
stays free of Flask."""

from __future__ import annotations

from flask import Flask

from tracker.core import vocab
from tracker.core.dates import date_caveat, date_label, iso_at_precision
from tracker.core.freshness import checked_recently
from tracker.core.places import place_codes_label
from tracker.core.status import today
from tracker.render.formatting import (
    evidence_caveat,
    level_label,
    sentence_case,
    strongest_first,
    vocab_label,
)


def register(app: Flask) -> None:
    app.add_template_filter(date_label, "date_label")
    app.add_template_filter(iso_at_precision, "iso_at_precision")
    app.add_template_filter(vocab_label, "vocab_label")
    app.add_template_filter(sentence_case, "sentence_case")
    app.add_template_filter(level_label, "level_label")
    app.add_template_global(place_codes_label, "place_codes_label")
    app.add_template_global(date_caveat, "date_caveat")
    app.add_template_global(evidence_caveat, "evidence_caveat")
    app.add_template_filter(strongest_first, "strongest_first")
    app.add_template_global(lambda day: checked_recently(day, today()), "checked_recently")
    app.jinja_env.globals["vocab"] = vocab
