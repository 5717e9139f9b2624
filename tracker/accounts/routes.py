"""Logging in and out, changing one's password, and the administrators' user list.

Login attempts are rate-limited per client address, so passwords cannot be guessed at speed;
a failed login says the same thing whether the address or the password was wrong.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from tracker.accounts import users as auth
from tracker.accounts.forms import ChangePasswordForm, LoginForm, NewUserForm, UserRoleForm
from tracker.db.models import User, utcnow
from tracker.extensions import db, limiter

bp = Blueprint("auth", __name__)

LOGIN_LIMIT = "5 per minute;30 per hour"


def _safe_next(target: str | None) -> str | None:
    """Only redirect to a path on this site after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("editor.changes"))
    form = LoginForm()
    if form.validate_on_submit():
        user = auth.find_user(db.session, form.email.data)
        if user is not None and user.active and auth.check_password(user, form.password.data):
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash("Logged in.", "info")
            return redirect(_safe_next(request.args.get("next")) or url_for("editor.changes"))
        form.password.errors.append("Wrong e-mail address or password.")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """POST logs out (CSRF-protected, so no other site can log an editor out); GET asks."""
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        logout_user()
        flash("Logged out.", "info")
        return redirect(url_for("public.home"))
    return render_template("auth/logout.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not auth.check_password(user, form.current.data):
            form.current.errors.append("This is not your current password.")
        else:
            problem = auth.password_problem(form.new.data)
            if problem:
                form.new.errors.append(problem)
            else:
                auth.set_password(user, form.new.data)  # also logs out other sessions
                db.session.commit()
                login_user(user)
                flash("Password changed; other sessions were logged out.", "info")
                return redirect(url_for("editor.changes"))
    return render_template("auth/password.html", form=form)


@bp.route("/users", methods=["GET", "POST"])
@auth.admin_required
def users():
    """List accounts and create one. Roles and deactivation are per user, below."""
    form = NewUserForm()
    if form.validate_on_submit():
        assert form.role.data is not None  # validated: a code of the roles' vocabulary
        try:
            auth.create_user(
                db.session, form.email.data, form.password.data, form.role.data, form.display_name.data
            )
        except ValueError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Account {auth.normalise_email(form.email.data)} created.", "info")
            return redirect(url_for("auth.users"))
    accounts = db.session.scalars(select(User).order_by(User.email)).all()
    role_forms = {
        u.id: UserRoleForm(prefix=f"u{u.id}", data={"role": u.role, "active": u.active}) for u in accounts
    }
    return render_template("auth/users.html", form=form, accounts=accounts, role_forms=role_forms)


@bp.post("/users/<id:user_id>")
@auth.admin_required
def update_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserRoleForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        abort(400, "; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items()))
    if user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
        abort(400, "You cannot remove your own administrator rights or deactivate yourself.")
    assert form.role.data is not None  # validated: a code of the roles' vocabulary
    auth.set_role(user, form.role.data)
    if user.active and not form.active.data:
        user.session_token = auth.new_session_token()  # logs the account out everywhere
    user.active = bool(form.active.data)
    db.session.commit()
    flash(f"{user.email}: {user.role}, {'active' if user.active else 'deactivated'}.", "info")
    return redirect(url_for("auth.users"))
