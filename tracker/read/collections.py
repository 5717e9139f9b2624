"""The collection registry: what each kind of record is, in one typed place.

A collection (events, measures, sources, actors; citations, which are edited but not listed)
is one frozen :class:`Collection` naming its model, its nouns, its public page and, for the
four public lists, a :class:`Listing`: the parameters it accepts, what its ``kind`` means,
its sorts and facets, the select that finds its rows and what that select loads. Filters,
selects, facets, the OpenAPI description, the list routes and the editor all read these
objects instead of keeping their own tables keyed by strings.

Layers above keep what only they may know, keyed by the same collection: the JSON and CSV
shapes (``tracker.render.exports.FORMATS``) and the editor forms
(``tracker.editing.forms.FORMS``); ``tests/test_collections.py`` checks that every
collection has them, so adding one cannot forget a place. docs/architecture.md, "The
collection registry", lists the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm.interfaces import LoaderOption

from tracker.core import vocab
from tracker.core.vocab import Vocabulary
from tracker.db.models import Actor, Citation, Event, Measure, Source
from tracker.read import selects

# Parameters every list takes.
_PAGING = frozenset({"sort", "page", "per_page"})
_DATED = frozenset({"date_from", "date_to"})
_PLACED = frozenset({"actor", "country", "region"})
_MEASURED = frozenset({"measure_type", "status", "technology", "as_of"})


@dataclass(frozen=True, eq=False)
class Listing:
    """How a collection is listed, filtered and faceted (its public list pages)."""

    params: frozenset[str]
    kind: Vocabulary | None  # what ``kind`` means, or None if the collection takes no ``kind``
    sorts: tuple[str, ...]  # the explicit sorts; ``relevance`` is added with a search
    default_sort: str
    facets: tuple[str, ...]  # shown on the HTML list, counted in SQL
    select: Callable[..., Select]  # (session, filters, facet_columns=False) -> Select
    load: tuple[LoaderOption, ...]  # eager loads for the rows a page shows
    statuses: bool  # its rows carry their measures' statuses on ``as_of``


@dataclass(frozen=True, eq=False)
class Collection:
    """One kind of record. Compared by identity: there is one object per collection."""

    name: str  # the URL segment and the key of files, revisions and corrections
    singular: str
    # Any: the models share no base with slugs (a citation has none); code that needs one
    # model's attributes names its collection (EVENTS.model, ...).
    model: type[Any]
    detail_endpoint: str | None  # the public page of one record, None for citations
    listing: Listing | None  # None: not listed publicly (citations)

    def __str__(self) -> str:
        return self.name

    @property
    def list_endpoint(self) -> str:
        return f"browse.{self.name}"

    def measure_id(self, row: Any) -> int | None:
        """The measure whose status a listed row shows: a measure's own, an event's."""
        return row.id if self.model is Measure else getattr(row, "measure_id", None)


_DATE_SORTS = ("-date", "date", "title")

EVENTS = Collection(
    "events",
    "event",
    Event,
    "browse.event_detail",
    Listing(
        params=frozenset({"q", "kind"}) | _MEASURED | _PLACED | _DATED | _PAGING,
        kind=vocab.EVENT_KINDS,
        sorts=_DATE_SORTS,
        default_sort="-date",
        facets=("kind", "measure_type", "status", "technology", "country", "region"),
        select=selects.events_select,
        load=selects.EVENT_LOAD,
        statuses=True,
    ),
)
MEASURES = Collection(
    "measures",
    "measure",
    Measure,
    "browse.measure_detail",
    Listing(
        params=frozenset({"q"}) | _MEASURED | _PLACED | _DATED | _PAGING,
        kind=None,
        sorts=_DATE_SORTS,
        default_sort="-date",
        facets=("measure_type", "status", "technology", "country", "region"),
        select=selects.measures_select,
        load=selects.MEASURE_LOAD,
        statuses=True,
    ),
)
SOURCES = Collection(
    "sources",
    "source",
    Source,
    "browse.source_detail",
    Listing(
        params=frozenset({"q", "kind"}) | _DATED | _PAGING,
        kind=vocab.SOURCE_KINDS,
        sorts=_DATE_SORTS,
        default_sort="-date",
        facets=("kind",),
        select=selects.sources_select,
        load=selects.SOURCE_LOAD,
        statuses=False,
    ),
)
ACTORS = Collection(
    "actors",
    "actor",
    Actor,
    "browse.actor_detail",
    Listing(
        params=frozenset({"q", "kind"}) | _PLACED | _PAGING,
        kind=vocab.ACTOR_KINDS,
        sorts=("title",),  # actors have no date
        default_sort="title",
        facets=("kind", "country", "region"),
        select=selects.actors_select,
        load=selects.ACTOR_LOAD,
        statuses=False,
    ),
)
CITATIONS = Collection("citations", "citation", Citation, None, None)


class _Registry(Mapping[str, Collection]):
    """Collections by name, in a fixed order (the order of the lists' pages and the API)."""

    def __init__(self, *collections: Collection) -> None:
        self._by_name = {c.name: c for c in collections}

    def __getitem__(self, name: str) -> Collection:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def of_model(self, model: type) -> Collection:
        for c in self._by_name.values():
            if c.model is model:
                return c
        raise KeyError(model)


# Every kind of record: what the editor edits, revisions record and backups hold.
COLLECTIONS = _Registry(ACTORS, MEASURES, EVENTS, SOURCES, CITATIONS)
# The publicly listed collections, in the order of the site's lists.
LISTED = _Registry(EVENTS, MEASURES, SOURCES, ACTORS)


def listing(c: Collection) -> Listing:
    """``c.listing`` for a collection known to be listed (a typed lookup, no ``None``)."""
    if c.listing is None:
        raise KeyError(f"{c.name} are not listed")
    return c.listing
