"""The credit's own statement (points_request_credit) with a constant event payload: what the database
does for a credit, called by the raw SQL baseline and by the floor endpoint of benchmarks.urls."""

from datetime import timedelta

from psycopg.types.json import Jsonb

from plum.core.ids import uuid7

CALL = "SELECT * FROM points_request_credit(" + ", ".join(["%s"] * 18) + ")"
POINTS = 10


def credit_params(organisation_id, request_id: str, employee_id: str, now, points: int = POINTS) -> list:
    request = [organisation_id, uuid7(), request_id, "", employee_id, "BENCH", points, "", "", Jsonb({}), now, 365]
    return [*request, now + timedelta(days=365), uuid7(), uuid7(), [uuid7(), uuid7()], uuid7(), Jsonb({})]
