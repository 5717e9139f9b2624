"""The ban map's rules, as pure functions: which scope a measure counts as, which measure a
place shows, and on which dates the slider stops.

Why here, in core: the map's JSON, its CSV, the page and its tests must agree on them, and
they are questions about codes and dates, not about the database (no SQL, no Flask).

Scope (docs/architecture.md, "The ban map"): a measure is **general** when its scopes include
the adopting government's use of the technology (``government_use``) or its police's
(``police_use``); every other scope (body cameras, schools, sales to police, federal
agencies, private use, public places, sales to anyone) is **narrow**. A measure with no
scope recorded is narrow: the map does not paint a whole place on a guess. Oregon's ban on
face recognition in body-camera footage is a narrow ban; Alameda's ban on city use is a
general one.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Iterable, Sequence

from tracker.core import vocab
from tracker.core.places import EU, country_alpha3

GENERAL_SCOPES = frozenset({"government_use", "police_use"})
"""Scopes that cover a technology's government or police use generally."""

NARROWING_SCOPES = frozenset({"one_product"})
"""Scopes that make any measure narrow, whatever else it covers: one vendor's product only."""

SCOPE_CLASSES = ("general", "narrow")

SCOPE_CHOICES = ("all", *SCOPE_CLASSES)
"""Values of the map's ``scope`` parameter besides a single scope code (default: all)."""

STRENGTH = vocab.MAP_STRENGTH

LIVE = ("in_effect", "adopted", "passed", "pending")
"""Statuses that put a measure on the map: in force (filled) or on its way (hollow)."""


def scope_class(scopes: Iterable[str] | str | None) -> str:
    """'general' when the scopes include government or police use and the measure is not
    about one company's product only (New Jersey's directive on Clearview AI covers police
    use, of one vendor), else 'narrow'.

    ``scopes`` is a list of SCOPES codes or the stored ``'; '``-separated text."""
    if scopes is None:
        return "narrow"
    if isinstance(scopes, str):
        scopes = [s.strip() for s in scopes.split(";")]
    chosen = set(scopes)
    return "general" if GENERAL_SCOPES & chosen and not NARROWING_SCOPES & chosen else "narrow"


def scope_matches(scopes: Iterable[str] | str | None, choice: str) -> bool:
    """Whether a measure with ``scopes`` is drawn under the ``scope`` parameter ``choice``:
    'all', a class ('general', 'narrow') or one SCOPES code (the measure lists it)."""
    if choice == "all":
        return True
    if choice in SCOPE_CLASSES:
        return scope_class(scopes) == choice
    if scopes is None:
        return False
    if isinstance(scopes, str):
        scopes = [s.strip() for s in scopes.split(";")]
    return choice in set(scopes)


def geo_of(kind: str | None, country: str | None, region: str | None) -> tuple[str, str | None] | None:
    """Where a place goes on the map: ('state', 'CA'), ('country', 'USA'), ('eu', 'EU'),
    ('point', None) for cities and counties; None when it cannot be shown."""
    if country == EU:
        return "eu", EU
    if kind == "region" and region and region.startswith("US-"):
        return "state", region[3:]
    if kind == "country" and country:
        alpha3 = country_alpha3(country)
        return ("country", alpha3) if alpha3 else None
    if kind in ("city", "county"):
        return "point", None
    return None


def drawable(
    kind: str | None, country: str | None, region: str | None, latitude: object, longitude: object
) -> tuple[str, str | None] | None:
    """Where a place is drawn (:func:`geo_of`), or None when it cannot be: not a place
    (an EU institution as a jurisdiction), no geography, or a city or county without
    coordinates. Its measures are then listed as unplaced."""
    if kind not in vocab.PLACE_KINDS:
        return None
    geo = geo_of(kind, country, region)
    if geo is None or (geo[0] == "point" and (latitude is None or longitude is None)):
        return None
    return geo


def valid_scope_choice(choice: str) -> bool:
    return choice in SCOPE_CHOICES or choice in vocab.SCOPES.codes


def display_key(status: str, scope: str, measure_type: str, start: dt.date, slug: str) -> tuple:
    """Sort key of the measure a place shows (smallest wins): in force before not yet in
    force, general before narrow, then ban > moratorium > restriction > oversight, then the
    earlier start and the slug (so the choice never depends on row order)."""
    return (status != "in_effect", scope != "general", STRENGTH.index(measure_type), start, slug)


def quarter_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the quarters that begin between ``first`` and ``last`` (both included)."""
    out = []
    year, quarter = first.year, (first.month - 1) // 3
    while (day := dt.date(year, quarter * 3 + 1, 1)) <= last:
        if day >= first:
            out.append(day)
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
    return out


def slider_steps(changes: Iterable[dt.date], last: dt.date, extra: Iterable[dt.date] = ()) -> list[dt.date]:
    """The slider's stops: every date on which what the map shows may change (``changes``,
    the starts and ends of the drawn measures' periods), the first day of every quarter
    between the first change and ``last`` (so the slider also moves through quiet years),
    ``last`` itself and ``extra`` (the date asked for); none after ``last``, sorted, once each."""
    dates = {d for d in changes if d <= last}
    dates.update(d for d in extra if d <= last)
    dates.add(last)
    first = min(dates)
    dates.update(quarter_starts(first, last))
    return sorted(dates)


def dense_start(changes: Sequence[dt.date], share: float = 0.05) -> dt.date | None:
    """Where the record starts to be dense: the first change from which the changes of the
    following twelve months (366 days) are at least ``share`` of all changes, or at least 3.
    Play starts here instead of at the first event (2008 on the real data, a near-empty map)."""
    ordered = sorted(set(changes))
    if not ordered:
        return None
    need = max(3, share * len(ordered))
    j = 0
    for i, day in enumerate(ordered):
        j = max(j, i)
        while j + 1 < len(ordered) and ordered[j + 1] < day + dt.timedelta(days=366):
            j += 1
        if j - i + 1 >= need:
            return day
    return ordered[0]


def play_frames(changes: Sequence[dt.date], last: dt.date, max_frames: int = 60) -> list[dt.date]:
    """The dates Play shows: from :func:`dense_start`, only dates on which something changes
    (quiet stretches are skipped), at most ``max_frames`` of them (evenly thinned, keeping
    the last change), then ``last`` (today)."""
    start = dense_start(changes)
    if start is None:
        return [last]
    dates = sorted({d for d in changes if start <= d <= last})
    if len(dates) > max_frames - 1:
        step = len(dates) / (max_frames - 1)
        dates = sorted({dates[min(len(dates) - 1, round((k + 1) * step) - 1)] for k in range(max_frames - 1)})
    if not dates or dates[-1] != last:
        dates.append(last)
    return dates


def live_pieces(
    periods: Iterable, scope: str | None, scope_changes: Sequence[tuple[dt.date, str]]
) -> list[tuple[str, dt.date, dt.date, dt.date | None, str]]:
    """The stretches in which a measure can be on the map, ``(status, since, start, end,
    scope class)``: its periods with a status the map draws (:data:`LIVE`), cut where an
    event changes its scope (``scope_changes``: ``(date, new scope)`` in the order they
    apply, later ones winning on the same day). ``since`` is the period's first day (what
    the map says and sorts by), ``start``/``end`` the stretch's (end exclusive, None: still).

    Why cut: the class (general or narrow) decides which measure a place shows, and the
    shown measure's scope is part of what the map says on the day."""
    pieces = []
    for p in periods:
        if p.status not in LIVE:
            continue
        cuts = sorted({d for d, _ in scope_changes if p.start < d and (p.end is None or d < p.end)})
        bounds = [p.start, *cuts]
        for i, start in enumerate(bounds):
            end = bounds[i + 1] if i + 1 < len(bounds) else p.end
            current = scope
            for day, new in scope_changes:
                if day <= start:
                    current = new
            pieces.append((p.status, p.start, start, end, scope_class(current)))
    return pieces


def place_segments(
    candidates: Iterable[tuple[dt.date, dt.date | None, tuple]],
) -> list[tuple[dt.date, dt.date | None, tuple | None, int]]:
    """What one place shows over time, from its candidates ``(start, end, key)`` (the
    stretches of :func:`live_pieces` of the measures a place can show, each with its
    :func:`display_key` plus a last tie-breaker): ``(start, end, key shown or None,
    how many are live)``, one row per stretch in which neither changes, from the first
    candidate's start on, the last without an end.

    Why: the map on a date is then one row per place, however many measures each has."""
    items = sorted(candidates, key=lambda c: c[0])
    days = sorted({c[0] for c in items} | {c[1] for c in items if c[1] is not None})
    out: list[tuple[dt.date, dt.date | None, tuple | None, int]] = []
    ending = Counter(c[1] for c in items if c[1] is not None)
    # A heap of (key, which, end): ended ones leave lazily. ``which`` tells apart two
    # stretches of one measure with the same key (cut by a scope change of the same class).
    live: list[tuple[tuple, int, dt.date | None]] = []
    count = 0
    i = 0
    for n, day in enumerate(days):
        count -= ending[day]
        while i < len(items) and items[i][0] == day:
            heapq.heappush(live, (items[i][2], i, items[i][1]))
            count += 1
            i += 1
        while live and live[0][2] is not None and live[0][2] <= day:
            heapq.heappop(live)
        shown = live[0][0] if live else None
        end = days[n + 1] if n + 1 < len(days) else None
        if out and out[-1][2] == shown and out[-1][3] == count:
            out[-1] = (out[-1][0], end, shown, count)
        else:
            out.append((day, end, shown, count))
    return out
