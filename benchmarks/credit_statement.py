"""The credit's own statement (points_request_credit) with a constant event payload: what the database
does for a credit, called by the raw SQL baseline and by the floor endpoint of benchmarks.urls."""

from datetime import timedelta

import psycopg
from psycopg.types.json import Jsonb

from plum.core.ids import uuid7

CALL = "SELECT * FROM points_request_credit(" + ", ".join(["%s"] * 19) + ")"
POINTS = 10


def credit_params(organisation_id, request_id: str, employee_id: str, now, points: int = POINTS) -> list:
    request = [organisation_id, uuid7(), request_id, "", employee_id, "BENCH", points, "", "", Jsonb({}), now, 365]
    return [*request, now + timedelta(days=365), uuid7(), uuid7(), [uuid7(), uuid7()], uuid7(), Jsonb({})]


def credit(conn: psycopg.Connection, params: list) -> tuple:
    """Sent as the service sends it, on an autocommit connection: with a free shard, or, when every one
    that could pay is busy, again to wait for one."""
    from points.services.single_credit import EVERY_SHARD_BUSY  # once Django is set up

    try:
        return conn.execute(CALL, [*params, False], prepare=True).fetchone()
    except psycopg.Error as error:
        if error.sqlstate != EVERY_SHARD_BUSY:
            raise
    return conn.execute(CALL, [*params, True], prepare=True).fetchone()
