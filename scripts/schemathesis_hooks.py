"""Schemathesis hooks for rules a JSON schema cannot state: they keep generated bodies within them, so a
400 for a body the schema allows still means the schema is wrong. Loaded through schemathesis.toml."""

from datetime import UTC, datetime, timedelta

import schemathesis

CAMPAIGNS = "/api/v1/vouchers/campaigns/"
EMPLOYEES = "/api/v1/employees/"
EMPLOYEE = "/api/v1/employees/{employee_id}/"
TIME_FILTERS = {"created_since", "updated_since", "expires_before"}


def _time(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC) if moment.tzinfo else None
    except (TypeError, ValueError, OverflowError):
        return None


@schemathesis.hook
def map_body(context, body):
    operation = context.operation
    if operation is None or not isinstance(body, dict):
        return body
    if operation.method.upper() == "POST" and operation.path == CAMPAIGNS and isinstance(body.get("expires_at"), str):
        # "a future time": the schema can say date-time, not "after now"
        moment = _time(body["expires_at"])
        now = datetime.now(UTC)
        if moment is None or not now + timedelta(hours=1) < moment < datetime(9000, 1, 1, tzinfo=UTC):
            body = {**body, "expires_at": (now + timedelta(days=30)).isoformat()}
    if operation.path in (EMPLOYEES, EMPLOYEE):
        # exit_date may not be before hire_date, the stored one included when a change leaves one out
        hire, leave = body.get("hire_date"), body.get("exit_date")
        if isinstance(leave, str) and (not isinstance(hire, str) or hire > leave):
            body = {**body, "hire_date": leave}
        elif isinstance(hire, str) and "exit_date" not in body:
            body = {**body, "exit_date": None}
    return body


@schemathesis.hook
def map_case(context, case):
    if case.meta is None or not case.meta.generation.mode.is_positive or not case.query:
        return case
    # A cursor is opaque: only the server's own `next` and `previous` links hold valid ones.
    query = {k: v for k, v in case.query.items() if k != "cursor"}
    # A time filter takes years 1 to 9999 once in UTC: "0001-01-01T00:00:00+01:00" is not one.
    for name in TIME_FILTERS & query.keys():
        if isinstance(query[name], str) and not _in_utc_range(query[name]):
            query[name] = "2000-01-01T00:00:00Z"
    case.query = query
    return case


def _in_utc_range(value: str) -> bool:
    try:
        moment = datetime.fromisoformat(value)
        return moment.tzinfo is None or datetime.min.replace(tzinfo=UTC) < moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return False
