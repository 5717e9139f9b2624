"""The OpenAPI 3.1 description of the public API, generated from the same filter and
vocabulary definitions the endpoints use, so it cannot fall out of date."""

from __future__ import annotations

from typing import Any

from tracker.core import mapping, vocab
from tracker.read import maps, transitions
from tracker.read.collections import EVENTS, LISTED, MEASURES, Collection, listing
from tracker.read.details import APPLYING
from tracker.read.filters import CHART_OMITS, PAGE_MAX, PER_PAGE_MAX, Q_MAX, accepted_params

PARAM_DOCS = {
    "q": ("string", "Full-text search (ranked; words must all match)."),
    "kind": ("string", "Kind of the row (event kind, source kind or actor kind). Repeatable (OR)."),
    "measure_type": ("string", "Measure type (of the event's measure on /events). Repeatable (OR)."),
    "status": ("string", "Measure status on `as_of`. Repeatable (OR)."),
    "technology": ("string", "Technology slug. Repeatable (OR)."),
    "actor": (
        "string",
        "Actor slug, or its name, an alias or its display name (any case; a name several actors "
        "share is a 400 listing their slugs); includes its sub-jurisdictions and bodies. Repeatable (OR).",
    ),
    "country": ("string", "ISO 3166-1 alpha-2 code, or EU. Repeatable (OR)."),
    "region": ("string", "ISO 3166-2 code such as US-CA. Repeatable (OR)."),
    "date_from": (
        "string",
        "Earliest date: YYYY, YYYY-MM or YYYY-MM-DD (first day of the period); not after date_to (a 400).",
    ),
    "date_to": ("string", "Latest date: YYYY, YYYY-MM or YYYY-MM-DD (last day of the period)."),
    "as_of": ("string", "Date statuses are computed for (YYYY-MM-DD); default today (UTC)."),
    "sort": (
        "string",
        "-date (default), date or title; relevance only with q (the default "
        "then; without q it is a 400). Ties by slug.",
    ),
    "from": (
        "string",
        "/changes-in: the period's first day: YYYY, YYYY-MM or YYYY-MM-DD (first day of the period); "
        "default 1 January of to's year, or of this year. Not after to (a 400).",
    ),
    "to": (
        "string",
        "/changes-in: the period's last day: YYYY, YYYY-MM or YYYY-MM-DD (last day of the period); "
        "default 31 December of from's year, or of this year.",
    ),
    "level": ("string", "/changes-in: the kind of place a measure comes from. Repeatable (OR)."),
    "page": ("integer", "Page number from 1; a page past the end is 404."),
    "per_page": ("integer", "Rows per page: default 50, at most 500."),
}

ENUMS = {
    "measure_type": vocab.MEASURE_TYPES.codes,
    "status": vocab.STATUSES.codes,
    "level": list(transitions.LEVELS),
}
DATE = {
    "type": "object",
    "properties": {
        "date": {"type": ["string", "null"], "format": "date"},
        "date_precision": {"type": ["string", "null"], "enum": vocab.DATE_PRECISIONS.codes + [None]},
        "date_label": {"type": ["string", "null"]},
    },
}


# What each parameter's value looks like, exactly as the filter layer checks it
# (tracker/read/filters.py, tracker/core/dates.py), so that a schema-valid request is an accepted one:
# dates are real days of 1900-2100 in the digits 0-9 (February 29 in leap years only), and
# technology and actor slugs are the ones in the database (build_spec is given them).
_YEAR = "(19[0-9]{2}|20[0-9]{2}|2100)"
_LEAP = "(19(0[48]|[2468][048]|[13579][26])|20(0[048]|[2468][048]|[13579][26]))"
_MONTH = "(0[1-9]|1[0-2])"
_MONTH_DAY = "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
PARTIAL_DATE = f"^({_YEAR}|{_YEAR}-{_MONTH}|{_YEAR}-{_MONTH_DAY}|{_LEAP}-02-29)$"
SLUG = {"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
PATTERNS: dict[str, dict[str, Any]] = {
    "q": {"minLength": 1, "maxLength": Q_MAX, "pattern": "[A-Za-z0-9]"},
    "technology": SLUG,
    "actor": {"minLength": 1, "maxLength": 300},
    "country": {"pattern": "^[A-Za-z]{2}$"},
    "region": {"pattern": "^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$"},
    "date_from": {"pattern": PARTIAL_DATE},
    "date_to": {"pattern": PARTIAL_DATE},
    "as_of": {"pattern": PARTIAL_DATE},
    "from": {"pattern": PARTIAL_DATE},
    "to": {"pattern": PARTIAL_DATE},
    "page": {"minimum": 1, "maximum": PAGE_MAX},
    "per_page": {"minimum": 1, "maximum": PER_PAGE_MAX},
}


def _parameter(name: str, collection: Collection, slugs: dict[str, list[str]] | None = None) -> dict:
    kind, doc = PARAM_DOCS[name]
    schema: dict = {"type": kind, **PATTERNS.get(name, {})}
    if slugs and name in slugs:
        schema = {"type": "string", "enum": slugs[name]}
    if name == "kind":
        kinds = listing(collection).kind
        if kinds is None:  # the registry gives ``kind`` only to collections that have one
            raise ValueError(f"{collection} take no kind")
        schema["enum"] = kinds.codes
    elif name in ENUMS:
        schema["enum"] = ENUMS[name]
    elif name == "sort":
        # relevance is accepted only with q, which a schema of one parameter cannot say:
        # it is in the description, not the enum.
        schema["enum"] = list(listing(collection).sorts)
    repeat = name in ("kind", "measure_type", "status", "technology", "actor", "country", "region", "level")
    if repeat:
        schema = {"type": "array", "items": schema}
    param = {"name": name, "in": "query", "required": False, "description": doc, "schema": schema}
    if repeat:
        param.update({"style": "form", "explode": True})
    return param


def _error() -> dict:
    return {
        "description": "Bad parameter or unknown row",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _error_text() -> dict:
    """Downloads and feeds answer a bad parameter in plain text, naming it."""
    return {
        "description": "Bad parameter or unknown row (plain text naming the parameter)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }


# The CSV routes' Excel switch and answer, the same for every list.
BOM_PARAMETER = {
    "name": "bom",
    "in": "query",
    "required": False,
    "description": "1: UTF-8 with BOM, for Excel",
    "schema": {"type": "string", "enum": ["0", "1"]},
}
CSV_RESPONSE = {
    "description": "CSV; formula-like text cells neutralised",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


# --- the ban map ------------------------------------------------------------------------------

MAP_SCOPE_PARAMETER = {
    "name": "scope",
    "in": "query",
    "required": False,
    "description": "Which measures the map draws: all (default); general (scopes that include "
    "government_use or police_use); narrow (every other scope, or none recorded); or one scope code "
    "(measures whose scopes include it).",
    "schema": {"type": "string", "enum": [*mapping.SCOPE_CHOICES, *vocab.SCOPES.codes]},
}
MAP_PLACE_PARAMETER = {
    "name": "place",
    "in": "query",
    "required": False,
    "description": "A place's slug: its entry in places also lists every measure live there (measures).",
    "schema": {"type": "string", **SLUG},
}
_MAP_MEASURE = {
    "type": "object",
    "required": ["slug", "title", "type", "status", "since", "precision", "scope", "scope_class"],
    "properties": {
        "slug": {"type": "string"},
        "title": {"type": "string"},
        "type": {"type": "string", "enum": vocab.MEASURE_TYPES.codes},
        "status": {"type": "string", "enum": list(maps.MAP_LIVE)},
        "since": {"type": "string", "format": "date", "description": "Start of the status"},
        "precision": {"type": "string", "enum": vocab.DATE_PRECISIONS.codes},
        "scope": {"type": "array", "items": {"type": "string", "enum": vocab.SCOPES.codes}},
        "scope_class": {"type": "string", "enum": list(mapping.SCOPE_CLASSES)},
        "adopter": {"type": "string"},
    },
}
MAP_SCHEMA = {
    "type": "object",
    "required": ["as_of", "scope", "caption", "places", "corporate", "unplaced", "steps", "links"],
    "properties": {
        "as_of": {"type": "string", "format": "date"},
        "scope": {"type": "string"},
        "caption": {"type": "string"},
        "places": {
            "type": "array",
            "description": "One per place on the map, sorted by kind of area then name",
            "items": {
                "type": "object",
                "required": ["slug", "name", "geo", "count", "measure"],
                "properties": {
                    "slug": {"type": "string"},
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": list(vocab.PLACE_KINDS)},
                    "geo": {"type": "string", "enum": list(maps.GEOS)},
                    "loc": {"type": ["string", "null"], "description": "US state code, ISO alpha-3 or EU"},
                    "lat": {"type": ["number", "null"]},
                    "lon": {"type": ["number", "null"]},
                    "count": {"type": "integer", "description": "Measures live there on the date"},
                    "measure": {**_MAP_MEASURE, "description": "The one the map shows"},
                    "measures": {"type": "array", "items": _MAP_MEASURE, "description": "With place= only"},
                },
            },
        },
        "corporate": {"type": "array", "items": _MAP_MEASURE},
        "corporate_total": {"type": "integer"},
        "unplaced": {"type": "array", "items": _MAP_MEASURE},
        "unplaced_total": {"type": "integer"},
        "steps": {
            "type": "object",
            "description": "The slider's stops (days) and Play's frames (play), as day offsets from first",
            "properties": {
                "first": {"type": "string", "format": "date"},
                "days": {"type": "array", "items": {"type": "integer"}},
                "play": {"type": "array", "items": {"type": "integer"}},
            },
        },
        "links": {"type": "object"},
    },
}


def _map_paths(slugs: dict[str, list[str]] | None) -> dict:
    """/map.json and /map.csv: the map's filters are those of /measures (no sort or paging);
    ``place`` lists the places in the database when ``slugs`` has them."""
    filters = [_parameter(p, MEASURES, slugs) for p in sorted(accepted_params(MEASURES, without=CHART_OMITS))]
    place = MAP_PLACE_PARAMETER
    if slugs and "place" in slugs:
        place = {**place, "schema": {"type": "string", "enum": slugs["place"]}}
    return {
        "/map.json": {
            "get": {
                "summary": "The ban map on one date: each place with the measure it shows, the companies' "
                "measures and those that cannot be drawn",
                "parameters": [*filters, MAP_SCOPE_PARAMETER, place],
                "responses": {
                    "200": {
                        "description": "The map on as_of",
                        "content": {"application/json": {"schema": MAP_SCHEMA}},
                    },
                    "400": _error(),
                },
            }
        },
        "/map.csv": {
            "get": {
                "summary": "The places the map shows on as_of, one row each with the measure it shows",
                "parameters": [*filters, MAP_SCOPE_PARAMETER, BOM_PARAMETER],
                "responses": {"200": CSV_RESPONSE, "400": _error_text()},
            }
        },
    }


def build_spec(server: str, slugs: dict[str, list[str]] | None = None) -> dict:
    """The description; ``slugs`` (``technology`` and ``actor`` → the slugs in the database)
    makes those parameters enums, so the description says which values exist."""
    paths: dict = {}
    for c in LISTED.values():
        collection = c.name
        params = [_parameter(p, c, slugs) for p in sorted(listing(c).params)]
        item = f"#/components/schemas/{c.singular.capitalize()}"
        paths[f"/{collection}.json"] = {
            "get": {
                "summary": f"List {collection} matching the filters",
                "parameters": params,
                "responses": {
                    "200": {
                        "description": "A page of results",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "allOf": [
                                        {"$ref": "#/components/schemas/List"},
                                        {
                                            "type": "object",
                                            "properties": {
                                                "items": {"type": "array", "items": {"$ref": item}}
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "400": _error(),
                    "404": _error(),
                },
            }
        }
        paths[f"/{collection}.csv"] = {
            "get": {
                "summary": f"Every {collection[:-1]} matching the filters as CSV (page/per_page ignored)",
                "parameters": params + [BOM_PARAMETER],
                "responses": {
                    "200": CSV_RESPONSE,
                    "400": _error_text(),
                    "404": _error_text(),
                },
            }
        }
        paths[f"/{collection}/{{slug}}.json"] = {
            "get": {
                "summary": f"One {collection[:-1]}",
                "parameters": [
                    {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", **SLUG}},
                    _parameter("as_of", c),
                ],
                "responses": {
                    "200": {
                        "description": "The record",
                        "content": {"application/json": {"schema": {"$ref": item}}},
                    },
                    "400": _error(),
                    "404": _error(),
                },
            }
        }
    paths["/events.atom"] = {
        "get": {
            "summary": "Atom feed of the newest events matching the filters",
            "parameters": [_parameter(p, EVENTS, slugs) for p in sorted(listing(EVENTS).params)],
            "responses": {
                "200": {
                    "description": "Atom feed",
                    "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                },
                "400": _error_text(),
                "404": _error_text(),
            },
        }
    }
    atom = {
        "200": {
            "description": "Atom feed",
            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
        },
        "400": _error_text(),
    }
    paths["/needs-review.json"] = {
        "get": {
            "summary": "Measures whose status was never checked, not checked in 12 months, or whose "
            "bill's session is over without a recorded outcome",
            "responses": {
                "200": {
                    "description": "The measures and why each needs review",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "400": _error(),
            },
        }
    }
    paths["/needs-review.atom"] = {
        "get": {
            "summary": "The same list as an Atom feed, one entry per measure and reason",
            "responses": atom,
        }
    }
    paths["/changes.atom"] = {
        "get": {
            "summary": "The newest edits to the record (corrections, new entries, deletions)",
            "parameters": [
                {
                    "name": "collection",
                    "in": "query",
                    "required": False,
                    "description": "Only edits that changed a record of this collection",
                    "schema": {
                        "type": "string",
                        "enum": ["events", "measures", "sources", "actors", "citations"],
                    },
                }
            ],
            "responses": atom,
        }
    }
    paths["/data-package.zip"] = {
        "get": {
            "summary": "Every table as CSV with a Frictionless datapackage.json (version = content hash)",
            "responses": {
                "200": {
                    "description": "Zip archive",
                    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                },
                "400": _error_text(),
            },
        }
    }
    changes_params = [_parameter(p, MEASURES, slugs) for p in sorted(transitions.params())]
    paths["/changes-in.json"] = {
        "get": {
            "summary": "What changed when: the measures introduced, passed, adopted, that took effect, "
            "expired, were repealed, failed, were struck down or replaced in a period, grouped and counted",
            "parameters": changes_params,
            "responses": {
                "200": {
                    "description": "The changes, by kind",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Changes"}}},
                },
                "400": _error(),
            },
        }
    }
    paths["/changes-in.csv"] = {
        "get": {
            "summary": "The same changes as CSV, one row per change in the page's order",
            "parameters": [
                _parameter(p, MEASURES, slugs) for p in sorted(transitions.params(csv=True) - {"bom"})
            ]
            + [BOM_PARAMETER],
            "responses": {
                "200": CSV_RESPONSE,
                "400": _error_text(),
            },
        }
    }
    paths.update(_map_paths(slugs))
    ref = {"type": "object", "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}}
    nullable_str = {"type": ["string", "null"]}

    def codes(vocabulary):
        return {"type": "array", "items": {"type": "string", "enum": vocabulary.codes}}

    components = {
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {
                            "status": {"type": "integer"},
                            "parameter": {"type": "string"},
                            "message": {"type": "string"},
                        },
                        "required": ["status", "message"],
                    }
                },
            },
            "List": {
                "type": "object",
                "required": ["items", "total", "page", "per_page", "links", "filters", "caption"],
                "properties": {
                    "total": {"type": "integer"},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "links": {
                        "type": "object",
                        "properties": {k: nullable_str for k in ("self", "next", "prev", "csv")},
                    },
                    "filters": {"type": "object"},
                    "caption": {"type": "string"},
                },
            },
            "Event": {
                "allOf": [
                    DATE,
                    {
                        "type": "object",
                        "properties": {
                            "slug": {"type": "string"},
                            "url": {"type": "string"},
                            "certainty": {"type": "string", "enum": vocab.CERTAINTIES.codes},
                            "date_caveat": {
                                "type": ["string", "null"],
                                "description": "How sure the date is, in words ('day not confirmed')",
                            },
                            "date_note": nullable_str,
                            "kind": {"type": "string", "enum": vocab.EVENT_KINDS.codes},
                            "title": {"type": "string"},
                            "summary": nullable_str,
                            "measure": {
                                "type": ["object", "null"],
                                "properties": {
                                    "slug": {"type": "string"},
                                    "title": {"type": "string"},
                                    "measure_type": {"type": "string", "enum": vocab.MEASURE_TYPES.codes},
                                    "status": {"type": ["string", "null"]},
                                    "status_as_of": {"type": "string"},
                                    "url": {"type": "string"},
                                },
                            },
                            "actor": ref,
                            "jurisdiction": {"type": ["object", "null"]},
                            "technologies": {"type": "array", "items": {"type": "string"}},
                            "new_sunset": nullable_str,
                            "new_scope": codes(vocab.SCOPES),
                            "technologies_added": {"type": "array", "items": {"type": "string"}},
                            "technologies_removed": {"type": "array", "items": {"type": "string"}},
                            "needs_confirmation": {
                                "type": "boolean",
                                "description": "The curators flag it as resting on one source or on "
                                "secondary or aggregator pages only",
                            },
                            "evidence_caveat": {
                                "type": ["string", "null"],
                                "description": "A plain warning when the evidence is thin",
                            },
                            "citations": {
                                "type": "array",
                                "description": "Strongest evidence first",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "source": {"type": "string"},
                                        "url": nullable_str,
                                        "title": nullable_str,
                                        "publisher": nullable_str,
                                        "kind": {"type": "string", "enum": vocab.SOURCE_KINDS.codes},
                                        "role": {"type": "string", "enum": vocab.CITATION_ROLES.codes},
                                        "quote": nullable_str,
                                    },
                                },
                            },
                            "match": {"type": ["string", "null"], "description": "Matching passage, with q"},
                        },
                        "required": [
                            "slug",
                            "url",
                            "certainty",
                            "kind",
                            "title",
                            "technologies",
                            "citations",
                        ],
                    },
                ],
                "required": ["date", "date_precision"],
            },
            "Measure": {
                "type": "object",
                "properties": {
                    "slug": {"type": "string"},
                    "url": {"type": "string"},
                    "title": {"type": "string"},
                    "measure_type": {"type": "string", "enum": vocab.MEASURE_TYPES.codes},
                    "scope": codes(vocab.SCOPES),
                    "status": {"type": ["string", "null"], "enum": vocab.STATUSES.codes + [None]},
                    "status_as_of": {"type": "string", "format": "date"},
                    "first_event": {
                        "type": ["string", "null"],
                        "format": "date",
                        "description": "The first step of the measure's record",
                    },
                    "in_effect_since": {
                        "type": ["string", "null"],
                        "format": "date",
                        "description": "When it last took effect, as of status_as_of",
                    },
                    "ended": {
                        "type": ["string", "null"],
                        "format": "date",
                        "description": "When it ended, if it had ended by status_as_of",
                    },
                    "adopted_by": ref,
                    "jurisdiction": {"type": ["object", "null"]},
                    "technologies": {"type": "array", "items": {"type": "string"}},
                    "identifiers": {"type": "array", "items": {"type": "string"}},
                    "aliases": {"type": "array", "items": {"type": "string"}},
                    "sunset": nullable_str,
                    "replaces": nullable_str,
                    "legislative_session": nullable_str,
                    "session_end": nullable_str,
                    "requirements": codes(vocab.REQUIREMENTS),
                    "summary": nullable_str,
                    "status_checked_on": {
                        "type": ["string", "null"],
                        "format": "date",
                        "description": "When an editor last confirmed its status against a source",
                    },
                    "status_checked_source": {
                        "type": ["string", "null"],
                        "description": "The slug of that source",
                    },
                    "history": {"type": "array", "description": "Detail only: status periods"},
                    "coverage": {
                        "type": "object",
                        "description": "Detail only: for measures whose "
                        "technologies change, when each was covered",
                    },
                    "events": {"type": "array", "description": "Detail only: the measure's events"},
                },
                "required": ["slug", "url", "title", "measure_type", "scope", "status", "technologies"],
            },
            "Source": {
                "type": "object",
                "properties": {
                    "slug": {"type": "string"},
                    "url": {"type": "string"},
                    "title": nullable_str,
                    "publisher": nullable_str,
                    "kind": {"type": "string", "enum": vocab.SOURCE_KINDS.codes},
                    "source_url": nullable_str,
                    "published": nullable_str,
                    "published_precision": nullable_str,
                    "published_certainty": {
                        "type": ["string", "null"],
                        "enum": vocab.CERTAINTIES.codes + [None],
                    },
                    "accessed": nullable_str,
                    "archive_url": nullable_str,
                    "note": nullable_str,
                    "has_text": {"type": "boolean"},
                    "sha256": nullable_str,
                    "cites": {"type": "array", "items": {"type": "string"}},
                    "text": {"type": ["string", "null"], "description": "Detail only"},
                },
                "required": ["slug", "url", "kind", "has_text"],
            },
            "Actor": {
                "type": "object",
                "properties": {
                    "slug": {"type": "string"},
                    "url": {"type": "string"},
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": vocab.ACTOR_KINDS.codes},
                    "aliases": {"type": "array", "items": {"type": "string"}},
                    "parent": nullable_str,
                    "country": nullable_str,
                    "region": nullable_str,
                    "latitude": {"type": ["number", "null"]},
                    "longitude": {"type": ["number", "null"]},
                    "as_of": {"type": "string", "format": "date", "description": "Detail only"},
                    "levels": {
                        "type": "array",
                        "description": "Detail only: a place and every place above it, nearest first",
                        "items": {"$ref": "#/components/schemas/Level"},
                    },
                    "applies": {
                        "type": "array",
                        "description": "Detail only: what applies here on as_of, the measures in force or "
                        "pending for the place and every place above it, nearest level first",
                        "items": {
                            "type": "object",
                            "required": ["measure", "status", "since", "level", "source"],
                            "properties": {
                                "measure": {
                                    "type": "object",
                                    "properties": {
                                        "slug": {"type": "string"},
                                        "title": {"type": "string"},
                                        "measure_type": {"type": "string", "enum": vocab.MEASURE_TYPES.codes},
                                        "url": {"type": "string"},
                                    },
                                },
                                "status": {"type": "string", "enum": list(APPLYING)},
                                "status_as_of": {"type": "string", "format": "date"},
                                "since": {"type": "string", "format": "date"},
                                "since_precision": {"type": "string", "enum": vocab.DATE_PRECISIONS.codes},
                                "since_label": {"type": "string"},
                                "level": {"$ref": "#/components/schemas/Level"},
                                "source": {
                                    "type": ["object", "null"],
                                    "description": "The strongest source of its steps up to as_of",
                                    "properties": {
                                        "slug": {"type": "string"},
                                        "title": nullable_str,
                                        "publisher": nullable_str,
                                        "kind": {"type": "string", "enum": vocab.SOURCE_KINDS.codes},
                                        "role": {"type": "string", "enum": vocab.CITATION_ROLES.codes},
                                        "quote": nullable_str,
                                        "source_url": nullable_str,
                                        "url": {"type": "string"},
                                        "event": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
                "required": ["slug", "url", "name", "kind"],
            },
            "Level": {
                "type": "object",
                "required": ["slug", "name", "kind", "depth", "label"],
                "properties": {
                    "slug": {"type": "string"},
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": list(vocab.PLACE_KINDS)},
                    "depth": {"type": "integer", "minimum": 0, "description": "0: the place itself"},
                    "label": {"type": "string"},
                },
            },
            "Changes": {
                "type": "object",
                "required": [
                    "from",
                    "to",
                    "caption",
                    "filters",
                    "total",
                    "measures",
                    "counts",
                    "groups",
                    "links",
                ],
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                    "caption": {"type": "string"},
                    "filters": {"type": "object"},
                    "total": {
                        "type": "integer",
                        "description": "Changes (a measure may count more than once)",
                    },
                    "measures": {"type": "integer", "description": "Measures that changed"},
                    "counts": {
                        "type": "object",
                        "properties": {code: {"type": "integer"} for code in transitions.CHANGE_CODES},
                        "required": list(transitions.CHANGE_CODES),
                    },
                    "groups": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["change", "label", "count", "items"],
                            "properties": {
                                "change": {"type": "string", "enum": list(transitions.CHANGE_CODES)},
                                "label": {"type": "string"},
                                "definition": {"type": "string"},
                                "count": {"type": "integer"},
                                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
                            },
                        },
                    },
                    "links": {
                        "type": "object",
                        "properties": {k: {"type": "string"} for k in ("self", "html", "csv", "csv_excel")},
                    },
                },
            },
            "Change": {
                "allOf": [
                    DATE,
                    {
                        "type": "object",
                        "required": ["change", "status", "measure", "place", "event", "note"],
                        "properties": {
                            "change": {"type": "string", "enum": list(transitions.CHANGE_CODES)},
                            "change_label": {"type": "string"},
                            "status_before": {"type": ["string", "null"]},
                            "status": {"type": "string", "enum": vocab.STATUSES.codes},
                            "measure": {"type": "object"},
                            "place": {"type": ["object", "null"]},
                            "level": nullable_str,
                            "adopted_by": ref,
                            "event": {
                                "type": ["object", "null"],
                                "description": "The event that made the change",
                            },
                            "note": {
                                "type": ["string", "null"],
                                "description": "Why, when no event did it (a sunset, the end of a session)",
                            },
                        },
                    },
                ],
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Surveillance Policy Tracker API",
            "version": "1",
            "license": {"name": "MIT (code); data CC BY 4.0", "identifier": "MIT"},
            "description": "Read-only JSON, CSV and Atom for surveillance-technology policy "
            "events, measures, sources and actors. Unknown parameters and "
            "bad values are a 400 naming the parameter.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": components,
    }
