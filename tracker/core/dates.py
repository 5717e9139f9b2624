"""The dates the tracker accepts, in one place: filters, editor forms and the loader all
check against these bounds, so a date refused by one is refused by all.

Why a range: the record is about modern surveillance policy, and a year such as 0001 or 9999
is always a typing mistake; such a date also stretched the timeline's axis over millennia
(and its quarters past what pandas can represent). The bounds are wide enough for any
historical statute or any sunset clause we know of.

Why ASCII digits only: Python's ``\\d`` and ``int()`` accept the digits of other scripts
('٢٠١٩' is 2019 to them), so such a date would be stored and shown in a form nobody typed,
and the data files, the API and the OpenAPI description all promise ``0-9``.
"""

from __future__ import annotations

import datetime as dt

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)
RANGE_TEXT = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"


def check_range(value: dt.date, text: str) -> dt.date:
    """``value`` itself when it lies in the accepted range; else ValueError saying so."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{text!r} is outside the accepted dates ({RANGE_TEXT})")
    return value


def non_ascii_digits(text: str) -> bool:
    """True when ``text`` holds a digit that is not 0-9 (another script's digits)."""
    if text.isascii():  # the usual case, answered without looking at each character
        return False
    return any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text)


# --- dates as people read them ----------------------------------------------------------


def date_label(value: dt.date | None, precision: str | None = "day") -> str:
    """'14 May 2019', 'July 2015' or '2025': a partial date never shows a made-up day."""
    if value is None:
        return ""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return value.strftime("%B %Y")
    return f"{value.day} {value.strftime('%B %Y')}"


def iso_at_precision(value: dt.date | None, precision: str | None = "day") -> str:
    """'2019-05-14', '2015-07' or '2025'."""
    if value is None:
        return ""
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


_PRECISION_CAVEAT = {"month": "day not confirmed", "year": "month and day not confirmed"}
_CERTAINTY_CAVEAT = {
    "derived": "worked out from a dated report, not stated in it",
    "partial": "only part of the date is confirmed",
    "unverified": "not confirmed by a source",
}


def date_caveat(precision: str | None, certainty: str | None) -> str | None:
    """How sure a date is, in words a visitor understands ('day not confirmed'), from its
    precision and certainty; None for a verified full date. Pages show this, not editors'
    working notes."""
    parts = []
    if certainty in _CERTAINTY_CAVEAT:
        parts.append(_CERTAINTY_CAVEAT[certainty])
    if precision in _PRECISION_CAVEAT and certainty != "unverified":
        parts.append(_PRECISION_CAVEAT[precision])
    return "; ".join(parts) or None
