"""The wording of a duration, in the active language: the one home of "48 hours", "3 days" and
"5 h 02 min", for messages, pages, notifications and the PDF alike.

Two kinds of duration are written differently: a length a rule sets (``span``: a test at most
"48 hours" old, a pass valid at most "7 days") and a time that has passed or is left
(``elapsed``: waiting "5 h 02 min", decided within "3 days 4 h"). The inspector page's
``inspector.js`` writes ``elapsed`` the same way in the phone (its words come from
``checkpoint.views``).
"""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def _as_delta(value) -> datetime.timedelta:
    if isinstance(value, datetime.timedelta):
        return value
    return datetime.timedelta(hours=value)  # a number: hours, as pass types store them


def span(value) -> str:
    """A length set by a rule: "1 hour", "48 hours", "3 days". Whole days from three days on
    (below that people count in hours: the 48-hour test), whole hours below; anything finer
    is written as ``elapsed``. ``value``: a timedelta, or a number of hours."""
    delta = _as_delta(value)
    if delta >= 3 * DAY and not delta % DAY:
        days = delta // DAY
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if delta >= HOUR and not delta % HOUR:
        hours = delta // HOUR
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return elapsed(delta)


def elapsed(delta) -> str:
    """A time that has passed or is left: "45 min", "5 h 02 min", "3 days 4 h" (from 48 hours
    on, days and hours). Negative times count as none; ``None`` is a dash."""
    if delta is None:
        return "—"
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(days)d days %(hours)d h") % {"days": hours // 24, "hours": hours % 24}
