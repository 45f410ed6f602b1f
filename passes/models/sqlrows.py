"""The one kit for the statements passdesk writes by hand, and the one place that fills the
ORM's private caches from them.

A few reads run on every request's hot path (a request's detail, the passes a PDF prints, the
API token's holder, the pass a scan shows, the signing keys' version). For them, building the
same ORM query again on every call cost more CPU than running it, so their SQL is written once
from the models' metadata (quoted identifiers, ``%s`` parameters: the same SQL on PostgreSQL
and SQLite) with the helpers below. This module turns their rows into instances through
``Model.from_db`` with the ORM's own value converters, and puts related rows where
``select_related`` and ``prefetch_related`` would, so serializers and model methods read them
the same way.

Rules for a hand-written read: it is built with this kit; it has an ORM twin beside it (a
function named ``..._orm`` that returns the same thing through the ORM), and
``tests/test_sql_parity.py`` compares the two, row by row and value by value, on PostgreSQL.
Writes into Django's private state happen here only (``prefetched``, ``cache_related``,
``insert``, ``prepared_cursor``), each with its reason, plus ``roles.cache_permissions`` for
ModelBackend's permission cache.
"""

from contextlib import contextmanager
from functools import cache

from django.db import connection, transaction

# psycopg's prepare_threshold that no statement reaches: see ``prepared_cursor``.
_NEVER = 2**31 - 1


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model) -> str:
    return quote(model._meta.db_table)


def column(model, name: str) -> str:
    return quote(model._meta.get_field(name).column)


def columns(model, alias: str) -> str:
    """Every concrete column of ``model`` under the table alias, in field order."""
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def through(model, name: str) -> tuple[str, str, str]:
    """A many-to-many field's table with its source and target columns."""
    field = model._meta.get_field(name)
    return (
        quote(field.remote_field.through._meta.db_table),
        quote(field.m2m_column_name()),
        quote(field.m2m_reverse_name()),
    )


def order_by(model, alias: str) -> str:
    """``model``'s ``Meta.ordering`` (what the ORM's prefetch orders by) as SQL, the primary
    key breaking ties."""
    terms = []
    for name in model._meta.ordering:
        descending = name.startswith("-")
        field = model._meta.get_field(name.lstrip("-"))
        terms.append(f"{alias}.{quote(field.column)}{' DESC' if descending else ''}")
    pk = f"{alias}.{quote(model._meta.pk.column)}"
    return ", ".join(terms if pk in terms else [*terms, pk])


def linked_sql(owner, name: str, where: str, count: int) -> str:
    """The rows of ``owner``'s many-to-many ``name`` for the owners whose column ``where`` is
    one of ``count`` parameters, each row led by its owner's id (``instances(link=True)``)."""
    related = owner._meta.get_field(name).related_model
    links, source, target = through(owner, name)
    pk = quote(owner._meta.pk.column)
    related_pk = quote(related._meta.pk.column)
    ids = ", ".join(["%s"] * count)
    return (
        f"SELECT t.{source}, {columns(related, 'x')} FROM {table(related)} x "  # noqa: S608 - identifiers from model metadata; values are parameters
        f"JOIN {links} t ON t.{target} = x.{related_pk} "
        f"JOIN {table(owner)} o ON o.{pk} = t.{source} "
        f"WHERE o.{column(owner, where)} IN ({ids}) ORDER BY {order_by(related, 'x')}"
    )


def instances(cursor, sql: str, params, models: list, *, link: bool = False):
    """Run ``sql``; each row as a tuple of instances of ``models`` (their ``columns`` in that
    order; None where a LEFT JOIN found nothing), after the row's first value when ``link``
    (a many-to-many statement's owner id)."""
    cursor.execute(sql, params)
    for row in cursor.fetchall():
        built, _end = from_row(row, models, start=1 if link else 0)
        yield (row[0], *built) if link else built


def from_row(row, models, *, start: int = 0) -> tuple[tuple, int]:
    """The instances of ``models`` whose columns follow one another in ``row`` from ``start``,
    and the position after them (where a statement's own extra values begin)."""
    built = []
    position = start
    for model in models:
        names, converters = _layout(model)
        values = list(row[position : position + len(names)])
        position += len(names)
        built.append(_instance(model, names, converters, values))
    return tuple(built), position


def prefetched(instance, name: str, rows: list) -> None:
    """Keep ``rows`` where ``prefetch_related`` keeps them: the related manager's own (lazily
    filtered) queryset with its result cache filled, so a further ``filter()`` still asks the
    database for this instance's rows only."""
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache.pop(name, None)
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance._prefetched_objects_cache[name] = queryset


def cache_related(instance, name: str, value) -> None:
    """Keep ``value`` (an instance or None) where ``select_related`` keeps the related object
    ``name`` of ``instance`` (a foreign key, or either side of a one-to-one): reading
    ``instance.<name>`` then asks nothing more, and None on a reverse one-to-one raises
    ``DoesNotExist`` as the ORM's would. For rows read together by a hand-written statement."""
    instance._meta.get_field(name).set_cached_value(instance, value)


@contextmanager
def prepared_cursor():
    """A cursor whose statements are prepared on the server from their first use (psycopg 3
    on PostgreSQL), on Django's own connection: same transaction, same autocommit. Elsewhere
    (SQLite in tests) Django's ordinary cursor runs the same SQL, so the suite covers the
    statements on both databases. Parameters use ``%s`` in both cases.

    For the scan endpoint's statements: planning a join costs more than running it, and a
    scan runs the same few statements every time. With ``DATABASE_PREPARED_STATEMENTS`` Django
    prepares its own queries from their second use; these ask for it explicitly, and still get
    it when that setting is off (Django then leaves psycopg's preparation off and binds
    parameters client-side). Behind a transaction-pooling PgBouncer, prepared statements need
    PgBouncer 1.21 or later with ``max_prepared_statements`` set."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        raw = connection.connection
        if isinstance(raw, psycopg.Connection):
            if raw.prepare_threshold is None:
                # None switches preparing off altogether, even on request; a threshold no query
                # reaches keeps psycopg from preparing anything else (Django's own queries).
                raw.prepare_threshold = _NEVER
            # One cursor per connection (Django's connections are per thread), kept on the
            # connection wrapper so that it goes when the connection does.
            cursor = getattr(connection, "_passdesk_prepared_cursor", None)
            if cursor is None or cursor.cursor.closed or cursor.cursor.connection is not raw:
                cursor = _PreparedCursor(psycopg.Cursor(raw))
                connection._passdesk_prepared_cursor = cursor
            with connection.wrap_database_errors:
                yield cursor
            return
    with connection.cursor() as cursor:
        yield cursor


class _PreparedCursor:
    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, sql, params):
        return self.cursor.execute(sql, params, prepare=True)

    def fetchone(self):
        return self.cursor.fetchone()

    def fetchall(self):
        return self.cursor.fetchall()


def insert(instance, names: tuple[str, ...]) -> None:
    """Save a new ``instance`` with one prepared ``INSERT ... RETURNING`` of the fields
    ``names`` (the others take their database defaults), each value through its field's own
    conversion as ``save()`` would; where the database cannot return the new id, ``save()``.
    No signals are sent: for rows nobody listens to, on a path where ``save()``'s Python cost
    more than the statement. The instance is then what ``save()`` leaves: its primary key set,
    no longer "adding"."""
    database = transaction.get_connection()
    if not database.features.can_return_columns_from_insert:
        instance.save()
        return
    model = type(instance)
    values = [
        field.get_db_prep_save(getattr(instance, field.attname), database)
        for field in _fields(model, names)
    ]
    with prepared_cursor() as cursor:
        cursor.execute(_insert_sql(model, names), values)
        instance.pk = cursor.fetchone()[0]
    # What Model.save() records once the row exists (Django keeps it in ``_state``).
    instance._state.adding = False
    instance._state.db = database.alias


@cache
def _fields(model, names: tuple[str, ...]) -> list:
    return [model._meta.get_field(name) for name in names]


@cache
def _insert_sql(model, names: tuple[str, ...]) -> str:
    targets = ", ".join(quote(field.column) for field in _fields(model, names))
    marks = ", ".join(["%s"] * len(names))
    return (
        f"INSERT INTO {table(model)} ({targets}) VALUES ({marks}) "  # noqa: S608 - quoted model identifiers; values are parameters
        f"RETURNING {quote(model._meta.pk.column)}"
    )


def _instance(model, names, converters, values):
    for index, (expression, functions) in converters:
        value = values[index]
        for function in functions:
            value = function(value, expression, connection)
        values[index] = value
    if values[names.index(model._meta.pk.attname)] is None:
        return None
    return model.from_db(connection.alias, names, values)


def _layout(model):
    """The model's column names and, per connection, the converters the ORM would apply."""
    names = [field.attname for field in model._meta.concrete_fields]
    cached = connection.__dict__.setdefault("_passdesk_row_converters", {})
    converters = cached.get(model)
    if converters is None:
        converters = []
        for index, field in enumerate(model._meta.concrete_fields):
            expression = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
                connection
            )
            if functions:
                converters.append((index, (expression, functions)))
        cached[model] = converters
    return names, converters
