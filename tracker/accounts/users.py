"""Accounts: loading the logged-in user, password hashing, and role checks for views.

Why a module of its own: views, the CLI and tests all create users and check roles, and the
rules (hash algorithm, who may do what) must be the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.core import vocab
from tracker.db.models import DbSession, User, new_session_token
from tracker.extensions import db, login_manager

F = TypeVar("F", bound=Callable)

# werkzeug's scrypt: memory-hard, the current recommendation among what werkzeug offers.
PASSWORD_METHOD = "scrypt"
MIN_PASSWORD_LENGTH = 10

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to edit the record."
login_manager.login_message_category = "info"
# "strong" drops the session when the client's address or browser changes.
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The cookie carries the user's session token, not the id: rotating the token (password
    change, deactivation) logs out every session that used the old one."""
    user = db.session.scalar(select(User).where(User.session_token == token))
    if user is None or not user.active:
        return None
    return user


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None. Length is what matters most."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 1000:
        return "Use at most 1000 characters."
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: DbSession, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def set_password(user: User, password: str) -> None:
    """Hash and store a password, and log out the user's other sessions."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()


def create_user(
    session: DbSession, email: str, password: str, role: str = "editor", display_name: str | None = None
) -> User:
    """Add a user (not committed). Raises ValueError with a readable reason."""
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValueError(f"{email!r} is not an e-mail address.")
    if role not in vocab.USER_ROLES:
        raise ValueError(f"Unknown role {role!r} (one of: {', '.join(vocab.USER_ROLES.codes)}).")
    if find_user(session, email) is not None:
        raise ValueError(f"A user {email} already exists.")
    user = User(email=email, role=role, display_name=display_name or None, active=True)
    set_password(user, password)
    session.add(user)
    return user


def set_role(user: User, role: str) -> None:
    if role not in vocab.USER_ROLES:
        raise ValueError(f"Unknown role {role!r} (one of: {', '.join(vocab.USER_ROLES.codes)}).")
    user.role = role


def editor_required(view: F) -> F:
    """Any logged-in, active account may write; anonymous visitors go to the login page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in vocab.USER_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Managing users and reverting revisions: administrators only (403 for editors)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403, "Only an administrator may do this.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
