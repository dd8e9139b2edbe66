"""Callers of /scim/v2 for the SCIM tests: a tenant's token holding only the scope `scim`."""

import json
from contextlib import contextmanager

import pytest

from integrations.scim.models import ScimGroup, ScimIdentity
from plum.core.scopes import Scope
from tests.support import database_state

BASE = "/scim/v2"
SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    """A DRF test client speaking application/scim+json to /scim/v2."""

    def __init__(self, client):
        self.client = client
        self.client.raise_request_exception = False

    def get(self, path, params=None, **headers):
        return self.client.get(BASE + path, params or {}, **_headers(headers))

    def post(self, path, body, **headers):
        return self._send("post", path, body, headers)

    def put(self, path, body, **headers):
        return self._send("put", path, body, headers)

    def patch(self, path, operations, **headers):
        return self._send("patch", path, {"schemas": [PATCH_SCHEMA], "Operations": operations}, headers)

    def delete(self, path, **headers):
        return self.client.delete(BASE + path, **_headers(headers))

    def _send(self, method, path, body, headers):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        content_type = headers.pop("content_type", SCIM_JSON)
        return getattr(self.client, method)(BASE + path, data, content_type=content_type, **_headers(headers))


def _headers(headers: dict) -> dict:
    return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}


@pytest.fixture
def scim(tenant) -> Scim:
    return Scim(tenant.api(scopes=[Scope.SCIM]))


@pytest.fixture
def other_scim(other_tenant) -> Scim:
    return Scim(other_tenant.api(scopes=[Scope.SCIM]))


def user_body(user_name="bjensen@example.com", *, employee_number=None, enterprise=None, **extra) -> dict:
    """A User as identity providers send it (Okta's shape), with the enterprise extension."""
    email = user_name if "@" in user_name else f"{user_name}@example.com"
    body = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }
    extension = dict(enterprise or {})
    if employee_number is not None:
        extension["employeeNumber"] = employee_number
    if extension:
        body[ENTERPRISE] = extension
    body.update(extra)
    return body


def created(scim: Scim, body: dict) -> dict:
    """POST /Users (or /Groups, by the body's schema) that must succeed: the resource answered."""
    path = "/Groups" if body.get("schemas") == [GROUP_SCHEMA] else "/Users"
    response = scim.post(path, body)
    assert response.status_code == 201, response.content
    return response.json()


def group_body(name: str, *member_ids: str) -> dict:
    return {"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": i} for i in member_ids]}


def scim_state() -> dict:
    """Every row a SCIM call may touch (employees, units, outbox, identities, groups), in every organisation."""
    identities = list(ScimIdentity.objects.order_by("pk").values())
    return {**database_state(), "identities": identities, "groups": list(ScimGroup.objects.order_by("pk").values())}


@contextmanager
def nothing_changes():
    before = scim_state()
    yield
    assert scim_state() == before


def assert_error(response, status: int, scim_type: str | None = None) -> dict:
    """A SCIM Error message (RFC 7644 §3.12) with this status and scimType; answers the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == SCIM_JSON
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert isinstance(body["detail"], str) and body["detail"]
    return body
