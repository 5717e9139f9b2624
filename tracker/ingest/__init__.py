"""Ingestion: statement text → suggested citations.

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

The modules: ``text`` (HTML to text, header, metadata, sentences), ``prose_dates``,
``matching`` (signals and :func:`suggest`), ``candidates`` (from the database). May import
``core`` and ``db``; the editor routes that use it live in ``editing``. The names below are
the package's interface.
"""

from tracker.ingest.candidates import candidate_from_event, load_candidates, load_publishers
from tracker.ingest.matching import (
    DEFAULT_MIN_SCORE,
    EVENT_KIND_WORDS,
    KIND_PRIOR,
    KIND_WORDS,
    MEASURE_TYPE_WORDS,
    Candidate,
    Suggestion,
    Term,
    suggest,
    term_match,
)
from tracker.ingest.prose_dates import ProseDate, find_dates
from tracker.ingest.text import (
    STATEMENT_MAX_CHARS,
    STATEMENT_MAX_UPLOAD_BYTES,
    Statement,
    html_to_text,
    parse_header,
    read_statement,
    split_sentences,
)

__all__ = [
    "DEFAULT_MIN_SCORE",
    "EVENT_KIND_WORDS",
    "KIND_PRIOR",
    "KIND_WORDS",
    "MEASURE_TYPE_WORDS",
    "STATEMENT_MAX_CHARS",
    "STATEMENT_MAX_UPLOAD_BYTES",
    "Candidate",
    "ProseDate",
    "Statement",
    "Suggestion",
    "Term",
    "candidate_from_event",
    "find_dates",
    "html_to_text",
    "load_candidates",
    "load_publishers",
    "parse_header",
    "read_statement",
    "split_sentences",
    "suggest",
    "term_match",
]
