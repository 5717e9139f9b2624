"""The plain-words caveats shown beside an event's evidence (pure functions)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from tracker.render.formatting import evidence_caveat


def _citation(slug, kind="news_article", title="A headline", publisher=None, published=dt.date(2020, 1, 1)):
    source = SimpleNamespace(slug=slug, kind=kind, title=title, publisher=publisher, published=published)
    return SimpleNamespace(source=source)


def test_no_source_only_copies_undated_and_single_sources_each_get_their_warning():
    assert evidence_caveat([]) == "No source is recorded for this event yet."
    assert "Only copies" in evidence_caveat([_citation("a", kind="mirror"), _citation("b", kind="mirror")])
    undated = [_citation("a", published=None), _citation("b", title=None, publisher=None)]
    assert "None of the sources cited shows when it was published" in evidence_caveat(undated)
    assert evidence_caveat([_citation("a")]) == "A single source documents this event."


def test_two_sources_one_of_them_dated_and_named_need_no_warning():
    assert (
        evidence_caveat([_citation("a", published=None), _citation("b", title=None, publisher="The Times")])
        is None
    )


def test_sentence_case_capitalises_the_first_letter_only():
    from tracker.render.formatting import sentence_case

    assert sentence_case("measures in effect on 1 January 2021 in Massachusetts") == (
        "Measures in effect on 1 January 2021 in Massachusetts"
    )
    assert sentence_case("") == ""
