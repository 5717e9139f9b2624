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
    return any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text)
