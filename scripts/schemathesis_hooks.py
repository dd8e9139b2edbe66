"""Schemathesis hooks (loaded through schemathesis.toml).

Rules a JSON schema cannot state (a future time, an exit date not before the hire date, an opaque cursor)
are kept in generated requests, so a 400 for a request the schema allows still means the schema is wrong.
And a check that a tenant's objects are 404 for the other tenant."""

import functools
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import schemathesis

CAMPAIGNS = "/api/v1/vouchers/campaigns/"
EMPLOYEES = "/api/v1/employees/"
EMPLOYEE = "/api/v1/employees/{employee_id}/"
RULES, RULE = "/api/v1/integrations/rules/", "/api/v1/integrations/rules/{id}/"
TIME_FILTERS = {"created_since", "updated_since", "expires_before"}
OWNER, PEER = "tenant-a", "tenant-b"  # the auth file's users


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
    if operation.path in (RULES, RULE):
        # a rule's window does not end before it starts, the stored start or end included when a change
        # leaves one out
        starts, ends = _time(body.get("starts_at")), _time(body.get("ends_at"))
        if isinstance(body.get("ends_at"), str) and (ends is None or (starts is not None and starts > ends)):
            body = {**body, "ends_at": None}
        elif isinstance(body.get("ends_at"), str) and "starts_at" not in body:
            body = {**body, "starts_at": None}
        elif isinstance(body.get("starts_at"), str) and "ends_at" not in body:
            body = {**body, "ends_at": None}
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


@functools.cache
def _peer_authorization() -> str | None:
    """tenant-b's Authorization header, from the auth file scripts/schemathesis.sh writes."""
    path = os.environ.get("SCHEMATHESIS_WFC_AUTH")
    if not path:
        return None
    users = {user["name"]: user for user in json.loads(Path(path).read_text())["auth"]}
    headers = users.get(PEER, {}).get("fixedHeaders", [])
    return next((h["value"] for h in headers if h["name"].lower() == "authorization"), None)


@schemathesis.check
def other_tenant_gets_404(ctx, response, case):
    """What tenant-a reads by id, tenant-b must not: the same GET with tenant-b's token answers 404.
    (object_level_authorization only fails on an equivalent body; any other answer than 404 fails here.)"""
    if case.method.upper() != "GET" or not case.path_parameters or not 200 <= response.status_code < 300:
        return None
    if case.auth_identity not in (None, OWNER) or (authorization := _peer_authorization()) is None:
        return None
    peer = requests.get(response.request.url, headers={"Authorization": authorization}, timeout=30)
    if peer.status_code != 404:
        raise AssertionError(f"{PEER} got {peer.status_code} for {response.request.url}, which {OWNER} reads")
    return None
