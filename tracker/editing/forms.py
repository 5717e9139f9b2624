"""Flask-WTF forms for editors, sign-in and public corrections.

Every choice comes from :mod:`tracker.vocab` or from the database (references by slug), so a
form cannot invent a category. Each record form turns its fields into *values* in the
snapshot shape of :mod:`tracker.revisions` (``values()``) and back (``data_from()``), so
saving, diffing and reverting share one representation. Field-level validators give the
message next to the field; ``validate_<field>`` methods hold the cross-field rules
(microblog's habit). CSRF is on for every POST form (CSRFProtect, app-wide).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from sqlalchemy import select
from wtforms import (
    BooleanField,
    Field,
    FloatField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextInput

from tracker.core import vocab
from tracker.core.codes import COUNTRY_RE, REGION_RE
from tracker.core.dates import RANGE_TEXT, check_range, iso_at_precision, non_ascii_digits
from tracker.core.status import today
from tracker.datafiles.load import quote_in_text
from tracker.datafiles.spec import canonical_codes
from tracker.db.models import (
    Actor,
    Citation,
    DbSession,
    Event,
    Measure,
    Source,
    Technology,
    join_multi,
    split_multi,
)
from tracker.web.fields import VocabSelectField, http_url

# ASCII digits only: ``\d`` would let '٢٠١٩' through, and int() would read it as 2019.
PARTIAL_DATE_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?$")


def parse_partial_date(text: str) -> tuple[dt.date, str]:
    """'2019' → (2019-01-01, 'year'); '2019-05' → month; '2019-05-14' → day.

    Raises ValueError with a message for the editor (an impossible day such as 2021-02-30
    is refused, never rolled over into March; a year outside :mod:`tracker.dates`' range or
    digits of another script are refused too, with their own reason)."""
    text = text.strip()
    if non_ascii_digits(text):
        raise ValueError(f"Write the date with the digits 0-9 ({text!r} has other digits).")
    match = PARTIAL_DATE_RE.match(text)
    if not match:
        raise ValueError("Use a year (2019), a month (2019-05) or a full date (2019-05-14).")
    year, month, day = match.groups()
    try:
        if day is not None:
            value, precision = dt.date(int(year), int(month), int(day)), "day"
        elif month is not None:
            value, precision = dt.date(int(year), int(month), 1), "month"
        else:
            value, precision = dt.date(int(year), 1, 1), "year"
    except ValueError:
        raise ValueError(f"{text} is not a real date.") from None
    try:
        check_range(value, text)
    except ValueError:
        raise ValueError(f"Give a date from {RANGE_TEXT} ({text!r} is outside it).") from None
    return value, precision


# --- fields and validators --------------------------------------------------------------------


class PartialDateField(Field):
    """A date typed as year, year-month or full date; ``data`` is ``(date, precision)``."""

    # (date, precision) or None here; DayDateField narrows it to a date.
    data: Any
    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", "YYYY, YYYY-MM or YYYY-MM-DD")
        super().__init__(label, validators, **kwargs)
        self.raw = ""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data:
            return iso_at_precision(*self.data)
        return ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            self.data = parse_partial_date(valuelist[0])
        except ValueError as exc:
            raise ValueError(str(exc)) from None


class DayDateField(PartialDateField):
    """A full date (YYYY-MM-DD) only; ``data`` is a ``date``."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", "YYYY-MM-DD")
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if isinstance(self.data, dt.date) else ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            date, precision = self.data
            if precision != "day":
                self.data = None
                raise ValueError("Give the full date (YYYY-MM-DD).")
            self.data = date


class VocabMultiField(SelectMultipleField):
    """Several codes of one vocabulary (a measure's scopes, its requirements); ``data`` is
    the stored cell: codes '; '-joined in vocabulary order, or None."""

    def __init__(self, label, vocabulary: vocab.Vocabulary, **kwargs):
        super().__init__(
            label,
            choices=[SelectChoice(code, text) for code, text in vocabulary.choices()],
            validate_choice=False,
            **kwargs,
        )
        self.vocabulary = vocabulary

    def process_data(self, value):
        self.data = split_multi(value) if isinstance(value, str) else list(value or [])

    def pre_validate(self, form):
        unknown = [c for c in self.data or [] if c not in self.vocabulary]
        if unknown:
            raise ValidationError(f"Unknown {self.vocabulary.name} {unknown[0]!r}: choose from the list.")

    @property
    def stored(self) -> str | None:
        return canonical_codes(self.vocabulary, self.data) if self.data else None


class RefSelectField(SelectField):
    """A reference to another record by slug, chosen from the records that exist."""

    data: str | None  # a slug; None when optional and left empty

    def __init__(self, label, noun: str, optional: bool = True, **kwargs):
        super().__init__(label, choices=[], validate_choice=False, **kwargs)
        self.noun = noun
        self.optional = optional

    def pre_validate(self, form):
        valid = {c.value for c in self.choices}
        if not self.data:
            self.data = None
            if not self.optional:
                raise ValidationError(f"Choose the {self.noun}.")
            return
        if self.data not in valid:
            raise ValidationError(f"Unknown {self.noun} {self.data!r}: choose one from the list.")


def _lines_to_multi(text: str | None) -> str | None:
    """Aliases and identifiers: one per line (or '; '-separated) → the stored '; ' form."""
    parts: list[str] = []
    for line in (text or "").splitlines():
        parts.extend(split_multi(line))
    return join_multi(parts)


def _multi_to_lines(value: str | None) -> str:
    return "\n".join(split_multi(value))


def _iso_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _ref_choices(session: DbSession, model: type[Any], label_attr: str, empty: bool = True):
    rows = session.execute(select(model.slug, getattr(model, label_attr)).order_by(model.slug)).all()
    return ([SelectChoice("", "—")] if empty else []) + [
        SelectChoice(slug, f"{name} ({slug})") for slug, name in rows
    ]


# --- record forms -----------------------------------------------------------------------------


class RecordForm(FlaskForm):
    """Common to the record forms: the version the editor started from (optimistic locking)."""

    version = HiddenField()
    submit = SubmitField("Save")
    collection = ""

    def setup(self, session: DbSession, obj: Any | None) -> None:
        """Fill reference choices; ``obj`` is the record being edited (None when creating)."""
        self._obj = obj

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def data_from(cls, snap: dict[str, Any]) -> dict[str, Any]:
        """Form data from a snapshot (for the edit form and the conflict page)."""
        return dict(snap)

    @property
    def base_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class ActorForm(RecordForm):
    collection = "actors"
    name = StringField("Name", validators=[DataRequired(), Length(max=300)])
    kind = VocabSelectField("Kind", vocab.ACTOR_KINDS)
    aliases = TextAreaField(
        "Other names",
        description="One per line: IBM, International Business Machines…",
        validators=[Optional(), Length(max=5000)],
    )
    parent = RefSelectField("Part of", "actor", description="City → county or state → country")
    country = StringField(
        "Country", description="ISO 3166-1 alpha-2 (US, GB) or EU", validators=[Optional(), Length(max=2)]
    )
    region = StringField("Region", description="ISO 3166-2 (US-CA)", validators=[Optional()])
    latitude = FloatField("Latitude", validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField("Longitude", validators=[Optional(), NumberRange(-180, 180)])
    coordinates_source = StringField("Coordinates source", validators=[Optional(), Length(max=300)])

    def setup(self, session, obj):
        super().setup(session, obj)
        choices = _ref_choices(session, Actor, "name")
        if obj is not None:
            choices = [c for c in choices if c.value != obj.slug]
        self.parent.choices = choices

    def validate_country(self, field):
        if field.data:
            field.data = field.data.strip().upper()
            if not COUNTRY_RE.match(field.data):
                raise ValidationError("Use a two-letter ISO code such as US or GB (EU for the Union).")

    def validate_region(self, field):
        if field.data:
            field.data = field.data.strip().upper()
            if not REGION_RE.match(field.data):
                raise ValidationError("Use an ISO 3166-2 code such as US-CA.")

    def validate_longitude(self, field):
        if (self.latitude.data is None) != (field.data is None):
            raise ValidationError("Give both latitude and longitude, or neither.")

    def values(self):
        return {
            "name": self.name.data.strip(),
            "kind": self.kind.data,
            "aliases": _lines_to_multi(self.aliases.data),
            "parent": self.parent.data or None,
            "country": _clean(self.country.data),
            "region": _clean(self.region.data),
            "latitude": self.latitude.data,
            "longitude": self.longitude.data,
            "coordinates_source": _clean(self.coordinates_source.data),
        }

    @classmethod
    def data_from(cls, snap):
        return {**snap, "aliases": _multi_to_lines(snap.get("aliases"))}


class MeasureForm(RecordForm):
    collection = "measures"
    title = StringField("Title", validators=[DataRequired(), Length(max=400)])
    measure_type = VocabSelectField("Type", vocab.MEASURE_TYPES)
    scope = VocabMultiField("Scope", vocab.SCOPES, description="Whose use it covers")
    adopted_by = RefSelectField("Adopted by", "actor", optional=False)
    jurisdiction = RefSelectField("Applies in", "place")
    technologies = SelectMultipleField("Technologies", choices=[])
    identifiers = TextAreaField(
        "Identifiers",
        description="Bill or ordinance numbers, one per line (AB 1215)",
        validators=[Optional(), Length(max=5000)],
    )
    aliases = TextAreaField(
        "Other names",
        description="One per line (Justice in Policing Act)",
        validators=[Optional(), Length(max=5000)],
    )
    sunset = DayDateField("Sunset", description="YYYY-MM-DD: the first day it is no longer in force")
    replaces = RefSelectField("Replaces", "measure")
    legislative_session = StringField(
        "Legislative session",
        description="For a bill: the session it belongs to (116th Congress)",
        validators=[Optional(), Length(max=200)],
    )
    session_end = DayDateField(
        "Session ends", description="YYYY-MM-DD: its last day; a bill not enacted by then has failed"
    )
    requirements = VocabMultiField(
        "Requirements", vocab.REQUIREMENTS, description="For oversight measures: what they require"
    )
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=20000)])
    status_checked_on = DayDateField(
        "Status checked on",
        description="YYYY-MM-DD: the day you confirmed its status against the source below",
    )
    status_checked_source = RefSelectField(
        "Status checked against", "source", description="The source that shows its current status"
    )

    def setup(self, session, obj):
        super().setup(session, obj)
        actors = _ref_choices(session, Actor, "name")
        self.adopted_by.choices = actors
        self.status_checked_source.choices = _ref_choices(session, Source, "title")
        self.jurisdiction.choices = actors
        measures = _ref_choices(session, Measure, "title")
        if obj is not None:
            measures = [c for c in measures if c.value != obj.slug]
        self.replaces.choices = measures
        self.technologies.choices = _ref_choices(session, Technology, "name", empty=False)

    def values(self):
        return {
            "title": self.title.data.strip(),
            "measure_type": self.measure_type.data,
            "adopted_by": self.adopted_by.data,
            "jurisdiction": self.jurisdiction.data or None,
            "technologies": sorted(self.technologies.data or []),
            "identifiers": _lines_to_multi(self.identifiers.data),
            "aliases": _lines_to_multi(self.aliases.data),
            "sunset": self.sunset.data,
            "replaces": self.replaces.data or None,
            "legislative_session": _clean(self.legislative_session.data),
            "session_end": self.session_end.data,
            "requirements": self.requirements.stored,
            "summary": _clean(self.summary.data),
            "scope": self.scope.stored,
            "status_checked_on": self.status_checked_on.data,
            "status_checked_source": self.status_checked_source.data or None,
        }

    def validate_session_end(self, field):
        if field.data is not None and not _clean(self.legislative_session.data):
            raise ValidationError("Name the legislative session that ends on this day.")

    def validate_status_checked_on(self, field):
        if field.data is not None and field.data > today():
            raise ValidationError("A status cannot have been checked on a day still to come.")
        if field.data is not None and not self.status_checked_source.data:
            raise ValidationError("Choose the source you checked the status against (below).")

    def validate_status_checked_source(self, field):
        if field.data and self.status_checked_on.data is None and not self.status_checked_on.errors:
            raise ValidationError("Give the day you checked the status against this source.")

    @classmethod
    def data_from(cls, snap):
        return {
            **snap,
            "aliases": _multi_to_lines(snap.get("aliases")),
            "identifiers": _multi_to_lines(snap.get("identifiers")),
            "sunset": _iso_date(snap.get("sunset")),
            "session_end": _iso_date(snap.get("session_end")),
            "status_checked_on": _iso_date(snap.get("status_checked_on")),
        }


class EventForm(RecordForm):
    collection = "events"
    title = StringField("Title", validators=[DataRequired(), Length(max=400)])
    date = PartialDateField("Date", validators=[InputRequired("Give the date.")])
    certainty = VocabSelectField("Certainty", vocab.CERTAINTIES)
    date_note = StringField(
        "Date note", description="What is uncertain about the date", validators=[Optional(), Length(max=2000)]
    )
    kind = VocabSelectField("Kind", vocab.EVENT_KINDS)
    measure = RefSelectField("Measure", "measure", description="The measure this is a step of")
    actor = RefSelectField("Actor", "actor", optional=False, description="Who acted")
    jurisdiction = RefSelectField("Place", "place", description="For events without a measure")
    technologies = SelectMultipleField("Technologies", choices=[])
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=20000)])
    new_sunset = DayDateField("New sunset", description="Only for an extension: YYYY-MM-DD")
    new_scope = VocabMultiField(
        "New scope", vocab.SCOPES, description="The measure's scope from this event on"
    )
    technologies_added = SelectMultipleField(
        "Technologies added", choices=[], description="The measure covers them from this event on"
    )
    technologies_removed = SelectMultipleField(
        "Technologies removed", choices=[], description="The measure no longer covers them from this event on"
    )
    needs_confirmation = BooleanField(
        "Needs confirmation",
        description="It rests on one source, or on secondary or aggregator pages only: pages say so",
    )

    def setup(self, session, obj):
        super().setup(session, obj)
        actors = _ref_choices(session, Actor, "name")
        self.actor.choices = actors
        self.jurisdiction.choices = actors
        self.measure.choices = _ref_choices(session, Measure, "title")
        technologies = _ref_choices(session, Technology, "name", empty=False)
        self.technologies.choices = technologies
        self.technologies_added.choices = technologies
        self.technologies_removed.choices = technologies

    def validate_new_sunset(self, field):
        if field.data is not None and self.kind.data != "extended":
            raise ValidationError("Only an 'Extended' event sets a new sunset.")

    def _needs_measure(self, field):
        if field.data and not self.measure.data:
            raise ValidationError("Only an event of a measure changes what the measure covers.")

    validate_new_scope = _needs_measure
    validate_technologies_added = _needs_measure

    def validate_technologies_removed(self, field):
        self._needs_measure(field)
        both = set(field.data or []) & set(self.technologies_added.data or [])
        if both:
            raise ValidationError(f"{sorted(both)[0]!r} cannot be added and removed at once.")

    def values(self):
        date, precision = self.date.data
        return {
            "title": self.title.data.strip(),
            "date": date,
            "date_precision": precision,
            "certainty": self.certainty.data,
            "date_note": _clean(self.date_note.data),
            "kind": self.kind.data,
            "measure": self.measure.data or None,
            "actor": self.actor.data,
            "jurisdiction": self.jurisdiction.data or None,
            "technologies": sorted(self.technologies.data or []),
            "summary": _clean(self.summary.data),
            "new_sunset": self.new_sunset.data,
            "new_scope": self.new_scope.stored,
            "technologies_added": sorted(self.technologies_added.data or []),
            "technologies_removed": sorted(self.technologies_removed.data or []),
            "needs_confirmation": bool(self.needs_confirmation.data),
        }

    @classmethod
    def data_from(cls, snap):
        data = dict(snap)
        if snap.get("date"):
            data["date"] = (dt.date.fromisoformat(snap["date"]), snap.get("date_precision") or "day")
        data["new_sunset"] = _iso_date(snap.get("new_sunset"))
        return data


class SourceForm(RecordForm):
    collection = "sources"
    title = StringField(
        "Title", description="Leave empty when unknown", validators=[Optional(), Length(max=500)]
    )
    publisher = StringField("Publisher", validators=[Optional(), Length(max=300)])
    kind = VocabSelectField("Kind", vocab.SOURCE_KINDS)
    url = StringField("URL", validators=[Optional(), Length(max=2000), http_url])
    published = PartialDateField("Published")
    published_certainty = VocabSelectField(
        "How the date is known",
        vocab.CERTAINTIES,
        optional=True,
        description="Verified: shown on the page; derived: read from its web address",
    )
    accessed = DayDateField("Accessed")
    archive_url = StringField("Archived copy", validators=[Optional(), Length(max=2000), http_url])
    note = TextAreaField(
        "Note",
        description="What a reader should know about this source (a copy "
        "of another page, a date read from the address)",
        validators=[Optional(), Length(max=5000)],
    )
    # No Optional(): it would stop the chain on an empty text before validate_text, which
    # must refuse clearing a text that citations quote.
    text = TextAreaField(
        "Text",
        description="The statement's full text, or the quoted passages",
        validators=[Length(max=2_000_000)],
    )

    def validate_text(self, field):
        """Existing citations quote this text: an edit must not orphan their quotes, and
        clearing the text would leave every quote pointing at nothing."""
        obj = getattr(self, "_obj", None)
        if obj is None:
            return
        text = field.data if field.data and field.data.strip() else ""
        lost = [c for c in obj.citations if c.quote and not quote_in_text(c.quote, text)]
        if lost:
            raise ValidationError(
                "The new text no longer contains the quote of "
                + ", ".join(repr(c.event.slug) for c in lost[:5])
                + ". Edit those citations first."
            )

    def validate_title(self, field):
        if not (field.data or self.publisher.data or self.url.data):
            raise ValidationError("Give a title, a publisher or a URL.")

    def validate_published_certainty(self, field):
        if field.data and not self.published.data:
            raise ValidationError("Give the publication date this certainty is about.")

    def values(self):
        published, precision = self.published.data or (None, None)
        text = self.text.data.replace("\r\n", "\n") if self.text.data and self.text.data.strip() else None
        return {
            "title": _clean(self.title.data),
            "publisher": _clean(self.publisher.data),
            "kind": self.kind.data,
            "url": _clean(self.url.data),
            "published": published,
            "published_precision": precision,
            "published_certainty": self.published_certainty.data or None,
            "accessed": self.accessed.data,
            "archive_url": _clean(self.archive_url.data),
            "note": _clean(self.note.data),
            "text": text,
        }

    @classmethod
    def data_from(cls, snap):
        data = dict(snap)
        if snap.get("published"):
            data["published"] = (
                dt.date.fromisoformat(snap["published"]),
                snap.get("published_precision") or "day",
            )
        data["accessed"] = _iso_date(snap.get("accessed"))
        return data


class CitationForm(RecordForm):
    collection = "citations"
    event = RefSelectField("Event", "event", optional=False)
    source = RefSelectField("Source", "source", optional=False)
    role = VocabSelectField("Role", vocab.CITATION_ROLES)
    quote = TextAreaField(
        "Quote",
        description="The passage that supports the event, verbatim",
        validators=[Optional(), Length(max=20000)],
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)])

    def setup(self, session, obj):
        super().setup(session, obj)
        self._session = session
        self.event.choices = _ref_choices(session, Event, "title")
        self.source.choices = _ref_choices(session, Source, "title")

    def validate_quote(self, field):
        """A quote must occur in the source's stored text (white space aside)."""
        if not field.data or not field.data.strip() or not self.source.data:
            return
        text = self._session.scalar(select(Source.text).where(Source.slug == self.source.data))
        if text is not None and not quote_in_text(field.data, text):
            raise ValidationError("This passage does not occur in the source's stored text.")

    def validate_source(self, field):
        if not field.data or not self.event.data:
            return
        obj = getattr(self, "_obj", None)

        existing = self._session.scalar(
            select(Citation)
            .join(Citation.event)
            .join(Citation.source)
            .where(Event.slug == self.event.data, Source.slug == field.data)
        )
        if existing is not None and existing is not obj:
            raise ValidationError("This event already cites this source.")

    def values(self):
        return {
            "event": self.event.data,
            "source": self.source.data,
            "role": self.role.data,
            "quote": _clean(self.quote.data),
            "note": _clean(self.note.data),
        }


FORMS: dict[str, type[RecordForm]] = {
    "actors": ActorForm,
    "measures": MeasureForm,
    "events": EventForm,
    "sources": SourceForm,
    "citations": CitationForm,
}


class DeleteForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField("Delete")


class RevertForm(FlaskForm):
    submit = SubmitField("Revert to this revision")


# --- statements -------------------------------------------------------------------------------


class IngestForm(FlaskForm):
    """Step 1: the statement's text (pasted or uploaded) and its address."""

    text = TextAreaField("Statement text", validators=[Optional(), Length(max=2_000_000)])
    upload = FileField(
        "…or upload a .txt or .html file",
        validators=[FileAllowed(["txt", "html", "htm"], "Upload a .txt or .html file.")],
    )
    url = StringField("URL", validators=[Optional(), Length(max=2000), http_url])
    submit = SubmitField("Propose citations")


class IngestSourceForm(FlaskForm):
    """Step 2: the proposed source, editable, plus the text carried over from step 1."""

    text = TextAreaField("Text", validators=[DataRequired(), Length(max=2_000_000)])
    title = StringField("Title", validators=[Optional(), Length(max=500)])
    publisher = StringField("Publisher", validators=[Optional(), Length(max=300)])
    kind = VocabSelectField("Kind", vocab.SOURCE_KINDS)
    url = StringField("URL", validators=[Optional(), Length(max=2000), http_url])
    published = PartialDateField("Published")
    submit = SubmitField("Save source and ticked citations")


# --- accounts ---------------------------------------------------------------------------------
