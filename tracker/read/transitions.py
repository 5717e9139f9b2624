"""What changed when: the measures that were introduced, passed, adopted, took effect,
expired, were repealed, failed, were struck down or replaced in a period, grouped by what
happened (``/changes-in``, its ``.json`` and ``.csv``).

Why from the stored status periods (``measure_periods``, :mod:`tracker.db.periods`): a
change of status *is* the start of a period, so a period starting inside [from, to] is a
change into its status on that day, exactly as :mod:`tracker.core.status` derived it
(sunsets, the end of a session and replacements included, which no single event records).
Counting events instead would disagree with every status the site shows: an ``adopted``
event may give ``in_effect`` or ``adopted``, a month-precision repeal takes effect after its
month, a bill fails when its session ends without any event. "Introduced" is the one change
that is not a status (introduced and pending bills are both ``pending``): it is a measure's
first ``introduced`` event.

The filters are the measures list's (same parser, same select), less those about one date
or one page, plus ``level`` (the kind of place a measure comes from). A technology filter
means "ever covered", as on the lists without a date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from tracker.core import vocab
from tracker.core.dates import date_label
from tracker.core.status import ONE_DAY, Step, applies_on, today
from tracker.core.vocab import KIND_EFFECT
from tracker.db.models import Actor, DbSession, Event, Measure, MeasurePeriod, batches
from tracker.db.periods import BATCH, ensure_current
from tracker.read import chartdata, selects
from tracker.read.collections import MEASURES
from tracker.read.filters import (
    CSV_PARAMS,
    Filters,
    accepted_params,
    caption,
    date_bound,
    file_stem,
    parse_filters,
)
from tracker.read.parameters import BadParameter


@dataclass(frozen=True)
class ChangeKind:
    code: str
    label: str
    definition: str


# What can happen to a measure in a period, in the order of a lifecycle. Each but
# "introduced" is the start of a status period; "adopted" is the first time a measure was
# enacted (into `adopted`, or straight into `in_effect` when it took effect at once, as
# San Francisco's ban did on its final vote), "took effect" every start of `in_effect`.
CHANGE_KINDS: tuple[ChangeKind, ...] = (
    ChangeKind(
        "introduced", "Introduced", "Formally introduced in a legislature (its first introduced event)."
    ),
    ChangeKind("passed", "Passed", "Passed in its final form, awaiting signature."),
    ChangeKind(
        "adopted",
        "Adopted",
        "Enacted: signed, adopted or approved, whether it took effect at once or from a later date.",
    ),
    ChangeKind("took_effect", "Took effect", "Came into force (again, after an extension revived it)."),
    ChangeKind("expired", "Expired", "Lapsed, at its sunset or by an expiry the record states."),
    ChangeKind("repealed", "Repealed", "Repealed or rescinded."),
    ChangeKind("failed", "Failed", "Voted down, vetoed, withdrawn, or left pending when its session ended."),
    ChangeKind("struck_down", "Struck down", "Struck down or blocked by a court."),
    ChangeKind("replaced", "Replaced", "Ended on the day a measure replacing it took effect."),
)
CHANGE_CODES = tuple(k.code for k in CHANGE_KINDS)
_BY_CODE = {k.code: k for k in CHANGE_KINDS}
# Statuses whose start is a change of the same name (in_effect and adopted are handled apart).
_ENTERED = {"passed": "passed", "expired": "expired", "repealed": "repealed", "failed": "failed"}
_ENTERED |= {"struck_down": "struck_down", "replaced": "replaced"}
_ENACTED = ("adopted", "in_effect")

# The parameters: the measures list's, less those about one date or one page (a period
# replaces date_from/date_to, statuses are what is counted), plus the period and the level.
OWN_PARAMS = frozenset({"from", "to", "level"})
WITHOUT = frozenset({"status", "as_of", "date_from", "date_to", "sort", "page", "per_page"})
# The HTML form's text fields, which a browser sends empty when left blank.
FORM_FIELDS = frozenset({"q", "from", "to"})
LEVELS = vocab.PLACE_KINDS


def params(csv: bool = False) -> frozenset[str]:
    """What /changes-in takes (the OpenAPI description asks here too)."""
    return accepted_params(MEASURES, OWN_PARAMS | (CSV_PARAMS if csv else frozenset()), WITHOUT)


@dataclass(frozen=True)
class Query:
    """A validated /changes-in request: the measures' filter, the period (both days
    included), the levels asked for, and the period as it was written (for links)."""

    filters: Filters
    start: dt.date
    end: dt.date
    levels: tuple[str, ...] = ()
    raw: dict[str, str] = field(default_factory=dict)

    def pairs(self) -> list[tuple[str, str]]:
        """The query string's pairs: the filter's, then the period as given, then the levels."""
        out = self.filters.args()
        out += [(name, self.raw[name]) for name in ("from", "to") if name in self.raw]
        out += [("level", level) for level in self.levels]
        return out

    def as_dict(self) -> dict:
        """The applied filters, for the JSON ``filters`` member."""
        out = {k: v for k, v in self.filters.as_dict().items() if k not in ("as_of", "sort")}
        out["from"], out["to"] = self.start.isoformat(), self.end.isoformat()
        if self.levels:
            out["level"] = list(self.levels)
        return out

    def caption(self) -> str:
        """'bans on face recognition in Massachusetts, 2021' (city level)."""
        text = caption(replace(self.filters, date_from=self.start, date_to=self.end))
        if self.levels:
            names = [vocab.ACTOR_KINDS.label(level).lower() for level in self.levels]
            text += ", " + (" or ".join(names)) + " level"
        return text

    @property
    def whole_year(self) -> int | None:
        """The year, when the period is exactly one calendar year (for previous/next links)."""
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31):
            return self.start.year if self.start.year == self.end.year else None
        return None


def parse(args: MultiDict, session: DbSession, *, csv: bool = False, form: bool = False) -> Query:
    """Validate a /changes-in query string; a bad value is a 400 naming its parameter.

    ``from`` and ``to`` take YYYY, YYYY-MM or YYYY-MM-DD like every date parameter (``from``
    the first day of its period, ``to`` the last). Either may be left out: ``from`` then
    defaults to 1 January of ``to``'s year, ``to`` to 31 December of ``from``'s year, and
    with neither the period is the current year (UTC), so ``?from=2021`` is the year 2021
    and the page without parameters depends on the date, like every page without ``as_of``.
    ``from`` after ``to`` is a 400 naming ``from``."""
    f = parse_filters(
        args,
        MEASURES,
        session,
        extra_params=OWN_PARAMS | (CSV_PARAMS if csv else frozenset()),
        without=WITHOUT,
        blank_as_absent=FORM_FIELDS if form else frozenset(),
    )

    def given(name: str) -> list[str]:
        out = []
        for value in args.getlist(name):
            value = value.strip()
            if not value:
                if form and name in FORM_FIELDS:
                    continue
                raise BadParameter(name, f"{name} is empty: give a value, or leave the parameter out")
            out.append(value)
        return out

    raw: dict[str, str] = {}
    bounds: dict[str, dt.date] = {}
    for name, end in (("from", False), ("to", True)):
        texts = given(name)
        if len(texts) > 1:
            raise BadParameter(name, f"give {name} once, not {len(texts)} times")
        if texts:
            raw[name] = texts[0]
            bounds[name] = date_bound(name, texts[0], end)
    year = (bounds.get("from") or bounds.get("to") or today()).year
    start = bounds.get("from", dt.date(bounds["to"].year if "to" in bounds else year, 1, 1))
    finish = bounds.get("to", dt.date(start.year, 12, 31))
    if start > finish:
        raise BadParameter("from", f"from ({start.isoformat()}) is after to ({finish.isoformat()})")
    levels = tuple(dict.fromkeys(given("level")))
    for level in levels:
        if level not in LEVELS:
            raise BadParameter("level", f"unknown level {level!r} (one of: {', '.join(LEVELS)})")
    return Query(f, start, finish, levels, raw)


@dataclass(frozen=True)
class Change:
    """One thing that happened to a measure: ``change`` (a :data:`CHANGE_CODES` code) on
    ``day`` (shown at ``precision``: a period that starts on a "July 2015" event is July
    2015), from status ``before`` (None: the measure's first period, or an introduction)
    into ``status``; the place it comes from; the event that made it when there is one,
    else a ``note`` saying why (a sunset, the end of a session, a replacement)."""

    change: str
    day: dt.date
    precision: str
    measure: Measure
    before: str | None
    status: str
    place: Actor | None
    event: Event | None
    note: str | None


@dataclass(frozen=True)
class Group:
    kind: ChangeKind
    items: list[Change]


@dataclass(frozen=True)
class Changes:
    query: Query
    groups: list[Group]  # every kind, in CHANGE_KINDS order, empty ones included

    @property
    def total(self) -> int:
        return sum(len(g.items) for g in self.groups)

    @property
    def measures(self) -> int:
        """How many measures changed (one may be adopted and take effect, and count twice)."""
        return len({c.measure.id for g in self.groups for c in g.items})

    @property
    def counts(self) -> dict[str, int]:
        return {g.kind.code: len(g.items) for g in self.groups}


def measure_ids(session: DbSession, q: Query) -> Select:
    """The ids of the measures the filter (and levels) select, as a select for ``IN``: the
    measures list's own select, so both find the same measures."""
    ids = selects.measures_select(session, q.filters).with_only_columns(Measure.id).order_by(None)
    if q.levels:
        place = aliased(Actor, name="level_place")
        at_level = (
            select(Measure.id)
            .join(place, place.id == selects.measure_place())
            .where(place.kind.in_(q.levels))
        )
        ids = ids.where(Measure.id.in_(at_level))
    return ids


def changes(session: DbSession, q: Query) -> Changes:
    """Every change in the period to the measures the query selects, grouped and ordered by
    day, then title (a few queries, whatever the period: the periods starting in it, the
    first introductions, then those measures and their events)."""
    ensure_current(session)
    ids = measure_ids(session, q)
    period, before = MeasurePeriod, aliased(MeasurePeriod, name="before")
    enacted = aliased(MeasurePeriod, name="enacted")
    earlier_enacted = (
        select(enacted.seq)
        .where(
            enacted.measure_id == period.measure_id, enacted.seq < period.seq, enacted.status.in_(_ENACTED)
        )
        .exists()
    )
    starts = session.execute(
        select(period.measure_id, period.start, period.status, before.status, earlier_enacted)
        .outerjoin(before, and_(before.measure_id == period.measure_id, before.seq == period.seq - 1))
        .where(period.start >= q.start, period.start <= q.end, period.measure_id.in_(ids))
    ).all()
    found: list[tuple[str, int, dt.date, str | None, str]] = []  # (change, measure, day, before, status)
    for row in starts:
        mid, day, status, prior, enacted_before = row
        if status == "in_effect":
            if not enacted_before:
                found.append(("adopted", mid, day, prior, status))
            found.append(("took_effect", mid, day, prior, status))
        elif status == "adopted":
            found.append(("adopted", mid, day, prior, status))
        elif status in _ENTERED:
            found.append((_ENTERED[status], mid, day, prior, status))
    introductions = session.execute(
        select(Event.measure_id, Event.date, Event.id)
        .where(Event.kind == "introduced", Event.measure_id.in_(ids), Event.date <= q.end)
        .order_by(Event.measure_id, Event.date, Event.slug)
    ).all()
    first_introduced: dict[int, tuple[dt.date, int]] = {}
    for of_measure, day, event_id in introductions:
        assert of_measure is not None  # selected by measure
        first_introduced.setdefault(of_measure, (day, event_id))
    introduced = {mid: v for mid, v in first_introduced.items() if v[0] >= q.start}
    found += [("introduced", mid, day, None, "pending") for mid, (day, _) in introduced.items()]

    wanted = sorted({mid for _, mid, *_ in found})
    measures: dict[int, Measure] = {}
    events: dict[int, list[Event]] = defaultdict(list)
    replaced_by: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for chunk in batches(wanted, BATCH):
        measures.update(
            (m.id, m)
            for m in session.scalars(
                select(Measure).where(Measure.id.in_(chunk)).options(*selects.MEASURE_LOAD)
            )
        )
        for e in session.scalars(
            select(Event).where(Event.measure_id.in_(chunk)).order_by(Event.date, Event.slug)
        ):
            assert e.measure_id is not None  # selected by measure
            events[e.measure_id].append(e)
        for old, new, title in session.execute(
            select(Measure.replaces_id, Measure.id, Measure.title)
            .where(Measure.replaces_id.in_(chunk))
            .order_by(Measure.title)
        ):
            assert old is not None  # selected by what it replaces
            replaced_by[old].append((new, title))
    event_by_id = {e.id: e for es in events.values() for e in es}
    # A measure is replaced on the day its replacement took effect: that day is shown at the
    # precision of the replacement's events on it (a replacement known to the year: 2019).
    replacing = chartdata.precisions(session, sorted({new for rs in replaced_by.values() for new, _ in rs}))

    grouped: dict[str, list[Change]] = defaultdict(list)
    for code, mid, day, was, now in found:
        m = measures[mid]
        if code == "introduced":
            event: Event | None = event_by_id[introduced[mid][1]]
            note = None
        else:
            event = _cause(events[mid], m, day, now)
            titles = [title for _, title in replaced_by[mid]]
            note = None if event is not None else _note(m, day, now, titles)
        precision = event.date_precision if event is not None and event.date == day else "day"
        if code == "replaced":
            precision = _coarsest([replacing.get((new, day), "day") for new, _ in replaced_by[mid]])
        grouped[code].append(Change(code, day, precision, m, was, now, _place(m), event, note))
    groups = [
        Group(kind, sorted(grouped[kind.code], key=lambda c: (c.day, c.measure.title, c.measure.slug)))
        for kind in CHANGE_KINDS
    ]
    return Changes(q, groups)


def _coarsest(precisions: list[str]) -> str:
    rank = vocab.DATE_PRECISIONS.codes
    return max(precisions, key=rank.index, default="day")


def _place(m: Measure) -> Actor | None:
    """The place a measure comes from (:func:`tracker.read.selects.measure_place`)."""
    if m.jurisdiction is not None:
        return m.jurisdiction
    return m.adopted_by if m.adopted_by.is_place else None


def _causes(kind: str, status: str) -> bool:
    effect = KIND_EFFECT.get(kind)
    return effect == status or (kind == "adopted" and status in _ENACTED)


def _cause(events: list[Event], m: Measure, day: dt.date, status: str) -> Event | None:
    """The event of the measure whose effect starts on ``day`` with ``status`` (an ending
    known only to its month applies after it: :func:`tracker.core.status.applies_on`), or
    None when no event did it (a sunset, the end of a session, a replacement)."""
    for e in events:
        step = Step(e.date, e.kind, e.new_sunset, e.date_precision)
        if _causes(e.kind, status) and applies_on(step, m.sunset) == day:
            return e
    return None


def _note(m: Measure, day: dt.date, status: str, replacements: list[str]) -> str | None:
    """Why a status began on a day no event of the measure falls on."""
    if status == "expired":
        return "At its sunset."
    if status == "failed" and m.session_end is not None and day == m.session_end + ONE_DAY:
        return f"Its legislative session ({m.legislative_session}) ended on {date_label(m.session_end)}."
    if status == "replaced" and replacements:
        return "Replaced by " + "; ".join(replacements) + "."
    return None


def label(code: str) -> str:
    return _BY_CODE[code].label


def file_name(q: Query) -> str:
    """The CSV download's file name stem: 'changes-in-measures-2021-2026-12-02'."""
    return file_stem("changes in " + q.caption(), "changes-in")
