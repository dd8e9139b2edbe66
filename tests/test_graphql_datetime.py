"""Both doors write a time the same way (UTC, `Z`, microseconds only when there are some)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from plum.api.graphql.scalars import DateTime
from points.models import LedgerEntry
from points.tests.factories import REQUESTS, make_programme, seed_employees, submit
from tests.conftest import graphql
from users.models import Employee

ROUND = datetime(2024, 3, 1, tzinfo=UTC)  # no microseconds: written without a fraction


@pytest.mark.django_db
def test_employee_times_read_through_both_doors_are_the_same_text(tenant):
    seed_employees(tenant, "E1", "E2")
    Employee.objects.filter(employee_id="E2").update(created_at=ROUND, updated_at=ROUND + timedelta(microseconds=7))
    api = tenant.api()
    for employee_id in ("E1", "E2"):
        rest = api.get(f"/api/v1/employees/{employee_id}/").json()
        _, body = graphql(api, f'{{ employee(employeeId: "{employee_id}") {{ createdAt updatedAt }} }}')
        assert body["data"]["employee"] == {"createdAt": rest["created_at"], "updatedAt": rest["updated_at"]}
    assert body["data"]["employee"] == {"createdAt": "2024-03-01T00:00:00Z", "updatedAt": "2024-03-01T00:00:00.000007Z"}


@pytest.mark.django_db
def test_points_times_read_through_both_doors_are_the_same_text(tenant):
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=1_000, points_validity_days=30)
    request = submit(tenant, points=40)
    api = tenant.api()

    rest_request = api.get(f"{REQUESTS}{request.id}/").json()
    rest_wallet = api.get("/api/v1/wallets/E1/").json()
    rest_lines = api.get("/api/v1/wallets/E1/transactions/").json()["results"]
    query = """{ pointsRequests { edges { node { creditedAt expiresAt createdAt decidedAt } } }
        wallet(employeeId: "E1") { expiring { expiresAt } updatedAt }
        ledgerLines(employeeId: "E1") { edges { node { createdAt } } } }"""
    status, body = graphql(api, query)

    assert status == 200
    data = body["data"]
    assert data["pointsRequests"]["edges"][0]["node"] == {
        "creditedAt": rest_request["credited_at"],
        "expiresAt": rest_request["expires_at"],
        "createdAt": rest_request["created_at"],
        "decidedAt": None,
    }
    assert data["wallet"] == {
        "expiring": [{"expiresAt": e["expires_at"]} for e in rest_wallet["expiring"]],
        "updatedAt": rest_wallet["updated_at"],
    }
    assert [e["node"]["createdAt"] for e in data["ledgerLines"]["edges"]] == [line["created_at"] for line in rest_lines]
    entry = LedgerEntry.objects.get(account__employee__employee_id="E1")
    assert data["wallet"]["updatedAt"] == entry.created_at.isoformat().replace("+00:00", "Z")
    assert data["wallet"]["updatedAt"].endswith("Z") and "+00:00" not in str(body)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (datetime(2026, 12, 6, 23, 31, 1, 123456, tzinfo=UTC), "2026-12-06T23:31:01.123456Z"),
        (datetime(2026, 12, 6, 23, 31, 1, tzinfo=UTC), "2026-12-06T23:31:01Z"),
        (datetime(2026, 12, 7, 1, 31, 1, tzinfo=timezone(timedelta(hours=2))), "2026-12-06T23:31:01Z"),
        (datetime(2026, 12, 6, 23, 31, 1), "2026-12-06T23:31:01Z"),  # naive: the current time zone, UTC
        ("2026-12-06T23:31:01.5+00:00", "2026-12-06T23:31:01.500000Z"),  # a selector's document
        ("2026-12-06T23:31:01Z", "2026-12-06T23:31:01Z"),
    ],
)
def test_datetime_scalar_writes_utc_with_z(value, written):
    assert DateTime.serialize(value) == written


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
@pytest.mark.parametrize(
    "value",
    [
        ROUND,
        ROUND + timedelta(microseconds=1),
        datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2026, 7, 1, 12, 0),
    ],
)
def test_datetime_scalar_writes_what_rest_writes_in_any_current_time_zone(zone, value):
    with django_timezone.override(zone):
        assert DateTime.serialize(value) == serializers.DateTimeField().to_representation(value)


def test_every_datetime_of_the_schema_is_plums():
    """graphene would refuse a second type named DateTime, so one scalar writes every time in the schema."""
    from plum.schema import schema

    assert schema.graphql_schema.get_type("DateTime").graphene_type is DateTime
