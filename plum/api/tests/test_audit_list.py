"""GET /api/v1/audit/: the API.md shape, newest first, filters, strict parameters, tenancy, scope."""

import datetime

import pytest

from plum.core.models import AuditEntry
from plum.core.scopes import ALL_SCOPES

AUDIT = "/api/v1/audit/"
T0 = datetime.datetime(2031, 3, 1, 12, 0, tzinfo=datetime.UTC)


def entry(tenant, *, at, action="employee.updated", object_id="E1", actor_id="abc", kind="client"):
    return AuditEntry.objects.create(
        organisation_id=tenant.organisation.id,
        at=at,
        actor_kind=kind,
        actor_id=actor_id,
        actor_name="HR system",
        action=action,
        object_type=action.split(".")[0],
        object_id=object_id,
        changes={"email": ["a@x.io", "b@x.io"]},
        ip="192.0.2.1",
        request_id="req-1",
    )


@pytest.fixture
def trail(tenant, other_tenant):
    # the fixtures' own entries (organisation and client created) are older than T0: `since` and the
    # object filters leave them out where a test lists everything
    rows = [
        entry(tenant, at=T0, object_id="E1"),
        entry(tenant, at=T0 + datetime.timedelta(minutes=1), action="points_request.credited", object_id="R1"),
        entry(tenant, at=T0 + datetime.timedelta(minutes=2), object_id="E2", actor_id="7", kind="staff"),
        entry(other_tenant, at=T0 + datetime.timedelta(minutes=3), object_id="E1"),
    ]
    return rows


def ids(response) -> list[str]:
    return [row["id"] for row in response.json()["results"]]


def test_the_entry_shape_is_exactly_api_md(api, trail):
    response = api.get(AUDIT, {"object_id": "E1"})
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": str(trail[0].id),
            "at": "2031-03-01T12:00:00Z",
            "actor": {"kind": "client", "id": "abc", "name": "HR system"},
            "action": "employee.updated",
            "object_type": "employee",
            "object_id": "E1",
            "changes": {"email": ["a@x.io", "b@x.io"]},
            "ip": "192.0.2.1",
            "request_id": "req-1",
        }
    ]


def test_newest_first_and_only_this_organisation(api, trail):
    response = api.get(AUDIT, {"since": "2031-03-01T12:00:00Z"})
    assert ids(response) == [str(trail[2].id), str(trail[1].id), str(trail[0].id)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "7"}, [2]),
        ({"actor": "abc", "since": "2031-03-01T00:00:00Z"}, [1, 0]),
        ({"action": "points_request.credited"}, [1]),
        ({"object_type": "employee", "since": "2031-03-01T12:00:00Z"}, [2, 0]),
        ({"object_id": "E2"}, [2]),
        ({"since": "2031-03-01T12:01:00Z"}, [2, 1]),
        ({"since": "2031-03-01T13:01:00+01:00"}, [2, 1]),
        ({"object_id": "nothing"}, []),
    ],
)
def test_filters(api, trail, params, expected):
    assert ids(api.get(AUDIT, params)) == [str(trail[n].id) for n in expected]


def test_pages_follow_the_cursor_newest_first(api, trail):
    first = api.get(AUDIT, {"since": "2031-03-01T12:00:00Z", "page_size": 2}).json()
    second = api.get(first["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"]] == [str(trail[n].id) for n in (2, 1, 0)]


@pytest.mark.parametrize(
    ("params", "name"),
    [({"who": "x"}, "who"), ({"since": "yesterday"}, "since"), ({"page_size": "0"}, "page_size")],
)
def test_unknown_or_bad_parameters_are_400_naming_them(api, trail, params, name):
    response = api.get(AUDIT, params)
    assert response.status_code == 400
    assert name in str(response.json())


def test_a_nul_in_a_filter_is_not_a_500(api, trail):
    response = api.get(AUDIT, {"object_id": "E\x001"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert ids(response) == []


def test_needs_audit_read(tenant, trail):
    reader = tenant.api(scopes=[s for s in ALL_SCOPES if s != "audit:read"])
    response = reader.get(AUDIT)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert tenant.api(scopes=["audit:read"]).get(AUDIT).status_code == 200


def test_a_write_through_rest_is_listed_with_its_request_id_and_client(tenant):
    api = tenant.api()
    payload = {"employee_id": "E9", "email": "e9@example.com", "first_name": "Ann", "last_name": "Lee"}
    created = api.post("/api/v1/employees/", payload, format="json", HTTP_X_REQUEST_ID="trace-42")
    assert created.status_code == 201 and created["X-Request-ID"] == "trace-42"
    rows = api.get(AUDIT, {"object_type": "employee", "object_id": "E9"}).json()["results"]
    assert [(r["action"], r["actor"], r["request_id"], r["ip"]) for r in rows] == [
        (
            "employee.created",
            {"kind": "client", "id": tenant.client.client_id, "name": tenant.client.name},
            "trace-42",
            "127.0.0.1",
        )
    ]
    assert rows[0]["changes"]["email"] == [None, "e9@example.com"]
