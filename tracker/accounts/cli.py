"""Commands for editors' accounts: ``create-user`` and ``set-role``.

``create-user`` is how the first administrator comes to exist (there is no sign-up page);
the password comes from a prompt or a file, never from the command line, where it would end
up in the shell history and the process list.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker.accounts import users as auth
from tracker.core import vocab
from tracker.extensions import db


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(vocab.USER_ROLES.codes), default="editor", show_default=True)
@click.option("--name", "display_name", help="Name shown publicly on recent changes.")
@click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the password from the first line of this file instead of a prompt.",
)
@with_appcontext
def create_user_command(email: str, role: str, display_name: str | None, password_file: str | None) -> None:
    """Create an account (editor or admin)."""
    if password_file:
        lines = Path(password_file).read_text(encoding="utf-8").splitlines()
        password = lines[0] if lines else ""
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth.create_user(db.session, email, password, role, display_name)
        db.session.commit()
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(vocab.USER_ROLES.codes))
@with_appcontext
def set_role_command(email: str, role: str) -> None:
    """Change an account's role."""
    user = auth.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"No user {auth.normalise_email(email)}.")
    auth.set_role(user, role)
    db.session.commit()
    click.echo(f"{user.email} is now {role}.")


COMMANDS = (create_user_command, set_role_command)
