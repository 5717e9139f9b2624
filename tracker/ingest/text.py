"""A statement as text: HTML reduced to text, the optional ``key: value`` header, the
proposed source metadata, and sentences."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup

from tracker.ingest.prose_dates import _safe_date, find_dates

# --- statements --------------------------------------------------------------------------------

HEADER_KEYS = ("title", "publisher", "date", "url", "kind")
# The longest statement the engine reads: suggestion time grows with the text (100,000
# characters, a long report, take a few seconds; a 3 MB file took a worker past its timeout).
STATEMENT_MAX_CHARS = 100_000
# The largest file accepted for upload (HTML carries markup the text does not keep).
STATEMENT_MAX_UPLOAD_BYTES = 2 * 2**20


@dataclass
class Statement:
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def published(self) -> tuple[dt.date, str] | None:
        """The statement's date with its precision: from a header (``2020-06``, ``10 June
        2020``...) or the first full date near the top."""
        value = self.meta.get("date")
        if isinstance(value, dt.date):
            return value, "day"
        if isinstance(value, str):
            return header_date(value)
        return None

    @property
    def date(self) -> dt.date | None:
        published = self.published
        return published[0] if published else None


def html_to_text(html: str) -> str:
    """HTML reduced to readable text: scripts, styles and navigation dropped, blocks on lines."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "form", "svg"]):
        tag.decompose()
    text = soup.get_text("\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


def html_title(html: str) -> str | None:
    soup = BeautifulSoup(html, "html.parser")
    for selector in ("meta[property='og:title']", "h1", "title"):
        tag = soup.select_one(selector)
        if tag is not None:
            value = tag.get("content") if tag.name == "meta" else tag.get_text(" ", strip=True)
            if value and str(value).strip():
                return str(value).strip()
    return None


def parse_header(raw: str) -> tuple[dict[str, str], str]:
    """Split an optional ``key: value`` header (title, publisher, date, url, kind), ended by a
    blank line, from the text. Without such a header the whole input is the text."""
    raw = raw.replace("\r\n", "\n").lstrip("\ufeff")
    head, sep, body = raw.partition("\n\n")
    meta: dict[str, str] = {}
    if sep:
        for line in head.splitlines():
            match = re.match(r"^([a-z_]+):\s*(.*)$", line.strip())
            if not match or match.group(1) not in HEADER_KEYS:
                return {}, raw
            meta[match.group(1)] = match.group(2).strip()
    if not meta:
        return {}, raw
    return meta, body


_ISO_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def header_date(text: str) -> tuple[dt.date, str] | None:
    """A date as people write it in a header: ISO at any precision, or in prose."""
    text = text.strip()
    match = _ISO_PARTIAL.fullmatch(text)
    if match:
        year, month, day = match.groups()
        found = _safe_date(int(year), int(month or 1), int(day or 1))
        return (found, "day" if day else "month" if month else "year") if found else None
    for prose in find_dates(text, None):
        if not prose.relative and prose.precision in ("day", "month", "year"):
            return prose.start, prose.precision
    return None


def read_statement(raw: str, html: bool = False, publishers: Sequence[Publisher] = ()) -> Statement:
    """A statement from a file's contents: header (if any), HTML reduced to text, metadata
    proposed from the text where the header is silent."""
    meta, body = parse_header(raw)
    if html or re.search(r"<(html|body|p|div)\b", body[:2000], re.IGNORECASE):
        title = html_title(body)
        body = html_to_text(body)
        if title and not meta.get("title"):
            meta["title"] = title
    proposed = propose_metadata(body, publishers)
    for key, value in proposed.items():
        if not meta.get(key) and value:
            meta[key] = value
    return Statement(text=body, meta=meta)


# Actor kinds that publish statements (places do not; their councils and agencies do).
PUBLISHER_KINDS = (
    "organisation",
    "company",
    "agency",
    "legislature",
    "court",
    "international_body",
    "person",
)
Publisher = tuple[list[str], str]  # (names and aliases to look for, name to propose)


def propose_metadata(text: str, publishers: Sequence[Publisher] = ()) -> dict[str, Any]:
    """Title (the first short line), date (the first full date near the top), publisher.

    The publisher is the known actor (``publishers``: names and aliases of the record's
    organisations, companies, agencies...) named first near the top ("ACLU Statement on
    ..."), else an "Issued by:" / "Published by:" line. It is a proposal: the editor checks it.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    meta: dict[str, Any] = {}
    if lines and len(lines[0]) <= 200 and not lines[0].endswith("."):
        meta["title"] = lines[0]
    top = "\n".join(lines[:12])
    for found in find_dates(top, None):
        if found.precision == "day" and not found.relative:
            meta["date"] = found.start.isoformat()
            break
    best: tuple[int, int, str] | None = None  # (position, -length, name)
    for names, display in publishers:
        for name in names:
            if len(name) < 2:
                continue
            match = re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", top)
            if match and (best is None or (match.start(), -len(name)) < best[:2]):
                best = (match.start(), -len(name), display)
    if best is not None:
        meta["publisher"] = best[2]
    else:
        match = re.search(r"^(?:Issued by|Published by|From):\s*(.+)$", top, re.MULTILINE)
        if match:
            meta["publisher"] = match.group(1).strip()
    return meta


# --- sentences ---------------------------------------------------------------------------------

ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "sen",
    "sens",
    "rep",
    "reps",
    "gov",
    "jr",
    "sr",
    "inc",
    "co",
    "corp",
    "no",
    "vs",
    "v",
    "u.s",
    "mass",
    "calif",
    "gen",
    "lt",
    "asm",
    "assemblymember",
    "ald",
    "cllr",
    "h.r",
    "s",
    "e.g",
    "i.e",
    "ave",
}


@dataclass(frozen=True)
class Sentence:
    text: str  # white space normalised; occurs in the statement (white-space-insensitively)
    index: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences, never across paragraph or line breaks; abbreviations such as "U.S." and
    "Sen." do not end a sentence."""
    out: list[str] = []
    for block in re.split(r"\n+", text):
        block = re.sub(r"\s+", " ", block).strip()
        if not block:
            continue
        start = 0
        for match in re.finditer(r"[.!?][\"”’')\]]*\s+(?=[\"“‘(]?[A-Z0-9])", block):
            before = block[start : match.start() + 1]
            last_word = re.findall(r"([A-Za-z.]+)\.$", before)
            word = last_word[0].lower() if last_word else ""
            if word in ABBREVIATIONS or re.fullmatch(r"[a-z]", word):
                continue
            out.append(block[start : match.end()].strip())
            start = match.end()
        if block[start:].strip():
            out.append(block[start:].strip())
    return [Sentence(s, i) for i, s in enumerate(out) if len(s) > 2]
