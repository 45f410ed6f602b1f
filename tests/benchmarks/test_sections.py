"""Every benchmark section imports and is listed by ``manage.py benchmark --help`` (the
benchmarks are not run in CI, but a renamed helper must not leave one broken)."""

import importlib

import pytest
from django.core.management import call_command

from bench.management.commands.benchmark import available_sections


def test_the_command_lists_every_section(capsys):
    with pytest.raises(SystemExit):
        call_command("benchmark", "--help")
    help_text = " ".join(capsys.readouterr().out.split())
    sections = available_sections()
    assert {"api", "documents", "issuing", "notifications", "review", "scans"} <= set(sections)
    for name in sections:
        assert name in help_text


@pytest.mark.parametrize("name", available_sections())
def test_each_section_imports_and_has_a_run_function(name):
    module = importlib.import_module(f"bench.{name}")
    assert callable(module.run)
