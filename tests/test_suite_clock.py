"""The suite's clock (tests/clock.py) moves the date, never the time zone."""

from django.conf import settings
from django.utils import timezone


def test_the_process_local_time_zone_stays_djangos_under_the_suite_clock():
    # CI runs the suite with the clock moved 400 days either way. A local date taken with
    # astimezone() must still be the office's date, or a test comparing it with Django's
    # __date lookups fails every evening (UTC) and only in the moved passes.
    now = timezone.now()
    assert now.astimezone().utcoffset() == timezone.localtime(now).utcoffset()
    assert now.astimezone().date() == timezone.localdate(now)
    assert settings.TIME_ZONE == "Asia/Shanghai"
