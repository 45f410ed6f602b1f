"""Where a pass's CPU goes, call by call: ``python manage.py benchmark calls [--runs N]
[--enterprises N]``.

The fortnight section measures the whole stack under load; this one takes its flow apart. A
throw-away PostgreSQL database (``PASSDESK_BENCH_PG``, as for fortnight) is seeded with the
fortnight's enterprises, and one process drives every enterprise's calls through Django's own
request handling (middleware, DRF, the views, the database; no HTTP server) and runs the worker
tasks the flow queues. It prints each call's median thread CPU (the web or worker process's
share; PostgreSQL's is not in it), the spread between the quartiles, the statements it ran
through Django's connection (the scan's prepared statements on their own cursor are not
counted), and the sum per request and per pass. The first fifth of each call's samples warm
up caches and connections and are left out. ``--runs`` repeats the whole replay (a fresh
database each time) and reports the median of the runs' medians.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from . import machine_line
from ._fortnight_stack import BASE_DIR, Stack, _pg_base

DEFAULT_ENTERPRISES = 60
PASSES_PER_REQUEST = 2


def run(stdout, runs: int, enterprises: int = DEFAULT_ENTERPRISES) -> None:
    runs = max(1, min(runs, 5))
    stdout.write(
        f"calls: {enterprises} enterprises through Django in one process, "
        f"{runs} replay(s) ({machine_line()})"
    )
    replays = [_replay(enterprises) for _ in range(runs)]
    names = list(replays[0])
    width = max(len(name) for name in names)
    stdout.write(f"  {'call':{width}}  per request  CPU ms median (quartiles)  statements")
    totals = {"web": [], "worker": []}
    for replay in replays:
        web = worker = 0.0
        for name, figures in replay.items():
            cost = _median(figures["cpu_ms"]) * figures["per_request"]
            if name.startswith("task:"):
                worker += cost
            else:
                web += cost
        totals["web"].append(web)
        totals["worker"].append(worker)
    for name in names:
        samples = [_kept(replay[name]["cpu_ms"]) for replay in replays]
        medians = [statistics.median(values) for values in samples]
        low = statistics.median(_quartiles(values)[0] for values in samples)
        high = statistics.median(_quartiles(values)[1] for values in samples)
        count = statistics.median(statistics.median(r[name]["statements"]) for r in replays)
        per_request = replays[0][name]["per_request"]
        stdout.write(
            f"  {name:{width}}  x{per_request:<10.0f}  {statistics.median(medians):6.2f} "
            f"({low:.2f}-{high:.2f}){'':9}{count:.0f}"
        )
    for side in ("web", "worker"):
        per_request = statistics.median(totals[side])
        spread = f"{min(totals[side]):.1f}-{max(totals[side]):.1f}" if runs > 1 else "one run"
        stdout.write(
            f"  {side}: {per_request:.1f} ms of CPU per request ({spread}), "
            f"{per_request / PASSES_PER_REQUEST / 1000:.4f} CPU-s per pass"
        )


def _replay(enterprises: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="passdesk-bench-calls-"))
    stack = Stack(folder, _pg_base())
    try:
        seeded = stack.prepare(enterprises)
        seed_path, figures_path = folder / "seed.json", folder / "calls.json"
        seed_path.write_text(json.dumps(seeded), "utf-8")
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "bench._calls_probe",
                str(seed_path),
                str(enterprises),
                str(figures_path),
            ],
            cwd=BASE_DIR,
            env=stack.env,
            check=True,
            timeout=1800,
        )
        return json.loads(figures_path.read_text("utf-8"))
    finally:
        stack.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _kept(values: list[float]) -> list[float]:
    """Without the warm-up: the first fifth of the samples."""
    return values[len(values) // 5 :] or values


def _median(values: list[float]) -> float:
    return statistics.median(_kept(values))


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    quartiles = statistics.quantiles(values, n=4)
    return quartiles[0], quartiles[2]
