"""The read replica for reports: which database a report reads from, and a read that survives the replica.

With DATABASE_REPLICA_URL set, reports read from the `replica` alias while it answers and its replay lag
is under REPLICA_MAX_LAG_SECONDS; otherwise from `default`. The verdict is kept per process for
REPLICA_CHECK_SECONDS, so choosing costs nothing on most requests. A read that fails on the replica
(it went down mid-query) is run again on `default`, and the replica counts as down for that period.
Nothing else reads from the replica: the router (plum.core.db_routers) sends every model to `default`.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

REPLICA = "replica"
CONNECTION_ERRORS = (OperationalError, InterfaceError)
T = TypeVar("T")
logger = logging.getLogger(__name__)

# Seconds the replica is behind. Caught up when the WAL receiver streams and has replayed all it received
# (an idle primary writes nothing, so the last replayed transaction may be old without any lag); without a
# streaming receiver nobody knows what the primary has, so the age of the last replayed transaction counts.
# A server not in recovery is a primary (a promoted replica, or the same server): never behind.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
        THEN 0
    ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 'Infinity')
END::float8
"""


class _Verdict:
    """This process's last answer about the replica ("ok", "lagging" or "unreachable") and until when it holds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state: str | None = None
        self.until = 0.0

    def get(self) -> str | None:
        return self.state if time.monotonic() < self.until else None

    def set(self, state: str) -> None:
        self.state, self.until = state, time.monotonic() + settings.REPLICA_CHECK_SECONDS

    def forget(self) -> None:
        self.state, self.until = None, 0.0


_verdict = _Verdict()


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_state() -> str:
    """ "not-configured", or this process's verdict on the replica: "ok", "lagging" or "unreachable"."""
    if not replica_configured():
        return "not-configured"
    state = _verdict.get()
    if state is None:
        with _verdict.lock:  # one check per process at a time; the others wait for its verdict
            state = _verdict.get()
            if state is None:
                state = _check()
                _verdict.set(state)
    return state


def reporting_database() -> str:
    """The alias reports read from: the replica when configured, answering and caught up; else the primary."""
    return REPLICA if replica_state() == "ok" else DEFAULT_DB_ALIAS


def mark_replica_down() -> None:
    """Reports read from the primary until the next check (REPLICA_CHECK_SECONDS from now)."""
    with _verdict.lock:
        _verdict.set("unreachable")


def forget_replica_state() -> None:
    """Check the replica again on the next call (settings changed, tests)."""
    with _verdict.lock:
        _verdict.forget()


def read_with_fallback(read: Callable[[str], T]) -> T:
    """`read(alias)` on the reporting database; if the replica fails with a connection error, the replica
    is marked down and `read` runs again on the primary. `read` must only read: it may run twice."""
    alias = reporting_database()
    if alias == DEFAULT_DB_ALIAS:
        return read(alias)
    try:
        return read(alias)
    except CONNECTION_ERRORS:
        logger.warning("The read replica failed during a read; reading from the primary", exc_info=True)
        mark_replica_down()
        _close(alias)
    return read(DEFAULT_DB_ALIAS)


def _check() -> str:
    """Ask the replica its lag; a kept connection that died is replaced once before it counts as down."""
    for attempt in (1, 2):
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(LAG_SQL)
                (lag,) = cursor.fetchone()
        except CONNECTION_ERRORS:
            _close(REPLICA)
            if attempt == 2:
                logger.warning("The read replica is unreachable; reports read from the primary", exc_info=True)
                return "unreachable"
            continue
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            logger.warning("The read replica is %.1f s behind; reports read from the primary", lag)
            return "lagging"
        return "ok"
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def _close(alias: str) -> None:
    with contextlib.suppress(*CONNECTION_ERRORS):  # a broken connection may fail to close; dropped either way
        connections[alias].close()
