"""Direct psycopg access on Django's connection, for the few statements on every request's path."""

from contextlib import contextmanager, nullcontext

import psycopg
from django.db import InterfaceError, OperationalError, connection, transaction


@contextmanager
def prepared_cursor():
    """A cursor with server-side parameters on Django's connection, for statements run with
    `execute(sql, params, prepare=True)`: PostgreSQL parses and plans them once per connection. Django's
    cursors bind parameters on the client and prepare nothing, so every call is parsed and planned.
    Errors come out as Django's (IntegrityError and so on), with psycopg's error, and its sqlstate, as
    their __cause__. Inside a transaction the statements run in a savepoint, so a failed one leaves the
    caller's transaction usable."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with (
        transaction.atomic() if connection.in_atomic_block else nullcontext(),
        connection.wrap_database_errors,
        psycopg.Cursor(connection.connection) as cursor,
    ):
        yield cursor


def read_first_row(sql: str, params) -> tuple | None:
    """The first row of a prepared read-only statement.

    As the first statement of a request outside a transaction it is the connection's health check too
    (Django's costs a `SELECT 1` round trip): if the connection kept from an earlier request turns out
    dead, say after a database restart, it reconnects and reads again, which is safe for a read."""
    checks_now = (
        connection.health_check_enabled
        and not connection.health_check_done
        and connection.connection is not None
        and not connection.in_atomic_block
    )
    if checks_now:
        connection.health_check_done = True
        try:
            return _read(sql, params)
        except (OperationalError, InterfaceError):
            if not (connection.connection.closed or connection.connection.broken):
                raise  # the statement failed, not the connection
            connection.close()
    return _read(sql, params)


def _read(sql: str, params) -> tuple | None:
    with prepared_cursor() as cursor:
        return cursor.execute(sql, params, prepare=True).fetchone()
