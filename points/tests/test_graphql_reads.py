"""GraphQL reads of the points app: programmes, wallet(employeeId), pointsRequests and ledgerLines."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from plum.core import timefmt
from plum.core.scopes import Scope
from points import services
from points.models import LedgerEntry, PointsRequest
from points.tests.factories import make_programme, points_nothing_changes, seed_employees, submit, system, topup
from tests.conftest import graphql

READ = Scope.POINTS_READ
REQUEST_FIELDS = """id requestId status points employeeId programme reason source metadata balanceAfter
    transactionId creditedAt expiresAt decidedAt reversedAt reversalReason createdAt"""


def iso(value) -> str | None:
    return timefmt.iso(value)  # both doors write times alike: UTC with Z


@pytest.fixture
def history(tenant, other_tenant):
    """acme: R1 E1/P1 credited (crm), R2 E2/P1 pending, R3 E1/P2 credited (hr); globex has its own R1."""
    seed_employees(tenant, "E1", "E2")
    make_programme(tenant, "P1", budget=10_000, approval_threshold=1_000)
    make_programme(tenant, "P2", budget=5_000, points_validity_days=30, status="active")
    submit(tenant, request_id="R1", points=100, source="crm", metadata={"k": ["v", 1]})
    submit(tenant, request_id="R2", employee_id="E2", points=1_000)
    submit(tenant, request_id="R3", points=50, programme="P2", source="hr")
    for n, request_id in enumerate(["R1", "R2", "R3"], start=1):
        PointsRequest.objects.filter(organisation=tenant.organisation, request_id=request_id).update(
            created_at=datetime(2024, n, 1, tzinfo=UTC)
        )
    seed_employees(other_tenant, "E1")
    make_programme(other_tenant, "P1", budget=100)
    submit(other_tenant, request_id="R1", points=10, source="crm")
    return tenant


def nodes(body: dict, field: str) -> list[dict]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"][field]["edges"]]


def test_programmes(history):
    query = """{ programmes { totalCount edges { node { code name budgetBalance approvalThreshold
        maxPointsPerRequest pointsValidityDays status } } } }"""
    status, body = graphql(history.api([READ]), query)
    assert status == 200
    assert body["data"]["programmes"]["totalCount"] == 2
    assert nodes(body, "programmes") == [
        {
            "code": "P1",
            "name": "P1 awards",
            "budgetBalance": 9_900,
            "approvalThreshold": 1_000,
            "maxPointsPerRequest": 100_000,
            "pointsValidityDays": 365,
            "status": "active",
        },
        {
            "code": "P2",
            "name": "P2 awards",
            "budgetBalance": 4_950,
            "approvalThreshold": None,
            "maxPointsPerRequest": 100_000,
            "pointsValidityDays": 30,
            "status": "active",
        },
    ]


def test_budgets_beyond_32_bits_are_exact(tenant):
    make_programme(tenant, "BIG", budget=2_000_000_000)
    topup(tenant.organisation, "BIG", 2_000_000_000)
    status, body = graphql(tenant.api([READ]), "{ programmes { edges { node { budgetBalance } } } }")
    assert (status, nodes(body, "programmes")) == (200, [{"budgetBalance": 4_000_000_000}])


def test_points_request_node_has_every_field_of_the_document(history):
    query = f'{{ pointsRequests(source: "crm") {{ edges {{ node {{ {REQUEST_FIELDS} }} }} }} }}'
    status, body = graphql(history.api([READ]), query)
    r1 = PointsRequest.objects.get(organisation=history.organisation, request_id="R1")
    assert status == 200
    assert nodes(body, "pointsRequests") == [
        {
            "id": to_global_id("PointsRequest", str(r1.id)),
            "requestId": "R1",
            "status": "credited",
            "points": 100,
            "employeeId": "E1",
            "programme": "P1",
            "reason": "",
            "source": "crm",
            "metadata": {"k": ["v", 1]},
            "balanceAfter": 100,
            "transactionId": str(r1.transaction_id),
            "creditedAt": iso(r1.credited_at),
            "expiresAt": iso(r1.expires_at),
            "decidedAt": None,
            "reversedAt": None,
            "reversalReason": "",
            "createdAt": "2024-01-01T00:00:00Z",
        }
    ]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", ["R3", "R2", "R1"]),
        ("status: credited", ["R3", "R1"]),
        ("status: pending_approval", ["R2"]),
        ('employeeId: "E1"', ["R3", "R1"]),
        ('programme: "P2"', ["R3"]),
        ('source: "hr"', ["R3"]),
        ('createdSince: "2024-02-01T00:00:00+00:00"', ["R3", "R2"]),
        ('employeeId: "E2", programme: "P2"', []),
        ("last: 1", ["R1"]),
    ],
)
def test_points_requests_filters_newest_first(history, arguments, expected):
    query = f"{{ pointsRequests{f'({arguments})' if arguments else ''} {{ edges {{ node {{ requestId }} }} }} }}"
    status, body = graphql(history.api([READ]), query)
    assert status == 200
    assert [n["requestId"] for n in nodes(body, "pointsRequests")] == expected


def test_points_requests_page_with_first_and_after(history):
    query = """query($after: String) { pointsRequests(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { requestId } } } }"""
    api = history.api([READ])
    _, first = graphql(api, query)
    _, second = graphql(api, query, {"after": first["data"]["pointsRequests"]["pageInfo"]["endCursor"]})
    assert [n["requestId"] for n in nodes(first, "pointsRequests")] == ["R3", "R2"]
    assert [n["requestId"] for n in nodes(second, "pointsRequests")] == ["R1"]
    assert second["data"]["pointsRequests"]["pageInfo"]["hasNextPage"] is False
    assert second["data"]["pointsRequests"]["totalCount"] == 3


def test_wallet(history):
    query = '{ wallet(employeeId: "E1") { employeeId balance expiring { points expiresAt } updatedAt } }'
    status, body = graphql(history.api([READ]), query)
    r3 = PointsRequest.objects.get(organisation=history.organisation, request_id="R3")
    last = LedgerEntry.objects.get(account__kind="wallet", transaction=r3.transaction_id)
    assert status == 200
    assert body == {
        "data": {
            "wallet": {
                "employeeId": "E1",
                "balance": 150,
                "expiring": [{"points": 50, "expiresAt": iso(r3.expires_at)}],
                "updatedAt": iso(last.created_at),
            }
        }
    }


def test_wallet_of_an_employee_who_never_received_points(history):
    seed_employees(history, "E9")
    with points_nothing_changes():
        status, body = graphql(
            history.api([READ]), '{ wallet(employeeId: "E9") { balance expiring { points } updatedAt } }'
        )
    assert (status, body) == (200, {"data": {"wallet": {"balance": 0, "expiring": [], "updatedAt": None}}})


@pytest.mark.parametrize("employee_id", ["NOBODY", "X1"])
def test_wallet_and_lines_of_unknown_or_foreign_employees_are_empty(history, other_tenant, employee_id):
    seed_employees(other_tenant, "X1")
    submit(other_tenant, request_id="X-R", employee_id="X1", points=5)
    query = f"""{{ wallet(employeeId: "{employee_id}") {{ balance }}
        ledgerLines(employeeId: "{employee_id}") {{ totalCount edges {{ node {{ points }} }} }} }}"""
    status, body = graphql(history.api([READ]), query)
    assert (status, body) == (200, {"data": {"wallet": None, "ledgerLines": {"totalCount": 0, "edges": []}}})


def test_ledger_lines_newest_first_with_balance_after(history):
    services.points_spend(actor=system(history), employee_id="E1", points=30, reference="order-1")
    query = """{ ledgerLines(employeeId: "E1") { totalCount
        edges { node { id kind points balanceAfter reference createdAt } } } }"""
    status, body = graphql(history.api([READ]), query)
    mine = LedgerEntry.objects.filter(account__organisation=history.organisation, account__employee__employee_id="E1")
    lines = {line.reference: line for line in mine}
    assert status == 200
    assert body["data"]["ledgerLines"]["totalCount"] == 3
    assert nodes(body, "ledgerLines") == [
        {
            "id": to_global_id("LedgerLine", str(lines[reference].id)),
            "kind": kind,
            "points": points,
            "balanceAfter": after,
            "reference": reference,
            "createdAt": iso(lines[reference].created_at),
        }
        for kind, points, after, reference in [
            ("spend", -30, 120, "order-1"),
            ("award", 50, 150, "R3"),
            ("award", 100, 100, "R1"),
        ]
    ]


def count_queries(api, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        status, body = graphql(api, query)
    assert status == 200 and "errors" not in body, body
    return len(captured)


LISTS = {
    "programmes": "{ programmes { edges { node { code budgetBalance status } } } }",
    "pointsRequests": "{ pointsRequests { edges { node { requestId employeeId programme status } } } }",
    "ledgerLines": '{ ledgerLines(employeeId: "E1") { edges { node { kind points balanceAfter } } } }',
}


@pytest.mark.parametrize("field", sorted(LISTS))
def test_lists_cost_the_same_queries_for_few_and_many(history, field):
    api = history.api([READ])
    few = count_queries(api, LISTS[field])
    seed_employees(history, *[f"M{n}" for n in range(10)])
    for n in range(30):
        make_programme(history, f"X{n}", budget=10)
        submit(history, request_id=f"M-{n}", employee_id=f"M{n % 10}", points=5)
        submit(history, request_id=f"E1-{n}", employee_id="E1", points=1)
    assert count_queries(api, LISTS[field]) == few


@pytest.mark.parametrize("field", ["programmes", "wallet", "pointsRequests", "ledgerLines"])
def test_queries_need_points_read(history, field):
    query = {
        **LISTS,
        "wallet": '{ wallet(employeeId: "E1") { balance } }',
    }[field]
    status, body = graphql(history.api([Scope.POINTS_WRITE, Scope.POINTS_APPROVE]), query)
    assert status == 200
    assert body["data"] == {field: None}
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("The token lacks the scope points:read.", {"code": "insufficient_scope"})
    ]
