"""A pass request with everything its detail shows, read in plain SQL.

The API answers every transition with the request's detail, and the enterprise and the
reviewer read it again: six times in a request's life. Through the ORM's prefetches a detail
cost about 6.6 ms of CPU, of which 0.6 ms was running the eight statements: the rest was
compiling the same queries again on every call and the prefetch machinery. The statements here
are built once per database from the models' metadata, with ``%s`` parameters on both
databases; rows become model instances through ``Model.from_db`` with the ORM's own value
converters, and land where the ORM's prefetch puts them (``_prefetched_objects_cache`` with a
related manager's queryset, related-object caches), so serializers and model methods read them
the same way and anything that filters further still gets a correctly filtered query.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection

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
)

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
            RequestItem.vehicle.field.set_cached_value(item, vehicle)
            found["items"][item.request_id].append(item)
            items[item.pk] = item
        item_drivers = {pk: [] for pk in items}
        if items:
            for item_id, driver in _rows(cursor, "item_drivers", ids, [Driver]):
                item_drivers[item_id].append(driver)
        for document, reading in _rows(cursor, "documents", ids, [Document, DocumentReading]):
            Document.reading.related.set_cached_value(document, reading)
            found["documents"][document.request_id].append(document)
        for event, actor, membership in _rows(
            cursor, "audit_events", ids, [AuditEvent, get_user_model(), Membership]
        ):
            if actor is not None:
                Membership.user.field.remote_field.set_cached_value(actor, membership)
                if membership is not None:
                    Membership.user.field.set_cached_value(membership, actor)
            AuditEvent.actor.field.set_cached_value(event, actor)
            found["audit_events"][event.request_id].append(event)
        passes = {}
        for (issued,) in _rows(cursor, "passes", ids, [Pass]):
            found["passes"][issued.request_id].append(issued)
            passes[issued.pk] = issued
        pass_drivers = {pk: [] for pk in passes}
        if passes:
            for pass_id, driver in _rows(cursor, "pass_drivers", ids, [Driver]):
                pass_drivers[pass_id].append(driver)
    for request_id, pass_request in by_id.items():
        for name in RELATED:
            rows = found[name][request_id]
            if name != "checkpoints":
                reverse = type(rows[0])._meta.get_field("request") if rows else None
                for row in rows:
                    reverse.set_cached_value(row, pass_request)
            _prefetched(pass_request, name, rows)
    for item_id, item in items.items():
        _prefetched(item, "drivers", item_drivers[item_id])
    for pass_id, issued in passes.items():
        _prefetched(issued, "drivers", pass_drivers[pass_id])


def _prefetched(instance, name: str, rows: list) -> None:
    """Where ``prefetch_related`` keeps ``rows``: the related manager's own (lazily filtered)
    queryset with its result cache filled."""
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache.pop(name, None)
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance._prefetched_objects_cache[name] = queryset


# --- Statements ----------------------------------------------------------------------------


def _rows(cursor, statement: str, ids: list, models: list):
    """Run ``statement`` for the request ``ids``; each row as instances of ``models`` (None for
    a LEFT JOIN that found nothing), after a leading link id for the many-to-many ones."""
    sql, link = _statement(connection.vendor, statement, len(ids))
    cursor.execute(sql, ids)
    layouts = [_layout(model) for model in models]
    for row in cursor.fetchall():
        position = 1 if link else 0
        built = [row[0]] if link else []
        for model, (names, converters) in zip(models, layouts, strict=True):
            values = list(row[position : position + len(names)])
            position += len(names)
            built.append(_instance(model, names, converters, values))
        yield tuple(built)


def _instance(model, names, converters, values):
    for index, (column, functions) in converters:
        value = values[index]
        for function in functions:
            value = function(value, column, connection)
        values[index] = value
    if values[names.index(model._meta.pk.attname)] is None:
        return None
    return model.from_db(connection.alias, names, values)


def _layout(model):
    """The model's column names and, per connection, the converters the ORM would apply."""
    names = [field.attname for field in model._meta.concrete_fields]
    cached = connection.__dict__.setdefault("_passdesk_detail_converters", {})
    converters = cached.get(model)
    if converters is None:
        converters = []
        for index, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                connection
            )
            if functions:
                converters.append((index, (column, functions)))
        cached[model] = converters
    return names, converters


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model, alias: str) -> str:
    return ", ".join(f"{alias}.{_q(field.column)}" for field in model._meta.concrete_fields)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _column(model, name: str) -> str:
    return _q(model._meta.get_field(name).column)


def _through(model, name: str):
    """A many-to-many field's table with its source and target columns."""
    field = model._meta.get_field(name)
    return (
        _q(field.remote_field.through._meta.db_table),
        _q(field.m2m_column_name()),
        _q(field.m2m_reverse_name()),
    )


@cache
def _statement(vendor: str, statement: str, count: int) -> tuple[str, bool]:
    """The SQL of ``statement`` for ``count`` request ids, and whether rows lead with a link id.
    Orders follow the models' ``Meta.ordering`` (what the ORM's prefetch used), with the
    primary key breaking ties."""
    ids = ", ".join(["%s"] * count)
    pk = _q("id")
    if statement == "checkpoints":
        table, source, target = _through(PassRequest, "checkpoints")
        return (
            f"SELECT t.{source}, {_columns(Checkpoint, 'c')} FROM {_table(Checkpoint)} c "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"JOIN {table} t ON t.{target} = c.{pk} WHERE t.{source} IN ({ids}) "
            f"ORDER BY c.{_column(Checkpoint, 'name')}, c.{pk}",
            True,
        )
    if statement == "items":
        return (
            f"SELECT {_columns(RequestItem, 'i')}, {_columns(Vehicle, 'v')} "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"FROM {_table(RequestItem)} i LEFT JOIN {_table(Vehicle)} v "
            f"ON v.{pk} = i.{_column(RequestItem, 'vehicle')} "
            f"WHERE i.{_column(RequestItem, 'request')} IN ({ids}) ORDER BY i.{pk}",
            False,
        )
    if statement in ("item_drivers", "pass_drivers"):
        owner = RequestItem if statement == "item_drivers" else Pass
        table, source, target = _through(owner, "drivers")
        return (
            f"SELECT t.{source}, {_columns(Driver, 'd')} FROM {_table(Driver)} d "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"JOIN {table} t ON t.{target} = d.{pk} "
            f"JOIN {_table(owner)} o ON o.{pk} = t.{source} "
            f"WHERE o.{_column(owner, 'request')} IN ({ids}) "
            f"ORDER BY d.{_column(Driver, 'name')}, d.{pk}",
            True,
        )
    if statement == "documents":
        return (
            f"SELECT {_columns(Document, 'doc')}, {_columns(DocumentReading, 'r')} "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"FROM {_table(Document)} doc LEFT JOIN {_table(DocumentReading)} r "
            f"ON r.{_column(DocumentReading, 'document')} = doc.{pk} "
            f"WHERE doc.{_column(Document, 'request')} IN ({ids}) "
            f"ORDER BY doc.{_column(Document, 'uploaded_at')}, doc.{pk}",
            False,
        )
    if statement == "audit_events":
        User = get_user_model()  # noqa: N806 - Django's idiom
        return (
            f"SELECT {_columns(AuditEvent, 'e')}, {_columns(User, 'u')}, "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"{_columns(Membership, 'm')} FROM {_table(AuditEvent)} e "
            f"LEFT JOIN {_table(User)} u ON u.{_q(User._meta.pk.column)} = "
            f"e.{_column(AuditEvent, 'actor')} "
            f"LEFT JOIN {_table(Membership)} m ON m.{_column(Membership, 'user')} = "
            f"u.{_q(User._meta.pk.column)} "
            f"WHERE e.{_column(AuditEvent, 'request')} IN ({ids}) "
            f"ORDER BY e.{_column(AuditEvent, 'created_at')}, e.{pk}",
            False,
        )
    if statement == "passes":
        return (
            f"SELECT {_columns(Pass, 'p')} FROM {_table(Pass)} p "  # noqa: S608 - identifiers from model metadata; values are parameters
            f"WHERE p.{_column(Pass, 'request')} IN ({ids}) "
            f"ORDER BY p.{_column(Pass, 'issued_at')} DESC, p.{_column(Pass, 'number')} DESC",
            False,
        )
    raise ValueError(statement)
