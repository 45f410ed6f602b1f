"""One demo driver's e-pass link, printed by ``manage.py demo``: the token is never stored, so
each run makes a fresh link (replacing the last run's) for the first demo enterprise's first
pass in force, and its first driver."""

from ..checkpoint.summary import mask_name
from ..epass import links
from ..models import Pass
from . import data


def driver_link() -> tuple[Pass, object, str] | None:
    """(pass, driver, link) or None when no demo pass is in force."""
    credit_code = data.ENTERPRISES[0]["credit_code"]
    pass_obj = (
        Pass.objects.in_force()
        .filter(request__enterprise__credit_code=credit_code)
        .order_by("number")
        .first()
    )
    driver = pass_obj.drivers.order_by("name", "pk").first() if pass_obj else None
    if driver is None:
        return None
    return pass_obj, driver, links.fresh_link(pass_obj, driver.pk)


def summary_line() -> str:
    found = driver_link()
    if found is None:
        return "Driver's e-pass: no demo pass in force."
    pass_obj, driver, url = found
    return f"Driver's e-pass ({pass_obj.plate}, driver {mask_name(driver.name)}): {url}"
