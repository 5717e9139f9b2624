"""The one display name of a place (tracker.core.places.place_display_name): pure."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tracker.core.places import place_codes_label, place_display_name, region_name
from tracker.read.choices import actor_field_texts


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("Portland", "city", "US", "US-ME"), "Portland, Maine"),
        (("Portland", "city", "US", "US-OR"), "Portland, Oregon"),
        (("Springfield", "city", "US", "US-MA"), "Springfield, Massachusetts"),
        (("King County", "county", "US", "US-WA"), "King County, Washington"),
        # A region without a name we know: the country instead, never the bare code.
        (("London", "city", "GB", "GB-ENG"), "London, United Kingdom"),
        (("Somewhere", "city", "US", None), "Somewhere, United States"),
        # Nothing to qualify with: the name alone, not "Atlantis, XX".
        (("Atlantis", "city", "XX", "XX-YY"), "Atlantis"),
        (("Atlantis", "city", None, None), "Atlantis"),
        # Already qualified in the record.
        (("Washington, Washington", "city", "US", "US-WA"), "Washington, Washington"),
        # States, countries and bodies are printed as recorded.
        (("Massachusetts", "region", "US", "US-MA"), "Massachusetts"),
        (("Germany", "country", "DE", None), "Germany"),
        (("Portland City Council (Maine)", "legislature", "US", "US-ME"), "Portland City Council (Maine)"),
        (("Amazon", "company", "US", None), "Amazon"),
    ],
)
def test_place_display_name(args, expected):
    assert place_display_name(*args) == expected


def test_the_same_name_in_two_states_prints_two_different_names():
    maine = place_display_name("Portland", "city", "US", "US-ME")
    oregon = place_display_name("Portland", "city", "US", "US-OR")
    assert maine != oregon


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("US-MA", "Massachusetts"),
        ("US-DC", "District of Columbia"),
        ("GB-ENG", "England"),
        ("DE-HH", "Hamburg"),
        ("FR-IDF", "Île-de-France"),
        # ISO 3166-2 does not list it: the code, never a guess.
        ("XX-YY", "XX-YY"),
    ],
)
def test_region_name_names_every_iso_3166_2_region(code, expected):
    assert region_name(code) == expected


def test_place_codes_label_says_country_and_region_in_words():
    assert place_codes_label("US", "US-MA") == "United States · Massachusetts"
    assert place_codes_label("DE", "DE-HH") == "Germany · Hamburg"
    assert place_codes_label("EU", None) == "European Union"
    assert place_codes_label(None, None) == ""


def _actor(slug, name, kind="city", country="US", region=None, aliases=None):
    return SimpleNamespace(slug=slug, name=name, kind=kind, country=country, region=region, aliases=aliases)


def test_the_place_field_offers_a_name_unless_another_actor_answers_to_it():
    texts = actor_field_texts(
        [
            _actor("portland-maine", "Portland", region="US-ME"),
            _actor("portland-oregon", "Portland", region="US-OR"),
            _actor("boston", "Boston", region="US-MA"),
            # "Met Police" is this agency's alias and another actor's name.
            _actor("met", "Metropolitan Police Service", "agency", "GB", aliases="Met Police"),
            _actor("met-police", "Met Police", "company", "GB"),
            # A name that is another actor's slug.
            _actor("axon", "Axon", "company"),
            _actor("other", "axon", "company"),
        ]
    )
    assert texts["portland-maine"] == "Portland, Maine" and texts["portland-oregon"] == "Portland, Oregon"
    assert texts["boston"] == "Boston, Massachusetts"
    assert texts["met"] == "Metropolitan Police Service"
    assert texts["met-police"] == "met-police"
    assert texts["axon"] == "axon" and texts["other"] == "other"
