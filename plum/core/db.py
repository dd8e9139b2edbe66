"""Database helpers every app shares: plain reads, COPY and array literals built as text, and direct
psycopg access for the few statements on every request's path.

Speed matters for set-based writes (100,000 items a batch), and psycopg adapts values one by one in
Python: a COPY row took 20 µs and an element of an array parameter 4 µs. Text written here in one piece
costs a fraction.
"""

from collections.abc import Iterable, Sequence
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


def fetchone(sql: str, params) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetchall(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """A value as a field of COPY's text format (strings escaped, None as NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY rows whose fields are already text (see copy_text)."""
    data = "".join(["\t".join(row) + "\n" for row in rows])
    if not data:
        return
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(data)


def array(values: Iterable) -> str:
    """An array literal of values that need no quoting (integers, UUIDs), None as NULL."""
    return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"


def text_array(values: Iterable[str]) -> str:
    return "{" + ",".join(['"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values]) + "}"
