"""Showing values to people: dates at their precision, vocabulary labels. Pure functions."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from markupsafe import Markup, escape

from tracker.core import vocab


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


_PRECISION_CAVEAT = {"month": "day not confirmed", "year": "month and day not confirmed"}
_CERTAINTY_CAVEAT = {
    "derived": "worked out from a dated report, not stated in it",
    "partial": "only part of the date is confirmed",
    "unverified": "not confirmed by a source",
}


def date_caveat(precision: str | None, certainty: str | None) -> str | None:
    """How sure a date is, in words a visitor understands ('day not confirmed'), from its
    precision and certainty; None for a verified full date. Pages show this, not editors'
    working notes."""
    parts = []
    if certainty in _CERTAINTY_CAVEAT:
        parts.append(_CERTAINTY_CAVEAT[certainty])
    if precision in _PRECISION_CAVEAT and certainty != "unverified":
        parts.append(_PRECISION_CAVEAT[precision])
    return "; ".join(parts) or None


_ROLE_RANK = {code: i for i, code in enumerate(vocab.CITATION_ROLES.codes)}
_KIND_RANK = {code: i for i, code in enumerate(vocab.SOURCE_STRENGTH)}


def strength_key(citation) -> tuple:
    """How strong a citation's evidence is, strongest first: copies and aggregators last,
    then by role (the official record, the actor's own announcement, news, reactions,
    mentions), then by what the source is (legislation and court records before news, news
    before blogs), then quoted before unquoted."""
    kind = getattr(citation.source, "kind", None)
    return (kind == "mirror", _ROLE_RANK.get(citation.role, len(_ROLE_RANK)),
            _KIND_RANK.get(kind, len(_KIND_RANK)), not citation.quote)


def strongest_first(citations) -> list:
    """An event's citations in the order pages and exports show them (:func:`strength_key`;
    stable, so equal citations keep their order)."""
    return sorted(citations, key=strength_key)




_COPY_KINDS = frozenset({"mirror", "tracker"})


def evidence_caveat(citations) -> str | None:
    """A plain warning when an event's evidence is thin: no source, only copies or
    aggregators, no source that shows its title or publisher and publication date, or a
    single source. Derived from the citations, so it goes away as soon as
    a better source is cited."""
    sources = {c.source.slug: c.source for c in citations}
    if not sources:
        return "No source is recorded for this event yet."
    if all(getattr(s, "kind", None) in _COPY_KINDS for s in sources.values()):
        return ("Only copies or aggregators of other pages document this event; it needs "
                "confirmation from an original source.")
    if not any((s.title or s.publisher) and s.published for s in sources.values()):
        return ("None of the sources cited shows when it was published, so the date rests on "
                "what they report; it needs a dated source.")
    if len(sources) == 1:
        return "A single source documents this event."
    return None


def highlight_quotes(text: str, quotes: list[tuple[str, str, str]]) -> Markup:
    """A source text as HTML with each cited passage marked and linked to its events.

    ``quotes`` are (quote, event URL, event title). Quotes are found ignoring differences in
    white space (as the loader checks them). Several events often cite the same or
    overlapping passages (one sentence naming five city bans): overlapping passages merge
    into one highlight followed by a numbered link to each event.
    """
    spans: list[tuple[int, int, str, str]] = []
    for quote, url, title in quotes:
        words = quote.split()
        if not words:
            continue
        match = re.search(r"\s+".join(re.escape(w) for w in words), text)
        if match:
            spans.append((match.start(), match.end(), url, title))
    spans.sort()
    regions: list[list] = []  # [start, end, [(url, title), ...]]
    for start, end, url, title in spans:
        if regions and start < regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], end)
            if (url, title) not in regions[-1][2]:
                regions[-1][2].append((url, title))
        else:
            regions.append([start, end, [(url, title)]])
    out: list[str] = []
    pos = 0
    for start, end, links in regions:
        out.append(str(escape(text[pos:start])))
        out.append(f'<mark class="quote">{escape(text[start:end])}</mark>')
        out.append('<sup class="cites">' + "".join(
            f'<a href="{escape(url)}" title="{escape(title)}">[{i}]</a>'
            for i, (url, title) in enumerate(links, start=1)
        ) + "</sup>")
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def vocab_label(code: str | None, vocabulary: str) -> str:
    return getattr(vocab, vocabulary).label(code)


def register(app: Flask) -> None:
    app.add_template_filter(date_label, "date_label")
    app.add_template_filter(iso_at_precision, "iso_at_precision")
    app.add_template_filter(vocab_label, "vocab_label")
    app.add_template_global(date_caveat, "date_caveat")
    app.add_template_global(evidence_caveat, "evidence_caveat")
    app.add_template_filter(strongest_first, "strongest_first")
    app.jinja_env.globals["vocab"] = vocab
