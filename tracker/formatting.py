"""Showing values to people: dates at their precision, vocabulary labels. Pure functions."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from . import vocab


def date_label(value: dt.date | None, precision: str | None = "day") -> str:
    """'14 May 2019', 'July 2015' or '2025': a partial date never shows a made-up day."""
    if value is None:
        return ""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return value.strftime("%B %Y")
    return f"{value.day} {value.strftime('%B %Y')}"


def iso_at_precision(value: dt.date | None, precision: str | None = "day") -> str:
    """'2019-05-14', '2015-07' or '2025'."""
    if value is None:
        return ""
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def vocab_label(code: str | None, vocabulary: str) -> str:
    return getattr(vocab, vocabulary).label(code)


def register(app: Flask) -> None:
    app.add_template_filter(date_label, "date_label")
    app.add_template_filter(iso_at_precision, "iso_at_precision")
    app.add_template_filter(vocab_label, "vocab_label")
    app.jinja_env.globals["vocab"] = vocab
