"""The embedded default (SQLite) under concurrent writers: one approval wins, the others get a
clear 409, none "database is locked". The probe runs in a pytest of its own on a file database."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def test_concurrent_approvals_on_a_sqlite_file(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REQUIRE_SERVICES", "CELERY_BROKER_URL", "CACHE_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'passdesk.sqlite3'}",
        TEST_DATABASE_NAME=str(tmp_path / "test-passdesk.sqlite3"),
        CELERY_TASK_ALWAYS_EAGER="true",
        PASSDESK_VAR_DIR=str(tmp_path / "var"),
    )
    probe = subprocess.run(  # noqa: S603 - our own interpreter and test file
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/sqlite_concurrency_probe.py",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert probe.returncode == 0, probe.stdout[-6000:] + probe.stderr[-3000:]
