"""The accounts' forms: logging in, changing a password, adding an editor, roles."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    Optional,
)

from tracker.core import vocab
from tracker.web.fields import VocabSelectField


# ASCII digits only: ``\d`` would let '٢٠١٩' through, and int() would read it as 2019.
class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    remember = BooleanField("Stay logged in on this computer")
    submit = SubmitField("Log in")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=1000)])
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new", "The two entries differ.")]
    )
    submit = SubmitField("Change password")


class UserRoleForm(FlaskForm):
    role = VocabSelectField("Role", vocab.USER_ROLES)
    active = BooleanField("Active")
    submit = SubmitField("Save")


class NewUserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    display_name = StringField("Public name", validators=[Optional(), Length(max=120)])
    role = VocabSelectField("Role", vocab.USER_ROLES)
    password = PasswordField("Initial password", validators=[DataRequired(), Length(min=10, max=1000)])
    submit = SubmitField("Create account")


# --- corrections ------------------------------------------------------------------------------
