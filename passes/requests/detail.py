"""A pass request with everything its detail shows, read in plain SQL.

The API answers every transition with the request's detail, and the enterprise and the
reviewer read it again: several times in a request's life. Through the ORM's prefetches most
of a detail's CPU went into compiling the same queries again on every call and the prefetch
machinery, not into running them. The statements here are built once per database from the
models' metadata with ``models.sqlrows``; the rows land where the ORM's prefetch puts them
(``sqlrows.prefetched``, ``sqlrows.cache_related``, ``roles.cache_membership``), so serializers
and model methods read them the same way and anything that filters further still gets a
correctly filtered query. ``load_orm`` is the same read through the ORM's prefetches
(``tests/test_sql_parity.py`` holds the two to one answer).
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch

from .. import roles
from ..models import (
    AuditEvent,
    Checkpoint,
    Document,
    DocumentReading,
    Driver,
    Membership,
    Pass,
    PassRequest,
    RequestItem,
    Vehicle,
    sqlrows,
)
from ..models.sqlrows import column, columns, quote, table
from .workflow import STATES_WITH_PASSES

RELATED = ("checkpoints", "items", "documents", "audit_events", "passes")


def load(queryset, pk) -> PassRequest | None:
    """The request ``pk`` among ``queryset`` (the caller's scope), ready for the detail."""
    found = list(
        queryset.select_related("pass_type", "enterprise", "assigned_reviewer")
        .filter(pk=pk)
        .order_by()[:1]
    )
    if not found:
        return None
    attach(found)
    return found[0]


def load_many(queryset) -> list[PassRequest]:
    """The requests of ``queryset``, in its order, ready for the detail."""
    found = list(queryset.select_related("pass_type", "enterprise", "assigned_reviewer"))
    attach(found)
    return found


def load_orm(queryset, pk) -> PassRequest | None:
    """``load`` through the ORM's prefetches: the reference its plain SQL is held to."""
    return (
        queryset.select_related("pass_type", "enterprise", "assigned_reviewer")
        .prefetch_related(
            "checkpoints",
            Prefetch(
                "items", queryset=RequestItem.objects.select_related("vehicle").order_by("pk")
            ),
            "items__drivers",
            Prefetch("documents", queryset=Document.objects.select_related("reading")),
            Prefetch(
                "audit_events",
                queryset=AuditEvent.objects.select_related("actor", "actor__membership"),
            ),
            "passes__drivers",
        )
        .filter(pk=pk)
        .first()
    )


def attach(pass_requests: list[PassRequest]) -> None:
    """Read the checkpoints, items with vehicles and drivers, documents with their machine
    reading, audit events with their actors, and passes with drivers of ``pass_requests``."""
    if not pass_requests:
        return
    by_id = {pass_request.pk: pass_request for pass_request in pass_requests}
    ids = list(by_id)
    found = {name: {pk: [] for pk in ids} for name in RELATED}
    with connection.cursor() as cursor:
        for request_id, checkpoint in _rows(cursor, "checkpoints", ids, [Checkpoint]):
            found["checkpoints"][request_id].append(checkpoint)
        items = {}
        for item, vehicle in _rows(cursor, "items", ids, [RequestItem, Vehicle]):
            sqlrows.cache_related(item, "vehicle", vehicle)
            found["items"][item.request_id].append(item)
            items[item.pk] = item
        item_drivers = {pk: [] for pk in items}
        if items:
            for item_id, driver in _rows(cursor, "item_drivers", ids, [Driver]):
                item_drivers[item_id].append(driver)
        for document, reading in _rows(cursor, "documents", ids, [Document, DocumentReading]):
            sqlrows.cache_related(document, "reading", reading)
            found["documents"][document.request_id].append(document)
        for event, actor, membership in _rows(
            cursor, "audit_events", ids, [AuditEvent, get_user_model(), Membership]
        ):
            if actor is not None:
                roles.cache_membership(actor, membership)
            sqlrows.cache_related(event, "actor", actor)
            found["audit_events"][event.request_id].append(event)
        passes = {}
        # Most details (every one a filing or a claim answers with) are of requests that hold
        # no pass yet: the workflow says which states can, and the statement is skipped.
        with_passes = [pk for pk in ids if by_id[pk].status in STATES_WITH_PASSES]
        for (issued,) in _rows(cursor, "passes", with_passes, [Pass]) if with_passes else ():
            found["passes"][issued.request_id].append(issued)
            passes[issued.pk] = issued
        pass_drivers = {pk: [] for pk in passes}
        if passes:
            for pass_id, driver in _rows(cursor, "pass_drivers", with_passes, [Driver]):
                pass_drivers[pass_id].append(driver)
    for request_id, pass_request in by_id.items():
        for name in RELATED:
            rows = found[name][request_id]
            if name != "checkpoints":
                for row in rows:
                    sqlrows.cache_related(row, "request", pass_request)
            sqlrows.prefetched(pass_request, name, rows)
    for item_id, item in items.items():
        sqlrows.prefetched(item, "drivers", item_drivers[item_id])
    for pass_id, issued in passes.items():
        sqlrows.prefetched(issued, "drivers", pass_drivers[pass_id])


def _rows(cursor, statement: str, ids: list, models: list):
    sql, link = _statement(connection.vendor, statement, len(ids))
    return sqlrows.instances(cursor, sql, ids, models, link=link)


@cache
def _statement(vendor: str, statement: str, count: int) -> tuple[str, bool]:
    """The SQL of ``statement`` for ``count`` request ids, and whether rows lead with a link id.
    Orders follow the models' ``Meta.ordering`` (``sqlrows.order_by``: what the ORM's
    prefetch used), the items' their primary key as the API always showed them."""
    ids = ", ".join(["%s"] * count)
    pk = quote("id")
    if statement == "checkpoints":
        return sqlrows.linked_sql(PassRequest, "checkpoints", "id", count), True
    if statement == "items":
        return (
            f"SELECT {columns(RequestItem, 'i')}, {columns(Vehicle, 'v')} "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"FROM {table(RequestItem)} i LEFT JOIN {table(Vehicle)} v "
            f"ON v.{pk} = i.{column(RequestItem, 'vehicle')} "
            f"WHERE i.{column(RequestItem, 'request')} IN ({ids}) ORDER BY i.{pk}",
            False,
        )
    if statement in ("item_drivers", "pass_drivers"):
        owner = RequestItem if statement == "item_drivers" else Pass
        return sqlrows.linked_sql(owner, "drivers", "request", count), True
    if statement == "documents":
        return (
            f"SELECT {columns(Document, 'doc')}, {columns(DocumentReading, 'r')} "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"FROM {table(Document)} doc LEFT JOIN {table(DocumentReading)} r "
            f"ON r.{column(DocumentReading, 'document')} = doc.{pk} "
            f"WHERE doc.{column(Document, 'request')} IN ({ids}) "
            f"ORDER BY {sqlrows.order_by(Document, 'doc')}",
            False,
        )
    if statement == "audit_events":
        User = get_user_model()  # noqa: N806 - Django's idiom
        return (
            f"SELECT {columns(AuditEvent, 'e')}, {columns(User, 'u')}, "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"{columns(Membership, 'm')} FROM {table(AuditEvent)} e "
            f"LEFT JOIN {table(User)} u ON u.{quote(User._meta.pk.column)} = "
            f"e.{column(AuditEvent, 'actor')} "
            f"LEFT JOIN {table(Membership)} m ON m.{column(Membership, 'user')} = "
            f"u.{quote(User._meta.pk.column)} "
            f"WHERE e.{column(AuditEvent, 'request')} IN ({ids}) "
            f"ORDER BY {sqlrows.order_by(AuditEvent, 'e')}",
            False,
        )
    if statement == "passes":
        return (
            f"SELECT {columns(Pass, 'p')} FROM {table(Pass)} p "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"WHERE p.{column(Pass, 'request')} IN ({ids}) "
            f"ORDER BY {sqlrows.order_by(Pass, 'p')}",
            False,
        )
    raise ValueError(statement)
