"""The ``calls`` benchmark's flow runs end to end on the test database: every call of a
request's life answers, is timed and has its statements counted."""

import json

import pytest

from bench._calls_probe import run_calls
from bench._fortnight_data import seed


@pytest.mark.django_db(transaction=True)
def test_one_request_life_call_by_call(tmp_path, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    path = tmp_path / "seed.json"
    seed(str(path), 2)

    figures = run_calls(json.loads(path.read_text("utf-8")), 2)

    per_request = {name: round(value["per_request"]) for name, value in figures.items()}
    assert {
        "register vehicle": 2,
        "register driver": 2,
        "create request": 1,
        "upload scan": 2,
        "submit": 1,
        "review queue": 1,
        "claim": 1,
        "review detail": 1,
        "view document": 2,
        "approve": 1,
        "request detail": 1,
        "download PDF": 1,
        "scan": 8,
        "task: render PDF": 1,
        "task: thumbnail": 2,
    }.items() <= per_request.items()
    for name, value in figures.items():
        assert all(ms > 0 for ms in value["cpu_ms"]), name
        if not name.startswith("task:"):
            assert min(value["statements"]) >= 1, name  # at least the token or session lookup
