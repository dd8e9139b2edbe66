"""Telling a database that went away (restarting, failing over, shutting down) from every other error.

Only errors that say the server cannot be reached or has ended the session count: a statement timeout,
a deadlock or a constraint stays what it is. The web answers these with 503 `database_unavailable`
(plum.api.outage); Celery tasks are sent again after a pause (plum.celery.PlumTask).
"""

import psycopg
from django.db import InterfaceError, OperationalError

# SQLSTATE class 08 (connection exception), and the server shutting down, crashed or still starting up.
UNAVAILABLE_STATES = ("57P01", "57P02", "57P03")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """The database server cannot be reached, or ended the session: a restart, not a bug or bad input."""
    if isinstance(exc, InterfaceError):  # Django's "connection already closed"
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, psycopg.InterfaceError):
        return True
    if not isinstance(cause, psycopg.OperationalError):
        return False
    state = cause.sqlstate  # None when the connection itself failed (refused, reset, timed out, closed)
    return state is None or state.startswith("08") or state in UNAVAILABLE_STATES
