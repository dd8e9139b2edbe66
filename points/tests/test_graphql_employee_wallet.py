"""`Employee.wallet`: the balance next to each person, loaded for a whole page at once, never another
organisation's."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.scopes import Scope
from plum.core.timefmt import iso
from points import selectors, services
from points.models import LedgerEntry, Lot, PointsRequest
from points.tests.factories import make_programme, seed_employees, submit, system
from tests.conftest import graphql
from users.models import Employee

WALLETS = """{ employees(first: 100) { edges { node { employeeId
    wallet { employeeId balance expiring { points expiresAt } updatedAt } } } } }"""
READ = [Scope.EMPLOYEES_READ, Scope.POINTS_READ]


def wallets(api) -> dict[str, dict]:
    status, body = graphql(api, WALLETS)
    assert status == 200 and "errors" not in body, body
    return {e["node"]["employeeId"]: e["node"]["wallet"] for e in body["data"]["employees"]["edges"]}


def as_rest(wallet: dict) -> dict:
    return {
        "employee_id": wallet["employeeId"],
        "balance": wallet["balance"],
        "expiring": [{"points": e["points"], "expires_at": e["expiresAt"]} for e in wallet["expiring"]],
        "updated_at": wallet["updatedAt"],
    }


@pytest.mark.django_db
def test_each_employee_shows_the_wallet_rest_shows(tenant):
    seed_employees(tenant, "E1", "E2", "E3")
    make_programme(tenant, "SHORT", budget=1_000, points_validity_days=30)
    make_programme(tenant, "LONG", budget=1_000, points_validity_days=365)
    lapsed = submit(tenant, request_id="S1", points=40, programme="SHORT")
    submit(tenant, request_id="L1", points=500, programme="LONG")
    submit(tenant, request_id="S2", points=60, programme="SHORT")
    submit(tenant, request_id="S3", employee_id="E3", points=7, programme="SHORT")
    services.points_spend(actor=system(tenant), employee_id="E1", points=30, reference="order-1")
    Lot.objects.filter(pk=lapsed.lot_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    found = wallets(tenant.api(READ))

    s2, s3 = PointsRequest.objects.get(request_id="S2"), PointsRequest.objects.get(request_id="S3")
    last = {e: LedgerEntry.objects.filter(account__employee__employee_id=e).latest("created_at") for e in ("E1", "E3")}
    assert found == {
        "E1": {
            "employeeId": "E1",
            "balance": 560,  # 40 - 30 of S1 lapsed; 500 of L1 and 60 of S2 remain
            "expiring": [{"points": 60, "expiresAt": iso(s2.expires_at)}],  # L1 lasts a year
            "updatedAt": iso(last["E1"].created_at),
        },
        "E2": {"employeeId": "E2", "balance": 0, "expiring": [], "updatedAt": None},  # never moved
        "E3": {
            "employeeId": "E3",
            "balance": 7,
            "expiring": [{"points": 7, "expiresAt": iso(s3.expires_at)}],
            "updatedAt": iso(last["E3"].created_at),
        },
    }
    api = tenant.api()
    for employee_id, wallet in found.items():
        assert as_rest(wallet) == api.get(f"/api/v1/wallets/{employee_id}/").json()


@pytest.mark.django_db
def test_one_employee_and_a_mutations_employee_have_their_wallet_too(tenant):
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=100)
    submit(tenant, points=25)
    api = tenant.api()

    status, body = graphql(api, '{ employee(employeeId: "E1") { wallet { balance } } }')
    assert (status, body) == (200, {"data": {"employee": {"wallet": {"balance": 25}}}})

    update = (
        'mutation { employeeUpdate(input: {employeeId: "E1", department: "Ops"}) { employee { wallet { balance } } } }'
    )
    status, body = graphql(api, update)
    assert (status, body) == (200, {"data": {"employeeUpdate": {"employee": {"wallet": {"balance": 25}}}}})


def queries_for(api) -> int:
    with CaptureQueriesContext(connection) as captured:
        found = wallets(api)
    assert all(w["balance"] == 10 for w in found.values())
    return len(captured)


@pytest.mark.django_db
def test_a_page_of_fifty_employees_with_wallets_costs_as_many_queries_as_five(make_tenant):
    small, large = make_tenant(), make_tenant()
    for tenant, count in ((small, 5), (large, 50)):
        ids = [f"E{n:02d}" for n in range(count)]
        seed_employees(tenant, *ids)
        make_programme(tenant, "P1", budget=10 * count)
        for employee_id in ids:
            submit(tenant, request_id=f"R-{employee_id}", employee_id=employee_id, points=10)

    small_api, large_api = small.api(READ), large.api(READ)
    five, fifty = queries_for(small_api), queries_for(large_api)

    assert len(wallets(large_api)) == 50
    assert five == fifty
    with CaptureQueriesContext(connection) as captured:
        graphql(large_api, "{ employees(first: 100) { edges { node { employeeId } } } }")
    assert fifty - len(captured) == 1  # the page's wallets: one statement


@pytest.mark.django_db
def test_wallets_never_cross_organisations(tenant, other_tenant):
    for owner, points in ((tenant, 5), (other_tenant, 900)):
        seed_employees(owner, "E1", "SHARED")
        make_programme(owner, "P1", budget=1_000)
        submit(owner, request_id="R1", employee_id="SHARED", points=points)
    seed_employees(other_tenant, "X1")
    submit(other_tenant, request_id="R2", employee_id="X1", points=33)

    assert {k: w["balance"] for k, w in wallets(tenant.api(READ)).items()} == {"E1": 0, "SHARED": 5}
    assert {k: w["balance"] for k, w in wallets(other_tenant.api(READ)).items()} == {"E1": 0, "SHARED": 900, "X1": 33}

    # the selector itself leaves out employees of another organisation, whatever it is handed
    foreign = Employee.objects.get(organisation=other_tenant.organisation, employee_id="X1")
    actor = Actor.system(tenant.organisation.id)
    assert selectors.wallet_documents(actor=actor, employees=[foreign]) == {}


@pytest.mark.django_db
def test_the_wallet_needs_points_read(tenant):
    seed_employees(tenant, "E1")
    status, body = graphql(tenant.api([Scope.EMPLOYEES_READ]), WALLETS)
    assert (status, body["data"]) == (200, {"employees": {"edges": [{"node": None}]}})
    assert [(e["path"], e["message"], e["extensions"]) for e in body["errors"]] == [
        (
            ["employees", "edges", 0, "node", "wallet"],
            "The token lacks the scope points:read.",
            {"code": "insufficient_scope"},
        )
    ]


@pytest.mark.django_db
def test_aliases_of_the_wallet_share_one_load_and_each_shows_its_own_fields(tenant):
    seed_employees(tenant, "E1", "E2")
    make_programme(tenant, "P1", budget=100)
    submit(tenant, request_id="R1", employee_id="E1", points=10)
    api = tenant.api(READ)
    with_moved = wallets(api)
    both = "{ employees(first: 100) { edges { node { employeeId a: wallet { balance } b: wallet { updatedAt } } } } }"
    with CaptureQueriesContext(connection) as aliased:
        status, body = graphql(api, both)
    assert status == 200 and "errors" not in body, body
    nodes = {e["node"]["employeeId"]: e["node"] for e in body["data"]["employees"]["edges"]}
    assert nodes == {
        k: {"employeeId": k, "a": {"balance": v["balance"]}, "b": {"updatedAt": v["updatedAt"]}}
        for k, v in with_moved.items()
    }
    assert nodes["E1"]["b"]["updatedAt"] is not None and nodes["E2"]["b"]["updatedAt"] is None
    with CaptureQueriesContext(connection) as plain:
        graphql(api, "{ employees(first: 100) { edges { node { employeeId } } } }")
    assert len(aliased) - len(plain) == 1
