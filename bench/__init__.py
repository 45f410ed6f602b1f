"""Benchmark sections for ``python manage.py benchmark [section ...] [--runs N]``.

Each module here (``api``, ``issuing``, ``scans``, ``notifications``, ...) defines
``run(stdout, runs: int) -> None`` and prints its figures with ``report`` (``stdout`` is the
command's OutputWrapper: each ``write`` is one line): the median of several
runs and their spread, because the machine is shared and single figures lie.

Sections that need data make their own (in memory, or in a database they create and drop) and
leave nothing running.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def timed(function: Callable[[], object]) -> float:
    """Seconds one call takes (``perf_counter``)."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(function: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``runs`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        function()
    return [timed(function) for _ in range(runs)]


def measure_cpu(function: Callable[[], object], runs: int, warmup: int = 1):
    """Like ``measure``, returning (wall seconds, CPU seconds of this process) per call. On a
    shared machine the CPU time is the steadier figure: it leaves out the time spent waiting
    for a core (it still carries cache and hyper-threading effects)."""
    for _ in range(warmup):
        function()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return wall, cpu


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "stdev": statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
    }


def report(stdout, label: str, samples: list[float], unit: str = "ms", scale: float = 1000.0):
    """One line: median, min-max spread and stdev (also as a share of the median: noise)."""
    stats = summary(samples)
    median = stats["median"] * scale
    noise = (stats["stdev"] / stats["median"] * 100) if stats["median"] else 0.0
    stdout.write(
        f"  {label}: median {median:.2f} {unit}  "
        f"(min {stats['min'] * scale:.2f}, max {stats['max'] * scale:.2f}, "
        f"stdev {stats['stdev'] * scale:.2f} = {noise:.0f}% noise, n={len(samples)})"
    )


def report_rate(stdout, label: str, rates: list[float], unit: str):
    """Like ``report`` for throughputs (higher is better)."""
    stats = summary(rates)
    noise = (stats["stdev"] / stats["median"] * 100) if stats["median"] else 0.0
    stdout.write(
        f"  {label}: median {stats['median']:.0f} {unit}  "
        f"(min {stats['min']:.0f}, max {stats['max']:.0f}, stdev {stats['stdev']:.0f} = "
        f"{noise:.0f}% noise, n={len(rates)})"
    )


def machine_line() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"cpus={os.cpu_count()} load average (1, 5, 15 min)={load}"


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int, *, with_reaped: bool = False) -> float | None:
    """User + system CPU seconds of a process from ``/proc`` (None once it is gone); with
    ``with_reaped``, also those of the children it has waited for (cutime + cstime)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # utime, stime, cutime, cstime: fields 14-17 of stat, 11-14 after the command name
    return sum(int(value) for value in fields[11 : 15 if with_reaped else 13]) / _CLK_TCK
