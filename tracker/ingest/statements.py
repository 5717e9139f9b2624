"""Statement text → suggested citations.

An editor pastes a statement (or uploads .txt/.html); this module proposes the source's
metadata and, for each event in the database the statement speaks of, the supporting
sentence, a citation role and a score in 0..1, best first.

How a sentence is matched to an event (each signal is a pure function below):

- *entities*: the event's actor, its place and its measure, with their name variants (actor
  aliases, measure identifiers and aliases), found verbatim or fuzzily (rapidfuzz);
- *kind*: words that describe what happened ("moratorium", "ban", "extend", "introduced");
- *date*: dates written in the sentence ("In May of 2018", "July 2018", "two years ago",
  "today"), resolved against the statement's own date, compared with the event's date;
- *detail*: distinctive words of the event's title ("Rekognition", "28", "members").

An entity is required; the other signals raise the score. When several events of the same
entity match one sentence, those with weaker kind/date/detail evidence are pushed down, and
events dated after the statement are never proposed (a statement cannot report its future).
Everything except :func:`load_candidates` is pure: a list of :class:`Candidate` and a
:class:`Statement` in, a ranked list of :class:`Suggestion` out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from tracker.core import vocab
from tracker.db.models import Actor, Event, Measure, split_multi

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
    from bs4 import BeautifulSoup

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
    from bs4 import BeautifulSoup

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


MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
MONTH_ABBR = {m[:3]: i for m, i in MONTHS.items()} | {"sept": 9}
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December" \
         r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"

# Actor kinds that publish statements (places do not; their councils and agencies do).
PUBLISHER_KINDS = ("organisation", "company", "agency", "legislature", "court",
                   "international_body", "person")
Publisher = tuple[list[str], str]  # (names and aliases to look for, name to propose)


def _month_number(name: str) -> int:
    name = name.lower().rstrip(".")
    return MONTHS.get(name) or MONTH_ABBR[name[:4] if name.startswith("sept") else name[:3]]


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

ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "sen", "sens", "rep", "reps", "gov", "jr", "sr",
                 "inc", "co", "corp", "no", "vs", "v", "u.s", "mass", "calif", "gen", "lt",
                 "asm", "assemblymember", "ald", "cllr", "h.r", "s", "e.g", "i.e", "ave"}


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
            before = block[start:match.start() + 1]
            last_word = re.findall(r"([A-Za-z.]+)\.$", before)
            word = last_word[0].lower() if last_word else ""
            if word in ABBREVIATIONS or re.fullmatch(r"[a-z]", word):
                continue
            out.append(block[start:match.end()].strip())
            start = match.end()
        if block[start:].strip():
            out.append(block[start:].strip())
    return [Sentence(s, i) for i, s in enumerate(out) if len(s) > 2]


# --- dates in prose -----------------------------------------------------------------------------

NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 3, "a few": 2}
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
    for m in re.finditer(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(\d{4})\b", text,
                         re.IGNORECASE):
        d = _safe_date(int(m[3]), _month_number(m[2]), int(m[1]))
        add(m, ProseDate(d, d + dt.timedelta(days=1), "day", m[0]) if d else None)
    for m in re.finditer(_MONTH + r",?\s+(?:of\s+)?(\d{4})\b", text, re.IGNORECASE):
        if m[1].lower() == "may" and not re.match(r"[A-Z]", m[1]):
            continue  # "may 2020" in lower case is more likely the verb
        d = dt.date(int(m[2]), _month_number(m[1]), 1)
        add(m, ProseDate(d, _month_end(d), "month", m[0]))
    for m in re.finditer(r"\b(?:in|since|during|by|of|early|late|mid-?)\s+(19[89]\d|20[0-4]\d)\b", text,
                         re.IGNORECASE):
        y = int(m[1])
        add(m, ProseDate(dt.date(y, 1, 1), dt.date(y + 1, 1, 1), "year", m[0]))
    if ref is None:
        return found
    for m in re.finditer(r"\b(today|yesterday|this week|last week|this month|last month|this year"
                         r"|last year|next week|next month|next year|earlier this (?:year|month))\b",
                         text, re.IGNORECASE):
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
    for m in re.finditer(r"\b(a few|an?|one|two|three|four|five|six|seven|eight|nine|ten|several|\d+)\s+"
                         r"(year|month|week|day)s?\s+(?:ago|earlier|before)\b", text, re.IGNORECASE):
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


# --- candidates ----------------------------------------------------------------------------------


@dataclass
class Term:
    text: str
    group: str  # what the term names, e.g. "actor:amazon": events sharing it compete
    weight: float = 1.0
    context: tuple[str, ...] = ()  # names that confirm it (a city's state)


@dataclass
class Candidate:
    slug: str
    date: dt.date
    precision: str
    kind: str
    title: str
    measure_type: str | None = None
    actor: str = ""
    scope: str | None = None
    technologies: tuple[str, ...] = ()
    terms: list[Term] = field(default_factory=list)


TOPIC_WORDS = {
    "body_cameras": r"body[- ]?(?:worn )?cam(?:era)?s?\b|body cams?\b",
    "schools": r"\bschools?\b",
    "sales_to_police": r"\b(?:police|law enforcement)\b",
    "police_use": r"\b(?:police|law enforcement)\b",
    "face-recognition": r"\bfac(?:e|ial)[- ](?:recognition|surveillance)\b",
    "predictive-policing": r"\bpredictive policing\b",
}

KIND_WORDS: dict[str, str] = {
    "ban": r"\bban(?:s|ned|ning)?\b|\bprohibit\w*|\bblock(?:s|ed|ing)?\b|\boutlaw\w*|\bbarr?(?:ed|ing|s)?\b"
           r"|\bforbid\w*",
    "moratorium": r"\bmoratori(?:um|a|ums)\b|\bpaus(?:e|es|ed|ing)\b|\bsuspend\w*|\bhalt\w*",
    "restriction": r"\brestrict\w*|\blimit(?:s|ed|ing)?\b|\bregulat\w*|\bguardrails?\b",
    "oversight": r"\boversight\b|\bapprov(?:al|e)\b|\baudits?\b",
    "exit": r"\bexit\w*|\bno longer\b|\bstop(?:s|ped|ping)?\b|\babandon\w*|\bwill not (?:offer|sell)"
            r"|\bshut(?:s|ting)? down\b|\bget(?:ting)? out of\b|\bquit\w*|\bsunset(?:s|ting)? (?:its|their)",
    "adopted": r"\badopt\w*|\benact\w*|\bsign(?:s|ed|ing)?\b|\bapprov\w*|\bannounc\w*|\bpass(?:ed|es)\b"
               r"|\bvot(?:ed|es) to\b",
    "introduced": r"\bintroduc\w*|\bunveil\w*|\bfiled\b|\bproposed\b",
    "passed": r"\bpass(?:ed|es)\b|\bapprov\w*|\bsent .* to the governor\b|\bvot(?:ed|es)\b",
    "effective": r"\btak(?:es|e|ing|en) effect\b|\bin effect\b|\beffective\b|\bin force\b",
    "extended": r"\bextend\w*|\bextension\b|\bindefinite\w*|\bprolong\w*|\brenew\w*",
    "expired": r"\bexpir\w*|\blapse[sd]?\b|\bsunset\w*",
    "repealed": r"\brepeal\w*|\breplac\w*|\boverturn\w*|\brevers\w*|\blift(?:s|ed)?\b",
    "failed": r"\bfail\w*|\bdied\b|\bwithdr[ae]w\w*|\bveto\w*",
    "report": r"\breport\w*|\bstud(?:y|ies)\b|\btest(?:s|ed)?\b|\binvestigation\b|\breveal\w*|\bfound\b"
              r"|\bfindings?\b|\bresults?\b|\baudit\b|\bmatched\b",
    "hearing": r"\bhearings?\b|\btestif\w*",
    "lawsuit": r"\bsu(?:e|ed|es|ing)\b|\blawsuit\w*|\bcomplaint\b|\bfiled suit\b",
    "ruling": r"\brul(?:ed|ing)\b|\bjudge\b|\bdecision\b|\bdecided\b",
    "settlement": r"\bsettle\w*",
    "fine": r"\bfine[sd]?\b|\bpenalt\w*",
    "announcement": r"\bannounc\w*|\bsaid\b|\bcall(?:ed|s)? (?:on|for)\b|\burg(?:e|ed|es)\b",
    "advocacy": r"\bletter\b|\bcoalition\b|\bcampaign\w*|\burg(?:e|ed|es|ing)\b|\bpetition\w*|\bcalling\b",
    "shareholder": r"\bshareholders?\b|\binvestors?\b",
    "deployment": r"\bdeploy\w*|\brolled out\b|\bbeg[ia]n using\b|\broll-?out\b",
    "investigation": r"\binvestigat\w*|\binquiry\b|\bprobe\b",
    "enforcement": r"\border(?:ed|s)?\b|\benforce\w*",
}

MEASURE_TYPE_WORDS = {
    "ban": [("ban", 1.0), ("moratorium", 0.7)],
    "moratorium": [("moratorium", 1.0), ("ban", 0.8)],
    "restriction": [("restriction", 1.0), ("ban", 0.5)],
    "oversight": [("oversight", 1.0), ("restriction", 0.6)],
    "corporate_moratorium": [("moratorium", 1.0), ("exit", 0.6)],
    "corporate_exit": [("exit", 1.0), ("moratorium", 0.6)],
    "corporate_restriction": [("restriction", 1.0), ("exit", 0.6)],
    "court_order": [("ruling", 1.0), ("settlement", 0.6)],
    "settlement": [("settlement", 1.0)],
    "resolution": [("announcement", 0.8)],
    "discontinuation": [("exit", 1.0), ("ban", 0.5)],
}

EVENT_KIND_WORDS = {
    "proposed": [("introduced", 0.8)], "introduced": [("introduced", 1.0)],
    "first_reading": [("passed", 0.8), ("introduced", 0.6)],
    "hearing": [("hearing", 1.0)], "committee_action": [("passed", 0.6)],
    "passed_chamber": [("passed", 1.0)], "passed": [("passed", 1.0)], "vetoed": [("failed", 1.0)],
    "veto_overridden": [("passed", 0.6)], "effective": [("effective", 1.0)],
    "amended": [("restriction", 0.4)], "extended": [("extended", 1.0)], "expired": [("expired", 1.0)],
    "repealed": [("repealed", 1.0)], "withdrawn": [("failed", 1.0)], "failed": [("failed", 1.0)],
    "struck_down": [("ruling", 0.8), ("repealed", 0.6)], "announcement": [("announcement", 0.7)],
    "report": [("report", 1.0)], "lawsuit_filed": [("lawsuit", 1.0)], "ruling": [("ruling", 1.0)],
    "settlement": [("settlement", 1.0)], "enforcement": [("enforcement", 1.0)], "fine": [("fine", 1.0)],
    "advocacy": [("advocacy", 1.0)], "shareholder_vote": [("shareholder", 1.0)],
    "deployment": [("deployment", 1.0)], "investigation": [("investigation", 1.0)],
}

# How much an event of each kind is, a priori, the thing a statement is about.
KIND_PRIOR = {**{k: 1.0 for k in ("adopted", "effective", "extended", "expired", "repealed", "vetoed",
                                  "veto_overridden", "struck_down")},
              **{k: 0.85 for k in ("introduced", "first_reading", "passed", "passed_chamber", "failed",
                                   "withdrawn")},
              **{k: 0.75 for k in ("report", "lawsuit_filed", "ruling", "settlement", "fine",
                                   "enforcement")}}

_STOPWORD_TEXT = """
a an the of to in on for and or by with from at as its it is are was were be been this that these
those into over under than not no city council county state law act bill ban bans face facial
recognition surveillance use police city's votes vote passes passed adopts adopted signs signed
announces takes effect government"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def kind_words(candidate: Candidate) -> list[tuple[str, float]]:
    """Which word families describe this event, with how well each fits."""
    words = list(EVENT_KIND_WORDS.get(candidate.kind, []))
    if candidate.kind in ("adopted", "effective", "extended", "passed", "first_reading") \
            and candidate.measure_type:
        # The measure's own words ("ban", "moratorium") fit its adoption best.
        scale = {"adopted": 1.0, "first_reading": 0.5}.get(candidate.kind, 0.7)
        words += [(f, w * scale) for f, w in MEASURE_TYPE_WORDS.get(candidate.measure_type, [])]
    if candidate.kind == "adopted":
        words.append(("adopted", 0.6))
    return words


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text)


def term_match(term: str, sentence: str) -> float:
    """1.0 when the term occurs as words; a fuzzy score (rapidfuzz) for near spellings of long
    terms ("Amazon Rekognition" in "Amazon's Rekognition"); 0 otherwise."""
    term = _norm(term).strip()
    if not term:
        return 0.0
    flags = 0 if (term.isupper() and len(term) <= 5) else re.IGNORECASE
    if re.search(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", sentence, flags):
        return 1.0
    if len(term) >= 10 and len(sentence) > len(term) + 5:
        score = fuzz.partial_ratio(term.lower(), sentence.lower(), score_cutoff=88)
        if score:
            return 0.9 * score / 100
    return 0.0


def detail_match(title: str, sentence: str, exclude: set[str]) -> float:
    """The share of the title's distinctive words that occur in the sentence."""
    words = {w for w in re.findall(r"[a-z0-9]+", _norm(title).lower())
             if (len(w) >= 4 or w.isdigit()) and w not in STOPWORDS and w not in exclude}
    if not words:
        return 0.0
    present = set(re.findall(r"[a-z0-9]+", _norm(sentence).lower()))
    return len(words & present) / len(words)


@dataclass
class Suggestion:
    event: str
    date: str
    title: str
    role: str
    score: float
    quote: str
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"event": self.event, "date": self.date, "title": self.title, "role": self.role,
                "score": round(self.score, 3), "quote": self.quote}


@dataclass
class _Hit:
    candidate: Candidate
    sentence: Sentence
    entity: float
    group: str
    kind: float
    date: float
    detail: float
    topic: float
    specificity: float
    reasons: list[str]

    @property
    def evidence(self) -> float:
        return self.kind + self.date + self.detail

    @property
    def score(self) -> float:
        prior = KIND_PRIOR.get(self.candidate.kind, 0.6)
        raw = self.entity * (0.4 + 0.18 * self.kind + 0.2 * self.date + 0.12 * self.detail
                             + 0.08 * self.topic + 0.15 * self.specificity)
        return raw * (0.7 + 0.3 * prior)


def _hits_in_sentence(sentence: Sentence, dates: list[ProseDate], candidates: list[Candidate],
                      term_cache: dict[str, float], context: _Context) -> list[_Hit]:
    text = _norm(sentence.text)
    hits = []
    for cand in candidates:
        best, group, matched = 0.0, "", ""
        for term in cand.terms:
            key = term.text
            if key not in term_cache:
                term_cache[key] = term_match(key, text)
            score = term_cache[key] * term.weight
            if term.group in context.author_groups:
                score *= 0.6  # the author's own name is in every sentence of its statements
            if score and term.context:
                confirmed = any(term_match(c, text) for c in term.context)
                score *= 1.0 if confirmed else 0.85
            if score > best:
                best, group, matched = score, term.group, term.text
        if best < 0.5:
            continue
        kind = 0.0
        for family, weight in kind_words(cand):
            if re.search(KIND_WORDS[family], text, re.IGNORECASE):
                kind = max(kind, weight)
        date = date_match(dates, cand.date, cand.precision)
        exclude = {w for t in cand.terms for w in re.findall(r"[a-z0-9]+", t.text.lower())}
        detail = detail_match(cand.title, text, exclude)
        # The measure's scope ("body cams") is specific; a technology's name much less so.
        topic = 0.0
        if cand.scope in TOPIC_WORDS and re.search(TOPIC_WORDS[cand.scope], text, re.IGNORECASE):
            topic = 1.0
        elif any(re.search(TOPIC_WORDS[t], text, re.IGNORECASE)
                 for t in cand.technologies if t in TOPIC_WORDS):
            topic = 0.4
        reasons = [f"names {matched!r}"]
        if kind:
            reasons.append("describes the kind of event")
        if date:
            reasons.append("gives a matching date")
        if detail >= 0.3:
            reasons.append("shares words with the event's title")
        specificity = 1.0 / context.group_sizes.get(group, 1)
        hits.append(_Hit(cand, sentence, best, group, kind, date, detail, topic, specificity, reasons))
    # Events of the same entity compete: weaker evidence in this sentence is pushed down; and
    # a bare name beside a well-evidenced event is probably not about its own events.
    by_group: dict[str, float] = {}
    for hit in hits:
        by_group[hit.group] = max(by_group.get(hit.group, 0.0), hit.evidence)
    strongest = max((hit.evidence for hit in hits), default=0.0)
    for hit in hits:
        if hit.evidence + 0.25 < by_group[hit.group]:
            hit.entity *= 0.6
        elif hit.evidence == 0 and strongest >= 1.0:
            hit.entity *= 0.8
    return hits


@dataclass
class _Context:
    author_groups: set[str]
    group_sizes: dict[str, int]


def _context(statement: Statement, candidates: list[Candidate]) -> _Context:
    publisher = _norm(statement.meta.get("publisher") or "")
    author: set[str] = set()
    sizes: dict[str, set[str]] = {}
    for cand in candidates:
        for term in cand.terms:
            sizes.setdefault(term.group, set()).add(cand.slug)
            if publisher and term.group.startswith("actor:") and term_match(term.text, publisher) >= 0.9:
                author.add(term.group)
    return _Context(author, {g: len(s) for g, s in sizes.items()})


def propose_role(candidate: Candidate, statement: Statement, hit_date: float) -> str:
    """Announcement when the publisher is the event's actor; on the statement's own day a
    news report (news) or a reaction (anyone else's statement); otherwise a mention."""
    publisher = _norm(statement.meta.get("publisher") or "")
    kind = statement.meta.get("kind") or "statement"
    ref = statement.date
    recent = ref is not None and 0 <= (ref - candidate.date).days <= 7
    if recent and publisher and any(t.group == f"actor:{candidate.actor}" and
                                    term_match(t.text, publisher) >= 0.9 for t in candidate.terms):
        return "primary_record" if kind in ("legislation", "government_record", "court_document") \
            else "announcement"
    if ref is not None and abs((ref - candidate.date).days) <= 2 and candidate.precision == "day":
        return "news_report" if kind == "news_article" else "reaction"
    if kind == "news_article" and hit_date >= 0.9:
        return "news_report"
    return "mention"


DEFAULT_MIN_SCORE = 0.4


def suggest(statement: Statement, candidates: list[Candidate], limit: int = 20,
            min_score: float = DEFAULT_MIN_SCORE) -> list[Suggestion]:
    """Ranked citation suggestions: at most one per event, its best sentence as the quote."""
    ref = statement.date
    if ref is not None:
        candidates = [c for c in candidates if c.date <= ref]
    context = _context(statement, candidates)
    best: dict[str, _Hit] = {}
    mentions: dict[str, int] = {}
    cache_by_sentence: dict[int, dict[str, float]] = {}
    for sentence in split_sentences(statement.text):
        dates = find_dates(sentence.text, ref)
        cache = cache_by_sentence.setdefault(sentence.index, {})
        for hit in _hits_in_sentence(sentence, dates, candidates, cache, context):
            slug = hit.candidate.slug
            mentions[slug] = mentions.get(slug, 0) + 1
            if slug not in best or hit.score > best[slug].score:
                best[slug] = hit
    out = []
    for slug, hit in best.items():
        score = min(1.0, hit.score + 0.03 * min(mentions[slug] - 1, 3))
        if score < min_score:
            continue
        cand = hit.candidate
        out.append(Suggestion(
            event=slug, date=cand.date.isoformat(), title=cand.title,
            role=propose_role(cand, statement, hit.date), score=round(score, 3),
            quote=hit.sentence.text, reasons=hit.reasons,
        ))
    out.sort(key=lambda s: (-s.score, s.date, s.event))
    return out[:limit]


# --- from the database ---------------------------------------------------------------------------


def _names(actor) -> list[str]:
    return [actor.name, *actor.alias_list] if actor is not None else []


def candidate_from_event(event) -> Candidate:
    """The matching terms of one event: its actor (and, for a council or agency, the place it
    belongs to), its place, and its measure's identifiers and aliases."""
    terms: list[Term] = []
    actor = event.actor
    # A state or country acting is named by a name shared with many other events.
    actor_weight = {"region": 0.85, "country": 0.7}.get(actor.kind, 1.0)
    for name in _names(actor):
        terms.append(Term(name, f"actor:{actor.slug}", actor_weight))
    if actor.kind in ("legislature", "agency", "court") and actor.parent is not None \
            and actor.parent.kind != "country":
        for name in _names(actor.parent):
            terms.append(Term(name, f"place:{actor.parent.slug}", 0.9))
    if actor.kind in ("company", "organisation") and actor.parent is not None:
        for name in _names(actor.parent):
            terms.append(Term(name, f"actor:{actor.parent.slug}", 0.9))
    place = event.place
    if place is not None and place.kind != "country":
        context = tuple(_names(place.parent)) if place.parent is not None and \
            place.parent.kind != "country" else ()
        weight = 1.0 if place.kind in ("city", "county") else 0.85
        for name in _names(place):
            terms.append(Term(name, f"place:{place.slug}", weight, context))
    measure = event.measure
    if measure is not None:
        for name in [*measure.identifier_list, *measure.alias_list]:
            terms.append(Term(name, f"measure:{measure.slug}", 1.0))
        for name in _names(measure.adopted_by):
            terms.append(Term(name, f"actor:{measure.adopted_by.slug}", 0.9))
    seen: set[tuple[str, str]] = set()
    unique = []
    for term in terms:
        key = (term.text.lower(), term.group)
        if key not in seen and len(term.text) >= 2:
            seen.add(key)
            unique.append(term)
    technologies = tuple(t.slug for t in event.all_technologies)
    return Candidate(
        slug=event.slug, date=event.date, precision=event.date_precision, kind=event.kind,
        title=event.title, measure_type=measure.measure_type if measure else None, actor=actor.slug,
        scope=measure.scope if measure else None, technologies=technologies, terms=unique,
    )


def load_candidates(session) -> list[Candidate]:
    """Every event in the database as a :class:`Candidate`."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload


    events = session.scalars(
        select(Event).options(
            selectinload(Event.actor).selectinload(Actor.parent),
            selectinload(Event.jurisdiction).selectinload(Actor.parent),
            selectinload(Event.measure).selectinload(Measure.jurisdiction).selectinload(Actor.parent),
            selectinload(Event.measure).selectinload(Measure.adopted_by),
            selectinload(Event.measure).selectinload(Measure.technologies),
            selectinload(Event.technologies),
        ).order_by(Event.date, Event.slug)
    ).all()
    return [candidate_from_event(e) for e in events]


assert set(KIND_PRIOR) <= set(vocab.EVENT_KINDS.codes)


def load_publishers(session) -> list[Publisher]:
    """The record's possible publishers: names and aliases of its non-place actors."""
    from sqlalchemy import select


    rows = session.execute(
        select(Actor.name, Actor.aliases).where(Actor.kind.in_(PUBLISHER_KINDS)).order_by(Actor.slug)
    ).all()
    return [([name, *split_multi(aliases)], name) for name, aliases in rows]
