"""Dates written in prose ("In May of 2018", "two years ago", "today"), resolved against
a statement's own date, and how well they match an event's date."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
MONTH_ABBR = {m[:3]: i for m, i in MONTHS.items()} | {"sept": 9}
_MONTH = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)


def _month_number(name: str) -> int:
    name = name.lower().rstrip(".")
    return MONTHS.get(name) or MONTH_ABBR[name[:4] if name.startswith("sept") else name[:3]]


# --- dates in prose -----------------------------------------------------------------------------

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "several": 3,
    "a few": 2,
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class ProseDate:
    """A period named in text: ``start`` inclusive, ``end`` exclusive."""

    start: dt.date
    end: dt.date
    precision: str  # day, month, year, approx
    text: str
    relative: bool = False


def _month_end(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _shift_months(d: dt.date, months: int) -> dt.date:
    total = d.year * 12 + d.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str, ref: dt.date | None) -> list[ProseDate]:
    """Dates written in prose, resolved against ``ref`` (the statement's date) when relative.

    "June 10, 2020", "10 June 2020", "2020-06-10" → day; "In May of 2018", "July 2018" →
    month; "in 2019" → year; "today", "yesterday", "on Tuesday" → day; "last month",
    "last year", "two years ago", "next week" → a period around the computed date.
    """
    found: list[ProseDate] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match, value: ProseDate | None) -> None:
        if value is None:
            return
        span = match.span()
        if any(s < span[1] and span[0] < e for s, e in taken):
            return
        taken.append(span)
        found.append(value)

    for m in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        add(m, ProseDate(d, d + dt.timedelta(days=1), "day", m[0]) if d else None)
    for m in re.finditer(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", text, re.IGNORECASE):
        d = _safe_date(int(m[3]), _month_number(m[1]), int(m[2]))
        add(m, ProseDate(d, d + dt.timedelta(days=1), "day", m[0]) if d else None)
    for m in re.finditer(
        r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(\d{4})\b", text, re.IGNORECASE
    ):
        d = _safe_date(int(m[3]), _month_number(m[2]), int(m[1]))
        add(m, ProseDate(d, d + dt.timedelta(days=1), "day", m[0]) if d else None)
    for m in re.finditer(_MONTH + r",?\s+(?:of\s+)?(\d{4})\b", text, re.IGNORECASE):
        if m[1].lower() == "may" and not re.match(r"[A-Z]", m[1]):
            continue  # "may 2020" in lower case is more likely the verb
        d = dt.date(int(m[2]), _month_number(m[1]), 1)
        add(m, ProseDate(d, _month_end(d), "month", m[0]))
    for m in re.finditer(
        r"\b(?:in|since|during|by|of|early|late|mid-?)\s+(19[89]\d|20[0-4]\d)\b", text, re.IGNORECASE
    ):
        y = int(m[1])
        add(m, ProseDate(dt.date(y, 1, 1), dt.date(y + 1, 1, 1), "year", m[0]))
    if ref is None:
        return found
    for m in re.finditer(
        r"\b(today|yesterday|this week|last week|this month|last month|this year"
        r"|last year|next week|next month|next year|earlier this (?:year|month))\b",
        text,
        re.IGNORECASE,
    ):
        word = m[1].lower()
        if word == "today":
            value = ProseDate(ref, ref + dt.timedelta(days=1), "day", m[0], True)
        elif word == "yesterday":
            d = ref - dt.timedelta(days=1)
            value = ProseDate(d, ref, "day", m[0], True)
        elif word in ("this week", "last week", "next week"):
            monday = ref - dt.timedelta(days=ref.weekday())
            offset = {"this week": 0, "last week": -7, "next week": 7}[word]
            start = monday + dt.timedelta(days=offset)
            value = ProseDate(start, start + dt.timedelta(days=7), "approx", m[0], True)
        elif word in ("this month", "last month", "next month", "earlier this month"):
            start = _shift_months(ref, {"last month": -1, "next month": 1}.get(word, 0))
            value = ProseDate(start, _month_end(start), "month", m[0], True)
        else:
            year = ref.year + {"last year": -1, "next year": 1}.get(word, 0)
            value = ProseDate(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), "year", m[0], True)
        add(m, value)
    for m in re.finditer(
        r"\b(a few|an?|one|two|three|four|five|six|seven|eight|nine|ten|several|\d+)\s+"
        r"(year|month|week|day)s?\s+(?:ago|earlier|before)\b",
        text,
        re.IGNORECASE,
    ):
        n = NUMBER_WORDS.get(m[1].lower()) or int(m[1]) if not m[1].isdigit() else int(m[1])
        unit = m[2].lower()
        days = {"year": 365, "month": 30, "week": 7, "day": 1}[unit] * n
        centre = ref - dt.timedelta(days=days)
        slack = dt.timedelta(days={"year": 240, "month": 20, "week": 4, "day": 1}[unit])
        add(m, ProseDate(centre - slack, centre + slack + dt.timedelta(days=1), "approx", m[0], True))
    for m in re.finditer(r"\b(?:on|last|this past)\s+(" + "|".join(WEEKDAYS) + r")\b", text, re.IGNORECASE):
        back = (ref.weekday() - WEEKDAYS.index(m[1].lower())) % 7 or 7
        d = ref - dt.timedelta(days=back)
        add(m, ProseDate(d, d + dt.timedelta(days=1), "day", m[0], True))
    return found


def event_period(date: dt.date, precision: str) -> tuple[dt.date, dt.date]:
    if precision == "year":
        return date, dt.date(date.year + 1, 1, 1)
    if precision == "month":
        return date, _month_end(date)
    return date, date + dt.timedelta(days=1)


def date_match(dates: list[ProseDate], date: dt.date, precision: str) -> float:
    """How well the dates of a sentence fit an event's date: 1 for the same day, less for
    the same month, year or an approximate period; 0 when none overlaps."""
    start, end = event_period(date, precision)
    best = 0.0
    for d in dates:
        if d.start < end and start < d.end:
            score = {"day": 1.0, "month": 0.9, "year": 0.6, "approx": 0.6}[d.precision]
            if precision != "day" and d.precision == "day":
                score = 0.8
            best = max(best, score)
    return best
