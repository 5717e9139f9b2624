"""The one display name of a place (tracker.core.places.place_display_name): pure."""

from __future__ import annotations

import pytest

from tracker.core.places import place_display_name


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
