"""The lists an inspector's phone copies for offline checks: the signed list of active passes
(``GET /api/v1/checkpoint/active-passes/``) for 10,000 and 100,000 active passes: its size on
the phone and over the wire (gzip), and the server's time to build and sign it on each refresh.

For each size a throw-away PostgreSQL database (``PASSDESK_BENCH_OFFLINE_DB``, default
``passdesk_bench_offline``) is created, migrated, seeded and dropped; the build runs in a child
process against it. Environment: ``PASSDESK_BENCH_PG`` (postgres://postgres@127.0.0.1:5432),
``PASSDESK_BENCH_OFFLINE_SIZES`` (10000,100000).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import machine_line, report
from .scans import BASE_DIR, _admin_conn, _server_env

DB_NAME = os.environ.get("PASSDESK_BENCH_OFFLINE_DB", "passdesk_bench_offline")


def _recreate(pg_url):
    with _admin_conn(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _drop(pg_url):
    with _admin_conn(pg_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def _one_size(stdout, pg_url, workdir: Path, size: int, runs: int) -> None:
    env = _server_env(pg_url, workdir / "keys")
    env["DATABASE_URL"] = f"{pg_url}/{DB_NAME}"
    _recreate(pg_url)
    try:
        subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=600,
        )
        out = workdir / f"offline-{size}.json"
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "passes.benchmarks._offline_lists_data",
                str(out),
                str(size),
                str(runs),
            ],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=1800,
        )
        data = json.loads(out.read_text())
    finally:
        _drop(pg_url)
    stdout.write(
        f"  {data['count']} active passes ({data['routes']} distinct routes; seeded in "
        f"{data['seeded_seconds']:.0f} s):"
    )
    stdout.write(
        f"    on the phone: {data['entry_bytes'] / 1e6:.2f} MB of entries, "
        f"{data['bytes'] / 1e6:.2f} MB signed JSON; "
        f"over the wire gzip {data['gzip_bytes'] / 1e6:.2f} MB"
    )
    report(stdout, "  refresh: build + sign, wall", data["wall"], unit="ms")
    report(stdout, "  refresh: build + sign, CPU of the web process", data["cpu"], unit="ms")


def run(stdout, runs: int) -> None:
    pg_url = os.environ.get("PASSDESK_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    sizes = [
        int(value)
        for value in os.environ.get("PASSDESK_BENCH_OFFLINE_SIZES", "10000,100000").split(",")
    ]
    stdout.write(f"  PostgreSQL on loopback; {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="passdesk-bench-offline-") as tmp:
        for size in sizes:
            _one_size(stdout, pg_url, Path(tmp), size, runs)
