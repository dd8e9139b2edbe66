"""Direct psycopg access on Django's connection, for the few statements on every request's path."""

from contextlib import contextmanager, nullcontext

import psycopg
from django.db import connection, transaction


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
