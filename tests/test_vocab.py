"""Every vocabulary term has what the policy for adding terms requires
(docs/architecture.md, "Vocabularies"), so a new term cannot be half-added."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tracker import ingest
from tracker.core import vocab
from tracker.render import figures as charts


def test_every_term_has_a_label_and_a_definition():
    for vocabulary in vocab.ALL:
        for term in vocabulary:
            assert term.label and term.definition.endswith("."), (vocabulary.name, term.code)


def test_status_effects_name_real_event_kinds_and_statuses():
    assert set(vocab.KIND_EFFECT) <= set(vocab.EVENT_KINDS.codes)
    assert {e for e in vocab.KIND_EFFECT.values() if e} <= set(vocab.STATUSES.codes)


STATIC = Path(charts.__file__).resolve().parent.parent / "static"


def test_every_status_has_a_colour_on_the_charts():
    assert set(vocab.STATUSES.codes) <= set(charts.STATUS_COLOURS)


def test_every_measure_type_has_a_colour_on_the_charts():
    assert set(vocab.MEASURE_TYPES.codes) <= set(charts.TYPE_COLOURS)
    assert len(set(charts.TYPE_COLOURS.values())) == len(charts.TYPE_COLOURS)


def test_every_status_has_its_style_on_the_pages():
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    styled = set(re.findall(r"\.status-([a-z_]+)", css))
    assert set(vocab.STATUSES.codes) <= styled


def test_the_map_script_repeats_the_vocabulary_it_depends_on():
    js = (STATIC / "js" / "map.js").read_text(encoding="utf-8")
    strength = re.search(r"var STRENGTH = (\[[^\]]*\]);", js)
    assert strength and json.loads(strength.group(1)) == list(vocab.MAP_STRENGTH)


def test_every_event_kind_and_measure_type_has_ingest_words():
    assert set(vocab.EVENT_KINDS.codes) - {"adopted"} <= set(ingest.EVENT_KIND_WORDS)
    assert set(vocab.MEASURE_TYPES.codes) <= set(ingest.MEASURE_TYPE_WORDS)
    assert set(ingest.KIND_PRIOR) <= set(vocab.EVENT_KINDS.codes)
    families = set(ingest.KIND_WORDS)
    for words in (*ingest.EVENT_KIND_WORDS.values(), *ingest.MEASURE_TYPE_WORDS.values()):
        assert {family for family, _ in words} <= families


def test_source_strength_orders_every_source_kind():
    assert sorted(vocab.SOURCE_STRENGTH) == sorted(vocab.SOURCE_KINDS.codes)


def test_every_event_kind_is_in_exactly_one_family():
    listed = [kind for kinds in vocab.EVENT_KIND_FAMILIES.values() for kind in kinds]
    assert sorted(listed) == sorted(vocab.EVENT_KINDS.codes)  # each once, none missing
    assert list(vocab.EVENT_KIND_FAMILIES) == vocab.EVENT_FAMILIES.codes
    for family in vocab.EVENT_FAMILIES.codes:
        assert vocab.EVENT_KIND_FAMILIES[family], family
    assert vocab.event_family("repealed") == "ended"
    assert vocab.event_family("first_reading") == "proposed"


def test_every_event_family_has_its_own_colour_blind_safe_colour():
    assert set(charts.FAMILY_COLOURS) == set(vocab.EVENT_FAMILIES.codes)
    colours = [c.upper() for c in charts.FAMILY_COLOURS.values()]
    assert len(set(colours)) == len(colours)
    assert set(colours) <= set(charts.OKABE_ITO)
