"""The create-user, set-role and suggest commands."""

from __future__ import annotations

from tracker.accounts import users as auth
from tracker.extensions import db


def test_create_user_with_password_file(app, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a long enough password\n")
    result = app.test_cli_runner().invoke(
        args=["create-user", "First@Example.org", "--role", "admin", "--password-file", str(secret)]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin first@example.org" in result.output
    with app.app_context():
        user = auth.find_user(db.session, "first@example.org")
        assert user.role == "admin" and auth.check_password(user, "a long enough password")


def test_create_user_prompts_for_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "ed@example.org"], input="a long enough password\na long enough password\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert auth.find_user(db.session, "ed@example.org").role == "editor"


def test_create_user_errors(app, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("short\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "x@example.org", "--password-file", str(secret)])
    assert result.exit_code != 0 and "at least" in result.output
    result = runner.invoke(args=["create-user", "x@example.org", "--role", "owner"])
    assert result.exit_code != 0


def test_set_role(app, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a long enough password\n")
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "ed@example.org", "--password-file", str(secret)])
    result = runner.invoke(args=["set-role", "ED@example.org", "admin"])
    assert result.exit_code == 0 and "is now admin" in result.output
    with app.app_context():
        assert auth.find_user(db.session, "ed@example.org").role == "admin"
    result = runner.invoke(args=["set-role", "nobody@example.org", "admin"])
    assert result.exit_code != 0 and "No user" in result.output
    assert runner.invoke(args=["set-role", "ed@example.org", "owner"]).exit_code != 0


def test_suggest_text_output_on_an_empty_database(app, tmp_path):
    statement = tmp_path / "s.txt"
    statement.write_text("Nothing here matches anything.\n")
    result = app.test_cli_runner().invoke(args=["suggest", str(statement)])
    assert result.exit_code == 0, result.output
    result = app.test_cli_runner().invoke(args=["suggest", str(statement), "--format", "json"])
    assert result.output.strip() == "[]"
