"""The domain model: actors, technologies, measures, events, sources and citations.

Facts are *events*; users ask about *measures*. A measure's status is derived from its
events by :mod:`tracker.core.status`; the derived periods are kept in ``measure_periods``
(never edited, rewritten with every change: :mod:`tracker.db.periods`). Integrity rules
live in the database too (foreign keys, unique slugs, CHECK constraints on vocabularies,
precisions and URLs), so a row written by any tool, not only through this package, obeys
them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    FromClause,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
    update,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    relationship,
    scoped_session,
)

from tracker.core import vocab
from tracker.core.places import place_display_name

# Named constraints so Alembic migrations are reproducible on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

#: A database session as the functions below the web layer take it: a plain ``Session``
#: (scripts, tests) or Flask-SQLAlchemy's ``db.session``, the app-context-scoped proxy that
#: forwards every call to one (passed as it is, so a streamed response keeps the proxy).
DbSession: TypeAlias = Session | scoped_session[Any]
T = TypeVar("T")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, terms: vocab.Vocabulary | tuple[str, ...], nullable: bool = False) -> str:
    codes = terms.codes if isinstance(terms, vocab.Vocabulary) else list(terms)
    listed = ", ".join(f"'{c}'" for c in codes)
    clause = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {clause}" if nullable else clause


def _slug_check(column: str = "slug") -> str:
    # SQLite has no regular expressions, so the shape is approximated portably; the full
    # pattern is enforced by tracker.slugs in the loader and the forms.
    reserved = ", ".join(f"'{s}'" for s in sorted(vocab.RESERVED_SLUGS))
    return (
        f"{column} <> '' AND {column} = lower({column}) AND {column} NOT LIKE '%.%' "
        f"AND {column} NOT LIKE '% %' AND {column} NOT LIKE '-%' AND {column} NOT LIKE '%-' "
        f"AND {column} NOT IN ({reserved})"
    )


def _codes_check(column: str, terms: vocab.Vocabulary) -> str:
    """A ``; ``-separated list of a vocabulary's codes (a measure's scopes, its requirements).

    SQL has no portable way to split a string, so every known code is removed (longest
    first, so no code eats part of a longer one) and nothing but separators may remain. The
    exact shape (order, no repeats) is enforced by the loader and the forms."""
    expr = column
    for code in sorted(terms.codes, key=len, reverse=True):
        expr = f"replace({expr}, '{code}', '')"
    return f"{column} IS NULL OR ({column} <> '' AND replace({expr}, '; ', '') = '')"


def _url_check(column: str) -> str:
    return f"{column} IS NULL OR {column} LIKE 'http://%' OR {column} LIKE 'https://%'"


class Timestamped:
    """Created/updated timestamps and a version counter used for optimistic locking."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Indexed: the dataset's fingerprint (HTTP caching, status cache) takes max(updated_at)
    # of every table on each request; without an index that is a full scan.
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False, index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    if TYPE_CHECKING:  # set by the declarative mapping of each model that mixes this in
        __table__: ClassVar[FromClause]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        # SQLAlchemy bumps `version` on every UPDATE and refuses a stale one (StaleDataError).
        return {"version_id_col": cls.__table__.c.version}


measure_technologies = Table(
    "measure_technologies",
    Base.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("technology_id", ForeignKey("technologies.id", ondelete="RESTRICT"), primary_key=True),
)

event_technologies = Table(
    "event_technologies",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("technology_id", ForeignKey("technologies.id", ondelete="RESTRICT"), primary_key=True),
)

# A measure's coverage can change on a date: an event (usually `amended`) adds technologies to
# its measure from that day, or removes them (New Orleans' 2020 ban lost face recognition and
# cell-site simulators in 2022 and kept the rest).
event_technologies_added = Table(
    "event_technologies_added",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("technology_id", ForeignKey("technologies.id", ondelete="RESTRICT"), primary_key=True),
)

event_technologies_removed = Table(
    "event_technologies_removed",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("technology_id", ForeignKey("technologies.id", ondelete="RESTRICT"), primary_key=True),
)


class Technology(Timestamped, Base):
    __tablename__ = "technologies"
    __table_args__ = (CheckConstraint(_slug_check(), name="slug_shape"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Technology {self.slug}>"


class Actor(Timestamped, Base):
    __tablename__ = "actors"
    __table_args__ = (
        CheckConstraint(_slug_check(), name="slug_shape"),
        CheckConstraint(_in("kind", vocab.ACTOR_KINDS), name="kind_vocab"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates_pair"),
        CheckConstraint("country IS NULL OR length(country) = 2", name="country_code"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    aliases: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="RESTRICT"), index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    region: Mapped[str | None] = mapped_column(String(10), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    coordinates_source: Mapped[str | None] = mapped_column(String(300))

    parent: Mapped[Actor | None] = relationship(remote_side="Actor.id", back_populates="children")
    # By name: pages and JSON list them in an order a reader can scan, not in the order
    # rows happened to be inserted (which differs between loaders and engines).
    children: Mapped[list[Actor]] = relationship(back_populates="parent", order_by="Actor.name")

    @property
    def alias_list(self) -> list[str]:
        return split_multi(self.aliases)

    @property
    def is_place(self) -> bool:
        return self.kind in vocab.PLACE_KINDS

    @property
    def display_name(self) -> str:
        """The name pages print: "Portland, Maine", not "Portland" (core.places)."""
        return place_display_name(self.name, self.kind, self.country, self.region)

    def __repr__(self) -> str:
        return f"<Actor {self.slug}>"


class Measure(Timestamped, Base):
    __tablename__ = "measures"
    __table_args__ = (
        CheckConstraint(_slug_check(), name="slug_shape"),
        CheckConstraint(_in("measure_type", vocab.MEASURE_TYPES), name="type_vocab"),
        CheckConstraint(_codes_check("scope", vocab.SCOPES), name="scope_vocab"),
        CheckConstraint(_codes_check("requirements", vocab.REQUIREMENTS), name="requirements_vocab"),
        CheckConstraint("replaces_id IS NULL OR replaces_id <> id", name="not_self_replacing"),
        CheckConstraint("session_end IS NULL OR legislative_session IS NOT NULL", name="session_named"),
        CheckConstraint(
            "(status_checked_on IS NULL) = (status_checked_source_id IS NULL)", name="status_check_pair"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(400), nullable=False)
    measure_type: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    # One or more SCOPES codes, '; '-separated, broadest first (Baltimore's moratorium covered
    # private use and city agencies).
    scope: Mapped[str | None] = mapped_column(String(200))
    adopted_by_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    jurisdiction_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="RESTRICT"), index=True
    )
    identifiers: Mapped[str | None] = mapped_column(Text)
    aliases: Mapped[str | None] = mapped_column(Text)
    sunset: Mapped[dt.date | None] = mapped_column(Date)
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("measures.id", ondelete="SET NULL"), index=True, active_history=True
    )
    # The legislative session a bill belongs to ("116th Congress") and its last day: a bill
    # not enacted by then has failed from the next day (tracker.status).
    legislative_session: Mapped[str | None] = mapped_column(String(200))
    session_end: Mapped[dt.date | None] = mapped_column(Date)
    # What an oversight measure requires: REQUIREMENTS codes, '; '-separated.
    requirements: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    # When an editor last confirmed the measure's status against a source, and that source:
    # how fresh the record of it is (tracker.core.freshness). Set together or not at all.
    status_checked_on: Mapped[dt.date | None] = mapped_column(Date)
    status_checked_source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )

    adopted_by: Mapped[Actor] = relationship(foreign_keys=[adopted_by_id])
    status_checked_source: Mapped[Source | None] = relationship()
    jurisdiction: Mapped[Actor | None] = relationship(foreign_keys=[jurisdiction_id])
    # active_history: the value a change replaces is loaded when it is set, so the derived
    # periods of the measure it used to replace are rewritten too (tracker.db.periods).
    replaces: Mapped[Measure | None] = relationship(remote_side="Measure.id", active_history=True)
    technologies: Mapped[list[Technology]] = relationship(
        secondary=measure_technologies, order_by="Technology.slug"
    )
    events: Mapped[list[Event]] = relationship(back_populates="measure", order_by="(Event.date, Event.slug)")

    @property
    def identifier_list(self) -> list[str]:
        return split_multi(self.identifiers)

    @property
    def scope_list(self) -> list[str]:
        return split_multi(self.scope)

    @property
    def requirement_list(self) -> list[str]:
        return split_multi(self.requirements)

    @property
    def alias_list(self) -> list[str]:
        return split_multi(self.aliases)

    def __repr__(self) -> str:
        return f"<Measure {self.slug}>"


class Event(Timestamped, Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(_slug_check(), name="slug_shape"),
        CheckConstraint(_in("kind", vocab.EVENT_KINDS), name="kind_vocab"),
        CheckConstraint(_in("date_precision", vocab.DATE_PRECISIONS), name="precision_vocab"),
        CheckConstraint(_in("certainty", vocab.CERTAINTIES), name="certainty_vocab"),
        CheckConstraint("new_sunset IS NULL OR kind = 'extended'", name="new_sunset_extended"),
        CheckConstraint(_codes_check("new_scope", vocab.SCOPES), name="new_scope_vocab"),
        CheckConstraint("new_scope IS NULL OR measure_id IS NOT NULL", name="new_scope_measure"),
        Index("ix_events_date_slug", "date", "slug"),
        # The timeline's counts per day and kind, from the index alone.
        Index("ix_events_date_kind", "date", "kind"),
        # A measure's events in date order: its first date (list order) and its lifecycle.
        Index("ix_events_measure_date", "measure_id", "date"),
        # The facet counts' groups of events (queries.facets_and_total), read in order
        # from the index alone.
        Index("ix_events_facet_groups", "measure_id", "jurisdiction_id", "actor_id"),
        # The few events that change a measure's scope, for the map's scope on a date.
        Index(
            "ix_events_new_scope",
            "measure_id",
            "date",
            sqlite_where=text("new_scope IS NOT NULL"),
            postgresql_where=text("new_scope IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    date_precision: Mapped[str] = mapped_column(String(5), nullable=False, default="day")
    certainty: Mapped[str] = mapped_column(String(12), nullable=False, default="verified")
    date_note: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    # Indexed as the first column of ix_events_measure_date and ix_events_facet_groups.
    measure_id: Mapped[int | None] = mapped_column(
        ForeignKey("measures.id", ondelete="RESTRICT"), active_history=True
    )
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    jurisdiction_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(400), nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)
    new_sunset: Mapped[dt.date | None] = mapped_column(Date)
    # The measure's scope from this event on (SCOPES codes, '; '-separated).
    new_scope: Mapped[str | None] = mapped_column(String(200))
    fact_id: Mapped[str | None] = mapped_column(String(20))
    # The curators' judgement that the event rests on one source, or on secondary and
    # aggregator pages only, and needs confirmation before it is relied on: pages and exports
    # say so (tracker.render.formatting.evidence_caveat) whatever the citations look like.
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    # active_history: moving an event rewrites the derived periods of the measure it left.
    measure: Mapped[Measure | None] = relationship(back_populates="events", active_history=True)
    # active_history: the facet counts need the actor an event had before a change
    # (tracker.db.periods notes both).
    actor: Mapped[Actor] = relationship(foreign_keys=[actor_id], active_history=True)
    jurisdiction: Mapped[Actor | None] = relationship(foreign_keys=[jurisdiction_id])
    technologies: Mapped[list[Technology]] = relationship(
        secondary=event_technologies, order_by="Technology.slug"
    )
    # Technologies the measure covers from this event on, or no longer covers.
    technologies_added: Mapped[list[Technology]] = relationship(
        secondary=event_technologies_added, order_by="Technology.slug"
    )
    technologies_removed: Mapped[list[Technology]] = relationship(
        secondary=event_technologies_removed, order_by="Technology.slug"
    )
    citations: Mapped[list[Citation]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Citation.id"
    )

    @property
    def place(self) -> Actor | None:
        """Where the event happens: its measure's jurisdiction, its own, or its actor."""
        if self.measure is not None and self.measure.jurisdiction is not None:
            return self.measure.jurisdiction
        return self.jurisdiction

    @property
    def all_technologies(self) -> list[Technology]:
        techs = {t.slug: t for t in self.technologies}
        if self.measure is not None:
            techs.update({t.slug: t for t in self.measure.technologies})
        return [techs[k] for k in sorted(techs)]

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Source(Timestamped, Base):
    __tablename__ = "sources"
    __table_args__ = (
        CheckConstraint(_slug_check(), name="slug_shape"),
        CheckConstraint(_in("kind", vocab.SOURCE_KINDS), name="kind_vocab"),
        CheckConstraint(_url_check("url"), name="url_http"),
        CheckConstraint(_url_check("archive_url"), name="archive_url_http"),
        CheckConstraint(
            _in("published_precision", vocab.DATE_PRECISIONS, nullable=True),
            name="precision_vocab",
        ),
        CheckConstraint("(published IS NULL) = (published_precision IS NULL)", name="published_pair"),
        CheckConstraint(_in("published_certainty", vocab.CERTAINTIES, nullable=True), name="certainty_vocab"),
        CheckConstraint("published_certainty IS NULL OR published IS NOT NULL", name="certainty_dated"),
        CheckConstraint("(text IS NULL) = (sha256 IS NULL)", name="text_hash_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    title: Mapped[str | None] = mapped_column(String(500))
    publisher: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    url: Mapped[str | None] = mapped_column(String(2000))
    published: Mapped[dt.date | None] = mapped_column(Date)
    published_precision: Mapped[str | None] = mapped_column(String(5))
    # How the publication date is known: read on the page (verified), or worked out from its
    # web address (derived).
    published_certainty: Mapped[str | None] = mapped_column(String(12))
    accessed: Mapped[dt.date | None] = mapped_column(Date)
    archive_url: Mapped[str | None] = mapped_column(String(2000))
    # What a reader should know about the source itself ("copy of a Santa Cruz Sentinel
    # article").
    note: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))

    citations: Mapped[list[Citation]] = relationship(back_populates="source", order_by="Citation.id")

    def set_text(self, text: str | None) -> None:
        """Store a text with its hash, so readers can verify the archived copy."""
        self.text = text
        self.sha256 = text_sha256(text) if text is not None else None

    @property
    def display_title(self) -> str:
        return self.title or self.publisher or self.url or self.slug

    def __repr__(self) -> str:
        return f"<Source {self.slug}>"


class Citation(Timestamped, Base):
    __tablename__ = "citations"
    __table_args__ = (
        UniqueConstraint("event_id", "source_id", name="uq_citations_event_source"),
        CheckConstraint(_in("role", vocab.CITATION_ROLES), name="role_vocab"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    quote: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)

    event: Mapped[Event] = relationship(back_populates="citations")
    source: Mapped[Source] = relationship(back_populates="citations")


class DataVersion(Base):
    """One row: the version of the public record, bumped in the same transaction as every
    change to it (forms, reverts, the loader, restores).

    Why: ETags, the derived-lifecycle cache and the data package's ``created`` need to know
    whether the data changed. Reading one row per request replaces six ``max(updated_at)``
    and six ``count(*)`` aggregates, and a deletion (which moves no ``updated_at``) bumps it
    like any other change."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class MeasurePeriod(Base):
    """One stretch of a measure's lifecycle: ``status`` from ``start`` (inclusive) until
    ``end`` (exclusive; NULL: still). Derived, never edited: :mod:`tracker.db.periods`
    rewrites a measure's rows from its events (:func:`tracker.core.status.lifecycle`, with
    replacements applied) in the same transaction as every change that touches it.

    Why stored: status filters, in-effect counts, "as of" lists and the map become SQL
    (a measure holds at most one period on any day), and the first request after an edit
    costs no re-derivation of every lifecycle. ``tracker rebuild-periods`` rebuilds the
    table; a test checks it against :mod:`tracker.core.status`."""

    __tablename__ = "measure_periods"
    __table_args__ = (
        CheckConstraint(_in("status", vocab.STATUSES), name="status_vocab"),
        CheckConstraint("end_date IS NULL OR end_date > start_date", name="ends_after_start"),
        # Covering: "on a date" reads (a status filter, the status facet's GROUP BY
        # status, every measure's status for the map) come from the index alone.
        Index("ix_measure_periods_status", "status", "start_date", "end_date", "measure_id"),
    )

    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    start: Mapped[dt.date] = mapped_column("start_date", Date, nullable=False)
    end: Mapped[dt.date | None] = mapped_column("end_date", Date)


class MeasureCoverage(Base):
    """When a measure whose technologies change on a date covered each of them
    (:func:`tracker.core.status.coverage`): from ``start`` (inclusive; NULL: always) until
    ``until`` (exclusive; NULL: still). Only measures with such changes have rows; every
    other measure covers its technologies throughout. Derived with the periods."""

    __tablename__ = "measure_coverage"
    __table_args__ = (
        CheckConstraint("start_date IS NULL OR until IS NULL OR until > start_date", name="ordered"),
    )

    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True)
    technology_id: Mapped[int] = mapped_column(
        ForeignKey("technologies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[dt.date | None] = mapped_column("start_date", Date)
    until: Mapped[dt.date | None] = mapped_column(Date)


class MeasureStart(Base):
    """A measure's date: the day of its first event. Derived with the periods.

    Why stored: the measures list sorts by it and the lifespan chart picks the latest
    measures by it; computed on a request it was a GROUP BY over every event (at 300,000
    events, 130 ms of a first ``/measures`` after an edit) before the 50 rows of a page
    could be read. Stored and indexed, a page reads the index in order and stops."""

    __tablename__ = "measure_starts"
    __table_args__ = (Index("ix_measure_starts_start", "start_date", "measure_id"),)

    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[dt.date] = mapped_column("start_date", Date, nullable=False)


TALLY_FACETS = (
    "total",
    "kind",
    "measure_type",
    "technology",
    "place",
    "status",
    "month",
    "in_effect",
    "in_effect_month",
    "measures",
)
"""What :class:`EventTally` counts (:mod:`tracker.db.tallies` says how): ``code`` holds a
kind, a measure type or a status; ``key`` a technology's id, a place's id (0: none), a
month (``YYYYMM``) or a day (an ordinal); ``key2`` the acting actor's id (``place``), 1 for
a corporate event (``month``) or 1 for a period's end (``in_effect``). Unused columns hold
'' and 0, so that every column can be part of the primary key."""


class EventTallyPart(Base):
    """One group's share of :class:`EventTally`: the events of one measure (``measure_id``)
    or the events without a measure of one acting actor (``actor_id``). Derived with the
    periods (:mod:`tracker.db.tallies`), never edited.

    Why parts are stored: the totals are kept by adding what changed, and what a group
    counted before a write is gone from the events once the write is flushed; the parts
    hold it. No foreign keys: a deleted measure's part must outlive it until the totals
    have taken it back (in the same transaction)."""

    __tablename__ = "event_tally_parts"
    __table_args__ = (
        CheckConstraint("(measure_id IS NULL) <> (actor_id IS NULL)", name="one_group"),
        CheckConstraint(_in("facet", TALLY_FACETS), name="facet_vocab"),
        Index("ix_event_tally_parts_measure", "measure_id"),
        Index("ix_event_tally_parts_actor", "actor_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    facet: Mapped[str] = mapped_column(String(20), nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[int] = mapped_column(Integer, nullable=False)
    key2: Mapped[int] = mapped_column(Integer, nullable=False)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False)


class EventTally(Base):
    """The events counted by each facet value, for the unfiltered events list: the sum of
    the :class:`EventTallyPart` rows with the same key, kept by each write in its own
    transaction (:mod:`tracker.db.tallies`).

    Why stored: the facet counts of every event (by kind, measure type, technology, place,
    and status on a date) were a pass over all events on the first ``/events`` after each
    edit, 250 ms at 300,000 events and growing with them. These rows number a few per
    value (a few per day for the statuses) however many events there are. The status on a
    date is ``code``'s running sum of ``n`` over the days (``key``) up to it: each measure
    adds its event count on the day a period begins and takes it back on the day it ends."""

    __tablename__ = "event_tallies"
    __table_args__ = (CheckConstraint(_in("facet", TALLY_FACETS), name="facet_vocab"),)

    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True)
    key2: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False)


MAP_GROUPS = ("place", "corporate", "unplaced")


class MapCandidate(Base):
    """A stretch in which a measure can be on the ban map: one of its periods with a status
    the map draws, cut where an event changes its scope (:func:`tracker.core.mapping.live_pieces`).
    ``grp`` says where it goes: on its place (``place_id``: the jurisdiction, else a place
    that adopted it, drawable when written), in the corporate list, or among the unplaced.
    ``narrow`` and ``strength`` are the parts of the display key (in force, general, type)
    that are not the period's first day (``since``) and the slug.

    Derived with the periods in the same transaction as every write (:mod:`tracker.db.mapstore`),
    never edited. Why stored: the unfiltered map on a date is then one segment per place and
    two short lists, not a pass over every measure live that day. No foreign keys, like the
    tally parts: a deleted measure's rows must still be read to know which places to redo."""

    __tablename__ = "map_candidates"
    __table_args__ = (
        CheckConstraint(_in("grp", MAP_GROUPS), name="grp_vocab"),
        CheckConstraint(_in("status", vocab.STATUSES), name="status_vocab"),
        CheckConstraint("end_date IS NULL OR end_date > start_date", name="ends_after_start"),
        # The corporate and unplaced lists: the most recently begun first, read backwards.
        Index("ix_map_candidates_list", "grp", "since", "slug", "measure_id"),
        # How many of a list are live on a date, from the index alone (19 -> 3 ms at 300,000 events).
        Index("ix_map_candidates_live", "grp", "start_date", "end_date"),
        Index("ix_map_candidates_place", "place_id"),
    )

    measure_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    grp: Mapped[str] = mapped_column(String(20), nullable=False)
    place_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    since: Mapped[dt.date] = mapped_column(Date, nullable=False)
    start: Mapped[dt.date] = mapped_column("start_date", Date, nullable=False)
    end: Mapped[dt.date | None] = mapped_column("end_date", Date)
    narrow: Mapped[bool] = mapped_column(Boolean, nullable=False)
    strength: Mapped[int | None] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(160), nullable=False)


class MapSegment(Base):
    """What one place shows on the unfiltered map from ``start`` (inclusive) until ``end``
    (exclusive; NULL: still): the measure (NULL: none live) and how many of the place's
    measures are live (:func:`tracker.core.mapping.place_segments` over its
    :class:`MapCandidate` rows). A place's segments follow each other without gaps from its
    first candidate on, so the one holding a date is the last that starts by then: one
    index lookup per place (``pk``)."""

    __tablename__ = "map_segments"
    __table_args__ = (CheckConstraint("end_date IS NULL OR end_date > start_date", name="ends_after_start"),)

    place_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[dt.date] = mapped_column("start_date", Date, primary_key=True)
    end: Mapped[dt.date | None] = mapped_column("end_date", Date)
    measure_id: Mapped[int | None] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


class MapChangeDay(Base):
    """A day on which the unfiltered map changes (the slider's stops): ``n`` candidate
    stretches begin or end on it. Kept by adding what a write changed; a day at 0 is
    deleted. Why: the days are a few thousand however many measures there are, and reading
    them replaced a ``DISTINCT`` over every period."""

    __tablename__ = "map_change_days"
    __table_args__ = (CheckConstraint("n > 0", name="positive"),)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


MEASURE_TALLY_FACETS = ("total", "measure_type", "technology", "country", "region")
MEASURE_TALLY_STATUSES = (*vocab.STATUSES.codes, "recorded")
MEASURE_TALLY_GRAINS = ("y", "m")


class MeasureTallyValue(Base):
    """One facet value a measure counts for in the measures list's facets: its type, each
    technology it covers (``key``), its country and region (its jurisdiction's, else its
    adopter's, as the list's filters read them), and ``total``. Derived with the periods
    (:mod:`tracker.db.measuretallies`), never edited. No foreign keys, like the tally parts:
    what a measure counted for before a write must still be read to take it back."""

    __tablename__ = "measure_tally_values"
    __table_args__ = (CheckConstraint(_in("facet", MEASURE_TALLY_FACETS), name="facet_vocab"),)

    measure_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True)


class MeasureTallyStep(Base):
    """One day on which a measure began (``n`` > 0) or left (< 0) a status, or was first
    recorded (``recorded``): what it adds to :class:`MeasureTally` on that day for each of
    its :class:`MeasureTallyValue` rows. Derived with the periods, never edited; no foreign
    keys (the periods of a deleted measure are gone by cascade when its counts are taken
    back: these rows say what it had added)."""

    __tablename__ = "measure_tally_steps"
    __table_args__ = (
        CheckConstraint(_in("status", MEASURE_TALLY_STATUSES), name="status_vocab"),
        # The steps of one month (tracker.db.measuretallies.counts_on).
        Index("ix_measure_tally_steps_day", "status", "day", "measure_id"),
    )

    measure_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


class MeasureTally(Base):
    """How many measures of a facet value (``facet``, ``code``, ``key``) began (+) or left
    (-) a status within one year (``grain`` ``y``, ``period`` the year) or one month
    (``m``, ``YYYYMM``); ``recorded`` is a measure's first event, never left.

    Why stored: the facet counts of "every measure in effect on a date" were a pass over
    every measure live then (36,000 at 300,000 events) on the first page after each edit.
    The count on a day is the sum of the years before its year, the months of its year
    before its month, and the periods that begin or end in its month up to it (read from
    the periods: a few hundred): a few thousand rows however many measures there are.
    Kept by adding what each write changed (:mod:`tracker.db.measuretallies`); a row at 0 is
    deleted."""

    __tablename__ = "measure_tallies"
    __table_args__ = (
        CheckConstraint(_in("status", MEASURE_TALLY_STATUSES), name="status_vocab"),
        CheckConstraint(_in("grain", MEASURE_TALLY_GRAINS), name="grain_vocab"),
        CheckConstraint(_in("facet", MEASURE_TALLY_FACETS), name="facet_vocab"),
    )

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


LOAD_COMMANDS = ("setup", "load")


class DataLoad(Base):
    """One load of data files into the database by ``tracker setup`` or ``tracker load``,
    written in the load's own transaction (a load that fails leaves no row).

    Why kept: ``tracker setup`` loads ``data/`` again only when its content changed since the
    last load (``data_sha256``, over ``files``: each file's SHA-256 by its path in the
    directory), and an edit made through the forms after the last load must not be
    overwritten by the next one. ``revision_id`` is the highest revision when the load read
    the history (NULL: none yet): revisions after it are edits the load has not seen.
    ``kept_changes`` lists the revision changes whose edits the load kept against the files
    (conflicts not yet resolved), so they stay protected at the next load too. ``counts``
    is the load's report per file (inserted, updated, unchanged, kept, ...)."""

    __tablename__ = "data_loads"
    __table_args__ = (CheckConstraint(_in("command", LOAD_COMMANDS), name="command_vocab"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    command: Mapped[str] = mapped_column(String(10), nullable=False)
    directory: Mapped[str] = mapped_column(Text, nullable=False)
    data_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    files: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # No foreign key: a high-water mark of the history, not a reference to one revision.
    revision_id: Mapped[int | None] = mapped_column(Integer)
    kept_changes: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    counts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


event.listen(
    DataVersion.__table__,
    "after_create",
    DDL("INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)"),
)


def new_session_token() -> str:
    """A fresh value for ``User.session_token``: changing it logs the account out everywhere
    (a password change, a restore)."""
    return secrets.token_hex(32)


def bump_data_version(session: DbSession) -> None:
    """Record that the public data changed (for writes that bypass the ORM: bulk loads,
    restores)."""
    session.execute(update(DataVersion).values(version=DataVersion.version + 1, changed_at=utcnow()))


@event.listens_for(Session, "before_flush")
def _bump_on_record_changes(session: Session, flush_context, instances) -> None:
    """Every flush that inserts, changes or deletes a record of the public data (lists such
    as a measure's technologies included: they make their owner dirty) bumps the version in
    the same transaction."""
    records = (Actor, Technology, Measure, Event, Source, Citation)
    changed = any(isinstance(o, records) for o in (*session.new, *session.deleted)) or any(
        isinstance(o, records) and session.is_modified(o) for o in session.dirty
    )
    if changed:
        bump_data_version(session)


def ids_in(column, ids: list[int] | None):
    """``column IN ids``; an empty list matches nothing (no placeholder id, and a literal
    FALSE that SQLite folds: a bound one made it scan the table)."""
    return column.in_(ids) if ids else false()


def batches(values: list[T], size: int) -> Iterator[list[T]]:
    """``values`` ``size`` at a time: IN lists and multi-row writes stay within what every
    engine accepts (SQLite binds at most 32,766 parameters a statement)."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def for_ids(stmt: Any, column: Any, ids: list[int] | None, size: int = 5000) -> list:
    """``stmt`` over every row (``ids`` None), or once per ``size`` of ``ids`` with
    ``column IN`` them (the derived tables' readers take all measures or a write's few)."""
    if ids is None:
        return [stmt]
    return [stmt.where(column.in_(chunk)) for chunk in batches(ids, size)]


def split_multi(value: str | None) -> list[str]:
    """Split a ``; ``-separated cell (aliases, identifiers) into its values."""
    if not value:
        return []
    return [v.strip() for v in value.split(";") if v.strip()]


def join_multi(values: list[str]) -> str | None:
    values = [v.strip() for v in values if v and v.strip()]
    return "; ".join(values) if values else None


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- editors: accounts, revisions, public corrections (issue #5) ----------------------------

REVISION_ACTIONS = ("create", "update", "delete", "revert")
CHANGE_ACTIONS = ("create", "update", "delete")
CORRECTION_STATUSES = ("open", "accepted", "rejected")
COLLECTIONS = ("actors", "measures", "events", "sources", "citations")


class User(Timestamped, Base):
    """An editor or administrator. Passwords are stored only as werkzeug scrypt hashes.

    ``session_token`` is what the login cookie carries (Flask-Login's ``get_id``): changing
    the password or deactivating the account replaces it, which logs out every other session.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", vocab.USER_ROLES), name="role_vocab"),
        CheckConstraint("email = lower(email) AND email LIKE '%_@_%'", name="email_shape"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="editor")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    session_token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    # Flask-Login's protocol (kept here so the model is usable without importing views).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def public_name(self) -> str:
        """What public pages show: never the e-mail address."""
        return self.display_name or f"Editor {self.id}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Revision(Base):
    """One saved edit: who, when, and the changes it made (one or more records).

    Written in the same transaction as the edit it describes, so the history can never miss
    a change or record one that was rolled back.
    """

    __tablename__ = "revisions"
    __table_args__ = (
        CheckConstraint(_in("action", REVISION_ACTIONS), name="action_vocab"),
        Index("ix_revisions_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    summary: Mapped[str] = mapped_column(String(500), nullable=False)
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id", ondelete="SET NULL"))

    user: Mapped[User | None] = relationship()
    changes: Mapped[list[RevisionChange]] = relationship(
        back_populates="revision", cascade="all, delete-orphan", order_by="RevisionChange.id"
    )

    def __repr__(self) -> str:
        return f"<Revision {self.id} {self.action}>"


class RevisionChange(Base):
    """The before/after values of the changed fields of one record within a revision.

    Records are identified by collection and primary key (stable across slug changes); the
    slug at the time is kept for display and for records that were deleted since.
    """

    __tablename__ = "revision_changes"
    __table_args__ = (
        CheckConstraint(_in("action", CHANGE_ACTIONS), name="action_vocab"),
        CheckConstraint(_in("collection", COLLECTIONS), name="collection_vocab"),
        Index("ix_revision_changes_record", "collection", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    collection: Mapped[str] = mapped_column(String(20), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    record_key: Mapped[str] = mapped_column(String(400), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    before: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    after: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    revision: Mapped[Revision] = relationship(back_populates="changes")

    @property
    def fields(self) -> list[str]:
        return sorted(set(self.before) | set(self.after))


class Correction(Base):
    """A correction sent by a member of the public about an event or a measure.

    The e-mail address is optional and never shown publicly; the queue and its outcomes are.
    """

    __tablename__ = "corrections"
    __table_args__ = (
        CheckConstraint(_in("status", CORRECTION_STATUSES), name="status_vocab"),
        CheckConstraint(_url_check("source_url"), name="source_url_http"),
        CheckConstraint("(event_slug IS NULL) <> (measure_slug IS NULL)", name="one_target"),
        CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="decided_when_closed"),
        CheckConstraint("status <> 'rejected' OR reason IS NOT NULL", name="rejection_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Slugs rather than foreign keys: a correction outlives an edit or deletion of its target.
    event_slug: Mapped[str | None] = mapped_column(String(160), index=True)
    measure_slug: Mapped[str | None] = mapped_column(String(160), index=True)
    target_title: Mapped[str] = mapped_column(String(400), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    decided_by: Mapped[User | None] = relationship()

    @property
    def collection(self) -> str:
        return "events" if self.event_slug else "measures"

    @property
    def target_slug(self) -> str:
        return self.event_slug or self.measure_slug or ""
