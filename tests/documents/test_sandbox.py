"""run_bounded: work in a child the kernel bounds; every way out reaches the caller clearly."""

import os
import signal
import time

import pytest

from passes.documents.sandbox import (
    BoundExceeded,
    ChildFailed,
    run_bounded,
    run_bounded_measured,
)

MB = 1024 * 1024
BOUNDS = {"memory_bytes": 64 * MB, "cpu_seconds": 5, "wall_seconds": 20}


def _hog():
    """Asks for memory until something stops it (10 MB a step, each page touched)."""
    kept = []
    while True:
        kept.append(bytearray(10 * MB))


def _spin():
    while True:
        pass


class Point:
    def __init__(self, x):
        self.x = x


def test_the_value_comes_back_with_the_childs_usage():
    result = run_bounded_measured(sorted, [3, 1, 2], **BOUNDS)
    assert result.value == [1, 2, 3]
    assert result.usage.peak_rss_bytes > 0 and result.usage.cpu_seconds < 5
    # A closure works too: the child is a fork, nothing has to be importable by name.
    table = {"a": 1}
    assert run_bounded(lambda key: table[key] + 1, "a", **BOUNDS) == 2


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def test_a_memory_hog_is_stopped_at_its_memory_bound():
    # The kernel bounds the address space the child adds to what it inherited, and inherited
    # space mapped but not resident (free heap, arenas) may become resident as well; the
    # parent's watch of the child's own memory stops it in either case.
    mapped_not_resident = _status_bytes("VmSize") - _status_bytes("VmRSS")
    started = time.monotonic()
    with pytest.raises(BoundExceeded) as caught:
        run_bounded(_hog, **BOUNDS)
    assert caught.value.kind == "memory"
    # The kernel refused the allocation: the child held no more than it was allowed.
    assert caught.value.usage.added_rss_bytes < mapped_not_resident + 64 * MB
    assert time.monotonic() - started < 10


def test_a_busy_loop_is_stopped_by_its_cpu_bound():
    started = time.monotonic()
    with pytest.raises(BoundExceeded) as caught:
        run_bounded(_spin, memory_bytes=64 * MB, cpu_seconds=1, wall_seconds=30)
    assert caught.value.kind == "cpu"
    assert 0.5 < caught.value.usage.cpu_seconds < 3
    assert time.monotonic() - started < 20  # well before the wall bound, even on a busy machine


def test_a_child_that_waits_is_killed_at_its_wall_bound():
    started = time.monotonic()
    with pytest.raises(BoundExceeded) as caught:
        run_bounded(time.sleep, 60, memory_bytes=64 * MB, cpu_seconds=5, wall_seconds=0.5)
    assert caught.value.kind == "wall"
    assert time.monotonic() - started < 5


def test_the_functions_own_error_comes_back_as_it_was():
    with pytest.raises(ValueError, match="not a number") as caught:
        run_bounded(int, "not a number", **BOUNDS)
    assert caught.value.sandbox_usage.cpu_seconds < 5


def test_a_child_that_dies_is_reported():
    with pytest.raises(ChildFailed, match="SIGKILL"):
        run_bounded(lambda: os.kill(os.getpid(), signal.SIGKILL), **BOUNDS)
    with pytest.raises(ChildFailed, match="exit 7"):
        run_bounded(os._exit, 7, **BOUNDS)


def test_the_answer_may_hold_only_plain_values_and_allowed_classes():
    with pytest.raises(ChildFailed, match="Point"):
        run_bounded(Point, 1, **BOUNDS)
    assert run_bounded(Point, 1, allowed_classes=(Point,), **BOUNDS).x == 1


def test_an_answer_larger_than_allowed_is_refused():
    with pytest.raises(BoundExceeded) as caught:
        run_bounded(bytes, 2 * MB, max_result_bytes=MB, **BOUNDS)
    assert caught.value.kind == "output"
    assert len(run_bounded(bytes, 2 * MB, **BOUNDS)) == 2 * MB  # larger than a pipe's buffer


def _children() -> set[int]:
    """This process's children, zombies included (servers other tests started stay)."""
    found = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as listing:
            found.update(int(pid) for pid in listing.read().split())
    return found


def test_no_child_is_left_behind():
    before = _children()
    for work in (_spin, _hog):
        with pytest.raises(BoundExceeded):
            run_bounded(work, memory_bytes=64 * MB, cpu_seconds=1, wall_seconds=5)
    assert _children() <= before  # every child has been reaped
