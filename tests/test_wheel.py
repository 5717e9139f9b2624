"""A built wheel is the whole application: installed (not editable) in a fresh virtual
environment, away from the checkout, it migrates a database and renders pages, templates,
static files and migrations included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SMOKE = """
import sys, tracker
from tracker import create_app
assert tracker.__file__.startswith(sys.prefix), tracker.__file__
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "SECRET_KEY": "x"})
client = app.test_client()
for path in ("/", "/events", "/methodology", "/map", "/static/style.css", "/openapi.json"):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
print("served from", tracker.__file__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the wheel installed without dependencies; the dependencies come from
    the project's environment on PYTHONPATH (no download), which holds no copy of tracker."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools builds in the tree (build/, *.egg-info), and two test
    # workers building the checkout at once removed each other's files.
    source = tmp / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "instance",
            "build",
            "*.egg-info",
            "artifacts",
            "__pycache__",
            ".mypy_cache",
            ".ruff_cache",
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "dist"), str(source)],
        check=True,
    )
    [wheel] = (tmp / "dist").glob("surveillance_policy_tracker-*.whl")
    venv.create(tmp / "env", with_pip=False)
    python = tmp / "env" / "bin" / "python"
    site = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": site, "PYTHONNOUSERSITE": "1"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(tmp / "env" / "lib" / "site"),
            str(wheel),
        ],
        check=True,
    )
    env["PYTHONPATH"] = f"{tmp / 'env' / 'lib' / 'site'}{os.pathsep}{site}"
    return tmp, python, env


def test_the_wheel_holds_templates_static_files_and_migrations(installed):
    tmp, _, _ = installed
    package = tmp / "env" / "lib" / "site" / "tracker"
    assert (package / "templates" / "base.html").exists()
    assert (package / "static" / "style.css").exists()
    assert list((package / "db" / "migrations" / "versions").glob("0001_*.py"))


def test_the_installed_wheel_migrates_and_serves_pages(installed):
    tmp, python, env = installed
    database = tmp / "wheel.sqlite3"
    setup = subprocess.run(
        [str(python), "-m", "flask", "--app", "tracker", "setup", "--no-data"],
        cwd=tmp,
        env={
            **env,
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "x",
            "TRACKER_INSTANCE": str(tmp / "instance"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert setup.returncode == 0, setup.stderr
    result = subprocess.run(
        [str(python), "-c", SMOKE, str(database)],
        cwd=tmp,
        env={**env, "TRACKER_INSTANCE": str(tmp / "instance")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp / "env" / "lib" / "site" / "tracker") in result.stdout
