"""Plain SQL for the scan endpoint's few hot statements.

On PostgreSQL they run as server-side prepared statements on Django's own connection (same
transaction, same autocommit): planning a five-table join cost 0.8 ms of database CPU per scan
on the target machine, executing the prepared plan 0.1 ms. With ``DATABASE_PREPARED_STATEMENTS``
(the default) Django's own queries are prepared from their second use on a connection; these
statements ask for it explicitly from the first, and still do when that setting is off (Django
then leaves psycopg's preparation off and binds parameters client-side). Elsewhere (SQLite in
tests) Django's ordinary cursor runs the same SQL, so the suite covers the statements on both
databases. (Behind a transaction-pooling
PgBouncer, prepared statements need PgBouncer 1.21 or later with max_prepared_statements set.)
"""

from contextlib import contextmanager

from django.db import connection

_NEVER = 2**31 - 1


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


class _PreparedCursor:
    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, sql, params):
        return self.cursor.execute(sql, params, prepare=True)

    def fetchone(self):
        return self.cursor.fetchone()

    def fetchall(self):
        return self.cursor.fetchall()


@contextmanager
def hot_cursor():
    """A cursor for the hot statements: prepared on PostgreSQL (psycopg 3), Django's cursor
    elsewhere. Parameters use ``%s`` in both cases."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        raw = connection.connection
        if isinstance(raw, psycopg.Connection):
            if raw.prepare_threshold is None:
                # None switches preparing off altogether, even on request; a threshold no query
                # reaches keeps psycopg from preparing anything else (Django's own queries).
                raw.prepare_threshold = _NEVER
            cursor = getattr(connection, "_passdesk_hot_cursor", None)
            if cursor is None or cursor.cursor.closed or cursor.cursor.connection is not raw:
                # One cursor per connection (Django's connections are per thread), reused.
                cursor = _PreparedCursor(psycopg.Cursor(raw))
                connection._passdesk_hot_cursor = cursor
            with connection.wrap_database_errors:
                yield cursor
            return
    with connection.cursor() as cursor:
        yield cursor
