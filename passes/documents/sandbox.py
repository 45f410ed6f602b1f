"""Run one parse or render of an untrusted file under limits the operating system enforces.

A crafted spreadsheet, PDF or image can ask a library for gigabytes of memory or hours of CPU
from a few kilobytes of input; a check inside the library cannot be trusted to stop it, and a
Celery soft time limit only interrupts Python between bytecodes. ``run_bounded`` therefore runs
the work in a forked child process whose limits the kernel holds:

    value = run_bounded(parse, raw, name, memory_bytes=256 * MB, cpu_seconds=20, wall_seconds=40)

Contract (kept generic: spreadsheets, PDF pages, images and OCR all use it):

* ``func(*args, **kwargs)`` runs in a child made with ``os.fork()``, so it may be a closure or
  use anything the parent has already loaded (fonts, OCR models, imported libraries: import
  them in the parent first so each child does not pay for it). The parent's threads do not
  exist in the child. It works the same in a Celery prefork pool process (whose processes are
  daemonic and may not use ``multiprocessing``), in eager mode, in tests and in a web process.
* The child must not use the database, the cache, the object store or any other connection it
  inherited (they are the parent's sockets): give it bytes or a local path, take plain values
  back. Its value comes back through a pipe with ``pickle``, at most ``max_result_bytes``, and
  may hold only builtin values (str, bytes, numbers, lists, dicts...), dates, ``Decimal`` and
  the classes listed in ``allowed_classes``: the parent refuses anything else, so a child
  taken over through a parser's bug cannot run code in the parent. An exception ``func``
  raises is re-raised in the parent as it was, with the child's ``Usage`` as its
  ``sandbox_usage`` attribute (if it can be pickled and its class is loaded in the parent;
  otherwise ``ChildFailed`` with its text).
* ``memory_bytes``: address space the child may add to what it inherited (``RLIMIT_AS`` is set
  to the size at fork plus this). Allocations beyond it fail, so Python raises ``MemoryError``
  (reported as ``BoundExceeded("memory")``) or a C library aborts: ``BoundExceeded("memory")``
  too when the child had added three quarters of the allowance to its resident memory by then
  (pdfium does this), else ``ChildFailed``.
* ``cpu_seconds``: CPU time of the child (``RLIMIT_CPU``; the kernel sends SIGXCPU, then SIGKILL
  a second later): ``BoundExceeded("cpu")``.
* ``wall_seconds``: the parent kills the child with SIGKILL when it has not answered by then:
  ``BoundExceeded("wall")``. The child also arms ``alarm()`` a little later and dies with its
  parent (``PR_SET_PDEATHSIG``), so it never outlives a killed worker. Keep this under the
  Celery soft time limit, so the task itself can mark its object failed.
* Core dumps are off in the child; its stdout and stderr are the parent's.
* If the parent is interrupted while waiting (a Celery time limit, KeyboardInterrupt), the
  child is killed and reaped before the exception propagates.

``run_bounded_measured`` returns the value with the child's ``Usage`` (peak resident memory,
CPU and wall seconds), for benchmarks and tests. Linux only (``/proc``, ``RLIMIT_AS``).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import decimal
import gc
import io
import os
import pickle
import resource
import select
import signal
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024

_PRELUDE = struct.Struct("!Q")  # the child's resident memory (kB) before the work starts
_HEADER = struct.Struct("!cQ")  # kind of answer, length of the pickled payload
_RESULT, _ERROR, _MEMORY, _TOO_BIG = b"R", b"E", b"M", b"B"
_PR_SET_PDEATHSIG = 1
# A child killed by one of these after it had added this share of its memory allowance to its
# resident set died of the bound: C++ libraries abort (or crash) when an allocation fails.
_ALLOCATION_DEATHS = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)
_NEAR_THE_BOUND = 0.75


class SandboxError(Exception):
    """The bounded work did not produce an answer."""


class BoundExceeded(SandboxError):
    """The child went past one of its limits: ``kind`` is "memory", "cpu", "wall" or
    "output" (its answer was larger than ``max_result_bytes``)."""

    def __init__(self, kind: str, limit: float, usage: Usage | None = None):
        super().__init__(f"bounded work exceeded its {kind} limit ({limit:g})")
        self.kind = kind
        self.limit = limit
        self.usage = usage


class ChildFailed(SandboxError):
    """The child died without an answer (a signal, a C library's abort) or its exception could
    not be sent back."""

    def __init__(self, message: str, usage: Usage | None = None):
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class Usage:
    """What the child used: ``peak_rss_bytes`` is its peak resident set, which includes the
    pages it still shares with the parent (``start_rss_bytes`` of them were resident when the
    work began); ``added_rss_bytes`` is what the work itself brought in."""

    peak_rss_bytes: int
    start_rss_bytes: int
    cpu_seconds: float
    wall_seconds: float

    @property
    def added_rss_bytes(self) -> int:
        return max(0, self.peak_rss_bytes - self.start_rss_bytes)


@dataclass(frozen=True)
class Bounded:
    value: Any
    usage: Usage


class _AnswerUnpickler(pickle.Unpickler):
    """Unpickles the child's answer with no class but plain values, exceptions the parent has
    loaded and the caller's ``allowed_classes``: a child taken over through a bug in a C parser
    must not be able to run code in the parent through ``pickle``."""

    PLAIN = (datetime.date, datetime.datetime, datetime.time, datetime.timedelta, decimal.Decimal)

    def __init__(self, data: bytes, allowed_classes):
        super().__init__(io.BytesIO(data))
        self.allowed = {(c.__module__, c.__qualname__): c for c in (*self.PLAIN, *allowed_classes)}

    def find_class(self, module, name):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        loaded = sys.modules.get(module)  # never import anything new
        found = getattr(loaded, name, None) if loaded is not None and "." not in name else None
        if isinstance(found, type) and issubclass(found, BaseException):
            return found
        raise pickle.UnpicklingError(f"the child's answer holds a {module}.{name}")


def _status_kb(field: str) -> int | None:
    """A ``/proc/self/status`` figure in kB (VmSize, VmRSS), or None off Linux."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(field.encode() + b":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _caused_by_memory(error: BaseException | None) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, MemoryError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


_WATCH_SECONDS = 0.02  # how often the parent looks at the child's own memory
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
_MMAP_FROM_BYTES = 64 * 1024


def _child(write_fd, func, args, kwargs, memory_bytes, cpu_seconds, wall_seconds, max_result):
    """Runs in the forked child: set the limits, run, answer, exit without cleanup."""
    code = 0
    try:
        with contextlib.suppress(Exception):  # best effort: not every libc or kernel has it
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        for number in (signal.SIGXCPU, signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # Celery's soft limit is the parent's
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        cpu = max(1, int(cpu_seconds + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        with contextlib.suppress(Exception):  # glibc only
            # The bound is on address space, and the free heap the child inherited is address
            # space already counted: large blocks must come from new mappings, or a child of a
            # long-lived process could fill that free heap beyond its allowance.
            ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _MMAP_FROM_BYTES)
        inherited_kb = _status_kb("VmSize") or 0
        address_space = inherited_kb * 1024 + int(memory_bytes)
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        signal.alarm(int(wall_seconds) + 2)
        gc.freeze()  # the collector leaves the inherited objects (and their pages) alone
        _write_all(write_fd, _PRELUDE.pack(_status_kb("VmRSS") or 0))
        try:
            answer = _RESULT, pickle.dumps(func(*args, **kwargs), pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # everything goes back to the parent
            if _caused_by_memory(error):
                answer = _MEMORY, b""
            else:
                try:
                    answer = _ERROR, pickle.dumps(error, pickle.HIGHEST_PROTOCOL)
                except Exception:  # an unpicklable exception: send its text
                    answer = _ERROR, pickle.dumps(ChildFailed(f"{type(error).__name__}: {error}"))
        kind, payload = answer
        if len(payload) > max_result:
            kind, payload = _TOO_BIG, b""
        _write_all(write_fd, _HEADER.pack(kind, len(payload)))
        _write_all(write_fd, payload)
    except MemoryError:
        try:
            _write_all(write_fd, _HEADER.pack(_MEMORY, 0))
        except BaseException:
            code = 3
    except BaseException:  # nothing may escape into the parent's code
        code = 2
    finally:
        os._exit(code)


class _Waiter:
    """The parent's side: read the answer before the deadline, then reap the child."""

    def __init__(self, pid, read_fd, deadline, max_result, memory_bytes):
        self.pid = pid
        self.read_fd = read_fd
        self.deadline = deadline
        self.max_result = max_result
        self.memory_bytes = memory_bytes
        self.buffer = bytearray()
        self.timed_out = False
        self.over_memory = False
        self.reaped = None  # (status, rusage) once waited for
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None  # old kernel or seccomp: poll instead

    def _private_bytes(self) -> int:
        """Memory the child holds for itself: pages it allocated or copied from the parent
        (private clean and dirty, from smaps_rollup); 0 when unknown."""
        total = 0
        try:
            with open(f"/proc/{self.pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith(("Private_Clean:", "Private_Dirty:")):
                        total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            return 0
        return total

    def _readable(self, timeout):
        fds = [self.read_fd] + ([self.pidfd] if self.pidfd is not None else [])
        # Woken every 20 ms to watch the child's own memory (see ``answer``).
        poll = min(timeout, _WATCH_SECONDS)
        ready, _w, _x = select.select(fds, [], [], max(0.0, poll))
        return self.read_fd in ready

    def _read(self):
        chunk = os.read(self.read_fd, 1 << 16)
        self.buffer += chunk
        return bool(chunk)

    @property
    def start_rss_bytes(self):
        if len(self.buffer) < _PRELUDE.size:
            return 0
        return _PRELUDE.unpack_from(self.buffer)[0] * 1024

    def _complete(self):
        """(kind, payload) once the buffer holds the whole answer, else None."""
        start = _PRELUDE.size
        if len(self.buffer) < start + _HEADER.size:
            return None
        kind, length = _HEADER.unpack_from(self.buffer, start)
        if length > self.max_result:
            return _TOO_BIG, b""
        start += _HEADER.size
        if len(self.buffer) < start + length:
            return None
        return kind, bytes(self.buffer[start : start + length])

    def answer(self):
        """(kind, payload), or None when the child ended or the time ran out without one."""
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return None
            if self._readable(remaining):
                if not self._read():
                    return None  # every writer closed: the child is gone
                if (complete := self._complete()) is not None:
                    return complete
            elif self.reaped is None and self._private_bytes() > self.memory_bytes:
                # The kernel bounds the address space the child adds; a child of a long-lived
                # process can also fill space it inherited (free heap, allocator pools) without
                # adding any, so the memory that is its own is watched too.
                self.over_memory = True
                return None
            elif self.reaped is None:
                pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
                if pid:  # gone: take what is left in the pipe, then stop
                    self.reaped = (status, rusage)
                    while self._readable(0) and self._read():
                        pass
                    return self._complete()

    def kill_and_reap(self):
        if self.reaped is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            _pid, status, rusage = os.wait4(self.pid, 0)
            self.reaped = (status, rusage)
        return self.reaped

    def close(self):
        os.close(self.read_fd)
        if self.pidfd is not None:
            os.close(self.pidfd)


def run_bounded_measured(
    func: Callable[..., Any],
    *args: Any,
    memory_bytes: int,
    cpu_seconds: float,
    wall_seconds: float,
    max_result_bytes: int = 64 * MB,
    allowed_classes: tuple[type, ...] = (),
    **kwargs: Any,
) -> Bounded:
    """Like ``run_bounded``, with the child's ``Usage`` beside the value."""
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child's coverage is not collected)
        os.close(read_fd)
        _child(
            write_fd,
            func,
            args,
            kwargs,
            memory_bytes,
            cpu_seconds,
            wall_seconds,
            max_result_bytes,
        )
    os.close(write_fd)
    waiter = _Waiter(pid, read_fd, started + wall_seconds, max_result_bytes, memory_bytes)
    try:
        answer = waiter.answer()
    finally:
        status, rusage = waiter.kill_and_reap()  # at once if it already ended
        waiter.close()
    usage = Usage(
        peak_rss_bytes=rusage.ru_maxrss * 1024,
        start_rss_bytes=waiter.start_rss_bytes,
        cpu_seconds=rusage.ru_utime + rusage.ru_stime,
        wall_seconds=time.monotonic() - started,
    )
    if answer is not None:
        kind, payload = answer
        if kind in (_RESULT, _ERROR):
            try:
                value = _AnswerUnpickler(payload, allowed_classes).load()
            except Exception as error:
                raise ChildFailed(f"the child's answer cannot be read: {error}", usage) from None
        if kind == _RESULT:
            return Bounded(value, usage)
        if kind == _ERROR:
            with contextlib.suppress(AttributeError, TypeError):
                value.sandbox_usage = usage  # what the child used before it refused
            if isinstance(value, SandboxError):
                value.usage = usage
            raise value
        if kind == _MEMORY:
            raise BoundExceeded("memory", memory_bytes, usage)
        if kind == _TOO_BIG:
            raise BoundExceeded("output", max_result_bytes, usage)
    if waiter.over_memory:
        raise BoundExceeded("memory", memory_bytes, usage)
    if os.WIFSIGNALED(status) and (
        os.WTERMSIG(status) == signal.SIGXCPU or usage.cpu_seconds >= cpu_seconds
    ):
        raise BoundExceeded("cpu", cpu_seconds, usage)
    if waiter.timed_out or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM):
        raise BoundExceeded("wall", wall_seconds, usage)
    if (
        os.WIFSIGNALED(status)
        and os.WTERMSIG(status) in _ALLOCATION_DEATHS
        and usage.added_rss_bytes >= _NEAR_THE_BOUND * memory_bytes
    ):  # a C library (pdfium) that aborts when an allocation fails, near the bound
        raise BoundExceeded("memory", memory_bytes, usage)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise ChildFailed(f"the child died of signal {name}", usage)
    code = os.waitstatus_to_exitcode(status)
    raise ChildFailed(f"the child ended without an answer (exit {code})", usage)


def run_bounded(
    func: Callable[..., Any],
    *args: Any,
    memory_bytes: int,
    cpu_seconds: float,
    wall_seconds: float,
    max_result_bytes: int = 64 * MB,
    allowed_classes: tuple[type, ...] = (),
    **kwargs: Any,
) -> Any:
    """``func(*args, **kwargs)`` in a child process under OS limits (see the module's
    docstring); its value, or ``BoundExceeded(kind)`` / ``ChildFailed`` / ``func``'s error."""
    return run_bounded_measured(
        func,
        *args,
        memory_bytes=memory_bytes,
        cpu_seconds=cpu_seconds,
        wall_seconds=wall_seconds,
        max_result_bytes=max_result_bytes,
        allowed_classes=allowed_classes,
        **kwargs,
    ).value
