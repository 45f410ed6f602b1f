"""The test suite's clock switch: run every test with "now" moved far from today.

A test that hard-codes a calendar date next to code that reads the clock passes on the day it is
written and fails on the day the date goes by. ``.ci/run`` runs the README's test command twice
more with ``PASSDESK_TEST_CLOCK_SHIFT_DAYS`` set (``+400`` and ``-400``), so such a test fails the
day it is written instead. With the variable unset the clock is the machine's.

The shift is applied with time-machine, which moves every clock Python reads (``time.time``,
``datetime.now``, ``timezone.now``), and keeps ticking. Processes a test starts (a Celery worker,
gunicorn) are started through ``python -m tests.clock MODULE ARGS...`` so that they share the
shifted clock (``shifted_command``).
"""

import datetime
import os
import runpy
import sys
import time

SHIFT_VARIABLE = "PASSDESK_TEST_CLOCK_SHIFT_DAYS"


def shift_days() -> int:
    raw = os.environ.get(SHIFT_VARIABLE, "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{SHIFT_VARIABLE} must be a whole number of days, not {raw!r}") from None


def start_shift():
    """Move this process's clock by the configured number of days; return the traveller (or
    None when no shift is configured) so that the caller can stop it."""
    days = shift_days()
    if not days:
        return None
    import time_machine

    # A timestamp, not an aware datetime: time-machine sets the process's TZ to a destination's
    # zone (UTC), which moved "local" dates off Django's Asia/Shanghai by a day every evening.
    destination = time.time() + days * 86400
    traveller = time_machine.travel(destination, tick=True)
    traveller.start()
    return traveller


def sign_s3_requests_on_the_machine_clock() -> None:
    """An S3 server a test starts (SeaweedFS) keeps the machine's clock and refuses a request
    signed more than 15 minutes away from it, as AWS does. In production both clocks agree; in
    this suite "now" may be moved (the shift above, or a test's ``time_machine`` at a fixed
    moment), and botocore would sign with the moved time. Its signers read the time through
    ``get_current_datetime``: give them the machine's own (time-machine's escape hatch)."""
    try:
        import botocore.auth
        import botocore.signers
        import time_machine
    except ImportError:
        return

    def machine_now(remove_tzinfo=True):
        hatch = time_machine.escape_hatch
        clock = hatch.datetime.datetime if hatch.is_travelling() else datetime.datetime
        now = clock.now(datetime.UTC)
        return now.replace(tzinfo=None) if remove_tzinfo else now

    botocore.auth.get_current_datetime = machine_now
    botocore.signers.get_current_datetime = machine_now


def shifted_command(target: str, *args: str) -> list[str]:
    """The command line that runs ``python -m TARGET ARGS`` (or the script ``TARGET`` when it
    ends in ``.py``, such as ``manage.py``) on this suite's clock."""
    if shift_days():
        return [sys.executable, "-m", "tests.clock", target, *args]
    if target.endswith(".py"):
        return [sys.executable, target, *args]
    return [sys.executable, "-m", target, *args]


if __name__ == "__main__":
    sign_s3_requests_on_the_machine_clock()
    start_shift()
    target, *rest = sys.argv[1:]
    sys.argv = [target, *rest]
    if target.endswith(".py"):
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)


def share_with_browser(context_or_page):
    """Give a Playwright browser context (or page) this suite's clock: the pages' ``Date`` starts
    at the shifted "now" and keeps flowing, so a page compares the server's times with its own
    as it would on the day. Nothing happens when no shift is configured."""
    if shift_days():
        context_or_page.clock.install(time=datetime.datetime.now(datetime.UTC))
    return context_or_page
