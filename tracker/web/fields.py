"""Form fields and validators shared by every blueprint's forms (editing, accounts,
corrections): a vocabulary select that names its vocabulary when a code is refused, and
http(s)-only addresses."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from wtforms import (
    SelectChoice,
    SelectField,
)
from wtforms.validators import (
    ValidationError,
)

from tracker.core import vocab


# ASCII digits only: ``\d`` would let '٢٠١٩' through, and int() would read it as 2019.
def http_url(form, field) -> None:
    """Only http and https addresses: a ``javascript:`` or ``data:`` link on a public page
    would run in visitors' browsers."""
    value = (field.data or "").strip()
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise ValidationError("Give an http:// or https:// address.")
    field.data = value


class VocabSelectField(SelectField):
    """A select over one vocabulary; an unknown code is refused with the vocabulary's name."""

    data: str | None  # a code of the vocabulary; None when optional and left empty

    def __init__(self, label, vocabulary: vocab.Vocabulary, optional: bool = False, **kwargs):
        choices = ([SelectChoice("", "—")] if optional else []) + [
            SelectChoice(code, label) for code, label in vocabulary.choices()
        ]
        super().__init__(label, choices=choices, **kwargs)
        self.vocabulary = vocabulary
        self.optional = optional

    def pre_validate(self, form):
        if self.optional and not self.data:
            self.data = None
            return
        if self.data not in self.vocabulary:
            raise ValidationError(f"Unknown {self.vocabulary.name} {self.data!r}: choose one from the list.")
