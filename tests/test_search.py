"""Search matches are data (text and spans); each format renders them itself."""

from __future__ import annotations

from markupsafe import Markup

from tracker.db.search import MARK_END, MARK_START, Match


def test_a_marked_snippet_becomes_text_and_spans():
    match = Match.from_marked(f"the {MARK_START}ban{MARK_END} on <face> {MARK_START}rec{MARK_END}")
    assert match.text == "the ban on <face> rec"
    assert [match.text[a:b] for a, b in match.spans] == ["ban", "rec"]
    assert str(match) == match.text


def test_html_escapes_the_text_and_marks_only_the_matches():
    match = Match.from_marked(f"AT&T's {MARK_START}<ban>{MARK_END}")
    assert Markup("{}").format(match) == "AT&amp;T&#39;s <mark>&lt;ban&gt;</mark>"
