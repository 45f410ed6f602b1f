"""What a scan shows about a pass: everything an inspector compares with the truck, and a
masked version for the public page (no full driver names, ID numbers or phone numbers).

The scan endpoint is the busiest in the system, and building this read through the ORM
(select_related over four tables plus two prefetches) cost several times the CPU of running
it. So a pass is read here in one round trip of plain SQL built with ``models.sqlrows``:
the pass row with what it hangs from, and its drivers and checkpoints, in one UNION.
``load_pass_orm`` is the same read through the ORM (``tests/test_sql_parity.py`` holds the two
to one answer). The same loader serves the API, the replay path and the public page.
"""

import datetime
from dataclasses import dataclass, field
from functools import cache

from django.utils import timezone

from ..models import Checkpoint, Driver, Enterprise, Pass, PassRequest, PassType, Vehicle
from ..models.sqlrows import column, prepared_cursor, table
from ..validators import mask_id_number
from .plates import plate_colour


@dataclass
class PassView:
    """A pass as a scan sees it (read-only)."""

    pk: int
    number: str
    plate: str
    status: str
    valid_from: datetime.datetime
    valid_until: datetime.datetime
    revoked_at: datetime.datetime | None
    vehicle_type: str
    enterprise: str
    pass_type: str
    cargo_description: str
    cargo_category: str
    origin: str
    destination: str
    route: str
    route_bound: bool = True
    revocation_reason: str = ""
    drivers: list[tuple[str, str]] = field(default_factory=list)  # (name, id number)
    checkpoints: list[tuple[str, str]] = field(default_factory=list)  # (code, name)

    @property
    def route_codes(self) -> tuple[str, ...]:
        """The checkpoints this pass is good at; empty when it is good at any."""
        if not self.route_bound:
            return ()
        return tuple(code for code, _name in self.checkpoints)


@cache
def _pass_sql(key: str) -> str:
    p, r, e, t, v = "p", "r", "e", "t", "v"
    return (
        f"SELECT {p}.{column(Pass, 'id')}, {p}.{column(Pass, 'number')}, "  # noqa: S608 - quoted model identifiers; values are parameters
        f"{p}.{column(Pass, 'plate')}, "
        f"{p}.{column(Pass, 'status')}, {p}.{column(Pass, 'valid_from')}, "
        f"{p}.{column(Pass, 'valid_until')}, {p}.{column(Pass, 'revoked_at')}, "
        f"{p}.{column(Pass, 'request')}, {v}.{column(Vehicle, 'vehicle_type')}, "
        f"{e}.{column(Enterprise, 'name')}, {t}.{column(PassType, 'name')}, "
        f"{r}.{column(PassRequest, 'cargo_description')}, "
        f"{r}.{column(PassRequest, 'cargo_category')}, {r}.{column(PassRequest, 'origin')}, "
        f"{r}.{column(PassRequest, 'destination')}, "
        f"{r}.{column(PassRequest, 'route_description')}, "
        f"{t}.{column(PassType, 'route_bound')}, {p}.{column(Pass, 'revocation_reason')} "
        f"FROM {table(Pass)} {p} "
        f"JOIN {table(PassRequest)} {r} ON {r}.{column(PassRequest, 'id')} = "
        f"{p}.{column(Pass, 'request')} "
        f"JOIN {table(Enterprise)} {e} ON {e}.{column(Enterprise, 'id')} = "
        f"{r}.{column(PassRequest, 'enterprise')} "
        f"JOIN {table(PassType)} {t} ON {t}.{column(PassType, 'id')} = "
        f"{r}.{column(PassRequest, 'pass_type')} "
        f"JOIN {table(Vehicle)} {v} ON {v}.{column(Vehicle, 'id')} = {p}.{column(Pass, 'vehicle')} "
        f"WHERE {p}.{column(Pass, key)} = %s"
    )


@cache
def _people_and_places_sql(key: str) -> str:
    """The pass's drivers ('d') and its request's checkpoints ('c'), found by the same key as
    the pass row, so that both can travel in one statement with it."""
    drivers = Pass.drivers.through
    stops = PassRequest.checkpoints.through
    return (
        f"SELECT 'd', d.{column(Driver, 'name')}, d.{column(Driver, 'id_number')} "  # noqa: S608 - quoted model identifiers; values are parameters
        f"FROM {table(Driver)} d JOIN {table(drivers)} pd "
        f"ON pd.{column(drivers, 'driver')} = d.{column(Driver, 'id')} "
        f"JOIN {table(Pass)} dp ON dp.{column(Pass, 'id')} = pd.{column(drivers, 'pass')} "
        f"WHERE dp.{column(Pass, key)} = %s "
        "UNION ALL "
        f"SELECT 'c', c.{column(Checkpoint, 'code')}, c.{column(Checkpoint, 'name')} "
        f"FROM {table(Checkpoint)} c JOIN {table(stops)} rc "
        f"ON rc.{column(stops, 'checkpoint')} = c.{column(Checkpoint, 'id')} "
        f"JOIN {table(Pass)} cp "
        f"ON cp.{column(Pass, 'request')} = rc.{column(stops, 'passrequest')} "
        f"WHERE cp.{column(Pass, key)} = %s"
    )


# The pass row has 18 columns; driver and checkpoint rows put their two values after them.
_PASS_COLUMNS = 18


@cache
def _load_sql(key: str) -> str:
    """One round trip for everything a scan shows: the pass row ('p', 18 columns, two NULLs)
    and its drivers and checkpoints ('d'/'c', 18 NULLs, two values): every round trip costs
    the busiest endpoint CPU on both sides of the socket."""
    nulls = ", ".join(["NULL"] * _PASS_COLUMNS)
    pass_sql = (
        _pass_sql(key)
        .replace("SELECT ", "SELECT 'p', ", 1)
        .replace(" FROM ", ", NULL, NULL FROM ", 1)
    )
    people = _people_and_places_sql(key).replace("SELECT 'd', ", f"SELECT 'd', {nulls}, ", 1)
    people = people.replace("SELECT 'c', ", f"SELECT 'c', {nulls}, ", 1)
    return f"{pass_sql} UNION ALL {people}"


def _aware(value):
    """PostgreSQL gives aware datetimes; SQLite naive ones (or text), UTC as Django wrote them."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.fromisoformat(str(value))
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _view(row) -> PassView:
    return PassView(
        pk=row[0],
        number=row[1],
        plate=row[2],
        status=row[3],
        valid_from=_aware(row[4]),
        valid_until=_aware(row[5]),
        revoked_at=_aware(row[6]),
        vehicle_type=row[8],
        enterprise=row[9],
        pass_type=row[10],
        cargo_description=row[11] or "",
        cargo_category=row[12],
        origin=row[13] or "",
        destination=row[14] or "",
        route=row[15] or "",
        route_bound=bool(row[16]),
        revocation_reason=row[17] or "",
    )


def load_pass(*, number: str | None = None, pk: int | None = None) -> PassView | None:
    """The pass with this number (or id), with its drivers and checkpoints, or None."""
    key, value = ("number", number) if number is not None else ("id", pk)
    with prepared_cursor() as cursor:
        cursor.execute(_load_sql(key), [value, value, value])
        rows = cursor.fetchall()
    view = next((_view(row[1:]) for row in rows if row[0] == "p"), None)
    if view is None:
        return None
    for row in rows:
        if row[0] != "p":
            (view.drivers if row[0] == "d" else view.checkpoints).append((row[-2], row[-1]))
    view.drivers.sort()
    view.checkpoints.sort(key=lambda checkpoint: checkpoint[1])
    return view


def load_pass_orm(*, number: str | None = None, pk: int | None = None) -> PassView | None:
    """``load_pass`` through the ORM: the reference its plain SQL is held to."""
    found = (
        Pass.objects.select_related("vehicle", "request__enterprise", "request__pass_type")
        .prefetch_related("drivers", "request__checkpoints")
        .filter(**({"number": number} if number is not None else {"pk": pk}))
        .first()
    )
    if found is None:
        return None
    request = found.request
    return PassView(
        pk=found.pk,
        number=found.number,
        plate=found.plate,
        status=found.status,
        valid_from=found.valid_from,
        valid_until=found.valid_until,
        revoked_at=found.revoked_at,
        vehicle_type=found.vehicle.vehicle_type,
        enterprise=request.enterprise.name,
        pass_type=request.pass_type.name,
        cargo_description=request.cargo_description or "",
        cargo_category=request.cargo_category,
        origin=request.origin or "",
        destination=request.destination or "",
        route=request.route_description or "",
        route_bound=request.pass_type.route_bound,
        revocation_reason=found.revocation_reason or "",
        drivers=sorted((driver.name, driver.id_number) for driver in found.drivers.all()),
        checkpoints=sorted(
            ((stop.code, stop.name) for stop in request.checkpoints.all()),
            key=lambda checkpoint: checkpoint[1],
        ),
    )


def mask_name(name: str) -> str:
    """李小明 -> 李*明, 李明 -> 李*, 欧阳小明 -> 欧**明: enough to match a face to a pass."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _time(value):
    return timezone.localtime(value).isoformat() if value else None


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def pass_summary(view: PassView, *, public: bool = False) -> dict:
    """The pass as JSON-ready data. ``public`` masks driver names as well as ID numbers and
    leaves out the officer's revocation reason (free text that may name people)."""
    summary = {
        "number": view.number,
        "plate": view.plate,
        "plate_colour": plate_colour(view.plate, view.vehicle_type),
        "vehicle_type": _label(Vehicle.VehicleType, view.vehicle_type),
        "enterprise": view.enterprise,
        "pass_type": view.pass_type,
        "cargo": view.cargo_description or _label(PassRequest.CargoCategory, view.cargo_category),
        "origin": view.origin,
        "destination": view.destination,
        "route": view.route,
        "checkpoints": [{"code": code, "name": name} for code, name in view.checkpoints],
        "route_bound": view.route_bound,
        "valid_from": _time(view.valid_from),
        "valid_until": _time(view.valid_until),
        "status": view.status,
        "status_label": _label(Pass.Status, view.status),
        "drivers": [
            {"name": mask_name(name) if public else name, "id_number": mask_id_number(number)}
            for name, number in view.drivers
        ],
        "revoked_at": _time(view.revoked_at),
    }
    if not public:
        summary["revocation_reason"] = view.revocation_reason
    return summary
