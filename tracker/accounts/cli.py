"""Commands for editors' accounts and statement ingestion: ``create-user``, ``set-role``,
``suggest``.

``create-user`` is how the first administrator comes to exist (there is no sign-up page);
the password comes from a prompt or a file, never from the command line, where it would end
up in the shell history and the process list.
"""

from __future__ import annotations

import json
import sys
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
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False),
              help="Read the password from the first line of this file instead of a prompt.")
@with_appcontext
def create_user_command(email: str, role: str, display_name: str | None,
                        password_file: str | None) -> None:
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


@click.command("suggest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
@click.option("--limit", type=int, default=20, show_default=True, help="At most this many suggestions.")
@click.option("--min-score", type=float, default=None, help="Drop suggestions scoring below this.")
@with_appcontext
def suggest_command(file: str, fmt: str, limit: int, min_score: float | None) -> None:
    """Suggest the events a statement (.txt or .html, optional key: value header) speaks of."""
    from tracker.ingest import statements as ingest

    raw = Path(file).read_bytes().decode("utf-8", errors="replace")
    statement = ingest.read_statement(raw, html=file.lower().endswith((".html", ".htm")),
                                      publishers=ingest.load_publishers(db.session))
    candidates = ingest.load_candidates(db.session)
    kwargs = {"limit": limit}
    if min_score is not None:
        kwargs["min_score"] = min_score
    suggestions = ingest.suggest(statement, candidates, **kwargs)
    if fmt == "json":
        json.dump([s.as_json() for s in suggestions], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    meta = statement.meta
    click.echo(f"Source: {meta.get('title') or '?'} | {meta.get('publisher') or '?'} | "
               f"{meta.get('date') or '?'}")
    for s in suggestions:
        click.echo(f"{s.score:.2f}  {s.date}  {s.event:<50} {s.role:<13} {s.quote[:80]}")


COMMANDS = (create_user_command, set_role_command, suggest_command)
