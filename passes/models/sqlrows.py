"""Rows read in plain SQL, as the model instances the ORM would have built.

For the few reads that run on every request's hot path (a request's detail, the passes a PDF
prints), compiling the same ORM query again on every call cost several times more CPU than
running it. Their statements are written once from the models' metadata (quoted identifiers,
``%s`` parameters: the same SQL on PostgreSQL and SQLite); this module turns the rows into
instances through ``Model.from_db`` with the ORM's own value converters, and puts related rows
where ``prefetch_related`` would.
"""

from django.db import connection


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
