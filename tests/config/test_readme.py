"""The README stays true: its two set-up commands are the ones CI runs, and its settings table
documents every environment variable ``config/settings.py`` reads."""

import ast
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
README = (BASE_DIR / "README.md").read_text(encoding="utf-8")


def variables_read_by_settings() -> set[str]:
    """Names passed to ``env.<cast>("NAME", ...)`` (or ``environ.Env().<cast>``)."""
    tree = ast.parse((BASE_DIR / "config" / "settings.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        is_env = (isinstance(owner, ast.Name) and owner.id == "env") or (
            isinstance(owner, ast.Call) and getattr(owner.func, "attr", "") == "Env"
        )
        first = node.args[0] if node.args else None
        if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def settings_table_rows() -> set[str]:
    section = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", section, flags=re.MULTILINE))


def test_every_environment_variable_is_in_the_readme_settings_table():
    read = variables_read_by_settings()
    assert len(read) > 20  # the parser found the env.* calls
    missing = sorted(read - settings_table_rows())
    assert not missing, f"add a row to the README settings table for: {', '.join(missing)}"


def test_the_settings_table_lists_no_variable_nobody_reads():
    stale = sorted(settings_table_rows() - variables_read_by_settings())
    assert not stale, f"the README documents variables settings.py no longer reads: {stale}"


def test_readme_opens_with_the_two_commands():
    commands = [line for line in README.splitlines()[:10] if line.startswith("python3.11 ")]
    assert commands == [
        "python3.11 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/python manage.py demo",
        "python3.11 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest",
    ]
    # .ci/run finds the test command by this fragment.
    ci = (BASE_DIR / ".ci" / "run").read_text(encoding="utf-8")
    assert "grep -m1 -F \"pip install -e '.[dev]'\" README.md" in ci
