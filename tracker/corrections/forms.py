"""The public correction form and the editors' accept/reject buttons."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    ValidationError,
)

from tracker.web.fields import http_url


# ASCII digits only: ``\d`` would let '٢٠١٩' through, and int() would read it as 2019.
class CorrectionForm(FlaskForm):
    message = TextAreaField("What is wrong?", validators=[DataRequired(), Length(min=10, max=5000)])
    source_url = StringField(
        "A source that shows it",
        description="http:// or https://",
        validators=[Optional(), Length(max=2000), http_url],
    )
    email = EmailField("Your e-mail (optional, never published)", validators=[Optional(), Length(max=320)])
    submit = SubmitField("Send correction")

    def validate_email(self, field):
        if field.data and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", field.data.strip()):
            raise ValidationError("This is not an e-mail address.")


class RejectForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField("Reject")


class AcceptForm(FlaskForm):
    submit = SubmitField("Accept and edit")
