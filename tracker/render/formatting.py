"""Showing values to people: dates at their precision, vocabulary labels. Pure functions."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from tracker.core import vocab


def strength_key(citation) -> tuple:
    """How strong a citation's evidence is, strongest first: copies and aggregators last,
    then by role (the official record, the actor's own announcement, news, reactions,
    mentions), then by what the source is (legislation and court records before news, news
    before blogs), then quoted before unquoted."""
    return strength(getattr(citation.source, "kind", None), citation.role, citation.quote)


# :func:`strength_key` from a citation's parts (the CSV export has plain rows); defined in
# core.vocab, since the read layer ranks evidence with it too.
strength = vocab.evidence_strength


def strongest_first(citations) -> list:
    """An event's citations in the order pages and exports show them (:func:`strength_key`;
    stable, so equal citations keep their order)."""
    return sorted(citations, key=strength_key)


_COPY_KINDS = frozenset({"mirror", "tracker"})


def evidence_caveat(citations, needs_confirmation: bool = False) -> str | None:
    """A plain warning when an event's evidence is thin: no source, only copies or
    aggregators, no source that shows its title or publisher and publication date, or a
    single source. Derived from the citations, so it goes away as soon as a better source
    is cited; ``needs_confirmation`` (the curators' flag, ``Event.needs_confirmation``) adds
    that it needs confirmation even where the citations look sufficient (several secondary
    pages that all repeat one report)."""
    caveat = _citations_caveat(citations)
    if not needs_confirmation or (caveat and "confirmation" in caveat):
        return caveat
    if caveat is None:
        return (
            "It rests on secondary reports or aggregator pages only; it needs confirmation "
            "from an original source before it is relied on."
        )
    return f"{caveat} It needs confirmation before it is relied on."


def _citations_caveat(citations) -> str | None:
    sources = {c.source.slug: c.source for c in citations}
    if not sources:
        return "No source is recorded for this event yet."
    if all(getattr(s, "kind", None) in _COPY_KINDS for s in sources.values()):
        return (
            "Only copies or aggregators of other pages document this event; it needs "
            "confirmation from an original source."
        )
    if not any((s.title or s.publisher) and s.published for s in sources.values()):
        return (
            "None of the sources cited shows when it was published, so the date rests on "
            "what they report; it needs a dated source."
        )
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
        out.append(
            '<sup class="cites">'
            + "".join(
                f'<a href="{escape(url)}" title="{escape(title)}">[{i}]</a>'
                for i, (url, title) in enumerate(links, start=1)
            )
            + "</sup>"
        )
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def level_label(kind: str | None, country: str | None) -> str:
    """The level a place's measures come from, in words, for "what applies here": "city
    level", "state level" (a US state; "regional level" elsewhere), "national level", "EU
    level" (the European Union is recorded as a country with the code EU)."""
    if kind == "country":
        return "EU level" if country == "EU" else "national level"
    if kind == "region":
        return "state level" if country == "US" else "regional level"
    return f"{kind} level" if kind else "level unknown"


def sentence_case(text: str) -> str:
    """The first letter upper case and nothing else changed: a caption used as a title keeps
    "1 January 2021" and "Massachusetts" (Jinja's ``capitalize`` lower-cases the rest)."""
    return text[:1].upper() + text[1:]


def vocab_label(code: str | None, vocabulary: str) -> str:
    return getattr(vocab, vocabulary).label(code)
