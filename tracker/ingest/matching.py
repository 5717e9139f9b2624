"""Which event a sentence speaks of: candidates, the words of each event kind and
measure type, the scoring signals and the ranked suggestions (pure functions)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from tracker.ingest.prose_dates import ProseDate, date_match, find_dates
from tracker.ingest.text import Sentence, Statement, split_sentences

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
    "proposed": [("introduced", 0.8)],
    "introduced": [("introduced", 1.0)],
    "first_reading": [("passed", 0.8), ("introduced", 0.6)],
    "hearing": [("hearing", 1.0)],
    "committee_action": [("passed", 0.6)],
    "passed_chamber": [("passed", 1.0)],
    "passed": [("passed", 1.0)],
    "vetoed": [("failed", 1.0)],
    "veto_overridden": [("passed", 0.6)],
    "effective": [("effective", 1.0)],
    "amended": [("restriction", 0.4)],
    "extended": [("extended", 1.0)],
    "expired": [("expired", 1.0)],
    "repealed": [("repealed", 1.0)],
    "withdrawn": [("failed", 1.0)],
    "failed": [("failed", 1.0)],
    "struck_down": [("ruling", 0.8), ("repealed", 0.6)],
    "announcement": [("announcement", 0.7)],
    "report": [("report", 1.0)],
    "lawsuit_filed": [("lawsuit", 1.0)],
    "ruling": [("ruling", 1.0)],
    "settlement": [("settlement", 1.0)],
    "enforcement": [("enforcement", 1.0)],
    "fine": [("fine", 1.0)],
    "advocacy": [("advocacy", 1.0)],
    "shareholder_vote": [("shareholder", 1.0)],
    "deployment": [("deployment", 1.0)],
    "investigation": [("investigation", 1.0)],
}

# How much an event of each kind is, a priori, the thing a statement is about.
KIND_PRIOR = {
    **{
        k: 1.0
        for k in (
            "adopted",
            "effective",
            "extended",
            "expired",
            "repealed",
            "vetoed",
            "veto_overridden",
            "struck_down",
        )
    },
    **{k: 0.85 for k in ("introduced", "first_reading", "passed", "passed_chamber", "failed", "withdrawn")},
    **{k: 0.75 for k in ("report", "lawsuit_filed", "ruling", "settlement", "fine", "enforcement")},
}

_STOPWORD_TEXT = """
a an the of to in on for and or by with from at as its it is are was were be been this that these
those into over under than not no city council county state law act bill ban bans face facial
recognition surveillance use police city's votes vote passes passed adopts adopted signs signed
announces takes effect government"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def kind_words(candidate: Candidate) -> list[tuple[str, float]]:
    """Which word families describe this event, with how well each fits."""
    words = list(EVENT_KIND_WORDS.get(candidate.kind, []))
    if (
        candidate.kind in ("adopted", "effective", "extended", "passed", "first_reading")
        and candidate.measure_type
    ):
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
    words = {
        w
        for w in re.findall(r"[a-z0-9]+", _norm(title).lower())
        if (len(w) >= 4 or w.isdigit()) and w not in STOPWORDS and w not in exclude
    }
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
        return {
            "event": self.event,
            "date": self.date,
            "title": self.title,
            "role": self.role,
            "score": round(self.score, 3),
            "quote": self.quote,
        }


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
        raw = self.entity * (
            0.4
            + 0.18 * self.kind
            + 0.2 * self.date
            + 0.12 * self.detail
            + 0.08 * self.topic
            + 0.15 * self.specificity
        )
        return raw * (0.7 + 0.3 * prior)


def _hits_in_sentence(
    sentence: Sentence,
    dates: list[ProseDate],
    candidates: list[Candidate],
    term_cache: dict[str, float],
    context: _Context,
) -> list[_Hit]:
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
        elif any(
            re.search(TOPIC_WORDS[t], text, re.IGNORECASE) for t in cand.technologies if t in TOPIC_WORDS
        ):
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
    if (
        recent
        and publisher
        and any(
            t.group == f"actor:{candidate.actor}" and term_match(t.text, publisher) >= 0.9
            for t in candidate.terms
        )
    ):
        return (
            "primary_record"
            if kind in ("legislation", "government_record", "court_document")
            else "announcement"
        )
    if ref is not None and abs((ref - candidate.date).days) <= 2 and candidate.precision == "day":
        return "news_report" if kind == "news_article" else "reaction"
    if kind == "news_article" and hit_date >= 0.9:
        return "news_report"
    return "mention"


DEFAULT_MIN_SCORE = 0.4


def suggest(
    statement: Statement, candidates: list[Candidate], limit: int = 20, min_score: float = DEFAULT_MIN_SCORE
) -> list[Suggestion]:
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
        out.append(
            Suggestion(
                event=slug,
                date=cand.date.isoformat(),
                title=cand.title,
                role=propose_role(cand, statement, hit.date),
                score=round(score, 3),
                quote=hit.sentence.text,
                reasons=hit.reasons,
            )
        )
    out.sort(key=lambda s: (-s.score, s.date, s.event))
    return out[:limit]
