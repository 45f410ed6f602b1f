"""The architecture's contracts (``[tool.importlinter]`` in pyproject.toml) hold: no import
cycle between the contexts of ``passes`` nor inside any of them, a configuration that imports
nothing of the app, an app that never imports the project's Celery app, interfaces above
services above models, and a token format and offline verifier that need no Django. And they
bite: a copy of the tree with one such import added breaks the contract that forbids it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
LINTER = Path(sys.executable).with_name("lint-imports")


def lint(folder: Path) -> subprocess.CompletedProcess:
    # lint-imports puts its working directory first on the path: the copy is what it reads.
    return subprocess.run(
        [str(LINTER), "--no-cache"], cwd=folder, capture_output=True, text=True, check=False
    )


def test_import_contracts_are_kept():
    result = lint(BASE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "added", "broken"),
    [
        (  # a circle inside a context, made by a lazy import as tasks and services once did
            "passes/issuing/offline_tags.py",
            "def _circle():\n    from .rendering import render_request_passes  # noqa\n",
            "No cycles are allowed in passes.issuing.",
        ),
        (
            "config/urls.py",
            "from passes.admin.dashboard import dashboard_view  # noqa\n",
            "config is not allowed to import passes",
        ),
        (
            "passes/notifications/outbox.py",
            "def _eager():\n    from config.celery import app  # noqa\n",
            "passes is not allowed to import config.celery",
        ),
    ],
    ids=["circle inside a context", "config imports the app", "a service imports config.celery"],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, added, broken):
    skip = shutil.ignore_patterns("__pycache__", "static", "templates", "locale", "fonts")
    for package in ("passes", "config"):
        shutil.copytree(BASE_DIR / package, tmp_path / package, ignore=skip)
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path)
    assert lint(tmp_path).returncode == 0  # the copy as it is keeps every contract
    with (tmp_path / module).open("a") as source:
        source.write("\n\n" + added)
    result = lint(tmp_path)
    assert result.returncode != 0 and broken in result.stdout, result.stdout
