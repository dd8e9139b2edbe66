"""Reads over REST: the points request list and detail, wallets and their ledger lines."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plum.core.scopes import Scope
from points import services
from points.commands import PointsRequestReverseCommand
from points.models import LedgerEntry, Lot, PointsRequest
from points.tests.factories import (
    REQUESTS,
    iso,
    make_programme,
    points_nothing_changes,
    request_document,
    seed_employees,
    submit,
    system,
)
from tests.support import assert_problem

CREATED_AT = {"R1": datetime(2024, 1, 1, tzinfo=UTC), "R2": datetime(2024, 2, 1, tzinfo=UTC)}
CREATED_AT |= {"R3": datetime(2024, 3, 1, tzinfo=UTC), "R4": datetime(2024, 4, 1, tzinfo=UTC)}


@pytest.fixture
def history(tenant, other_tenant):
    """acme: R1 E1/P1 credited (crm), R2 E2/P1 pending, R3 E1/P2 credited (hr), R4 E2/P2 rejected;
    globex has a look-alike R1 that no acme filter may return."""
    seed_employees(tenant, "E1", "E2")
    make_programme(tenant, "P1", budget=10_000, approval_threshold=1_000)
    make_programme(tenant, "P2", budget=10_000)
    submit(tenant, request_id="R1", employee_id="E1", points=100, source="crm")
    submit(tenant, request_id="R2", employee_id="E2", points=1_000)
    submit(tenant, request_id="R3", employee_id="E1", points=50, programme="P2", source="hr")
    submit(tenant, request_id="R4", employee_id="E2", points=70, programme="P2")
    PointsRequest.objects.filter(request_id="R4").update(status="rejected")  # shape only; decisions are tested apart
    for request_id, created_at in CREATED_AT.items():
        PointsRequest.objects.filter(organisation=tenant.organisation, request_id=request_id).update(
            created_at=created_at
        )
    seed_employees(other_tenant, "E1")
    make_programme(other_tenant, "P1", budget=100)
    submit(other_tenant, request_id="R1", employee_id="E1", points=10, source="crm")
    return tenant


def request_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["request_id"] for r in response.json()["results"]]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["R4", "R3", "R2", "R1"]),
        ({"status": "credited"}, ["R3", "R1"]),
        ({"status": "pending_approval"}, ["R2"]),
        ({"employee_id": "E1"}, ["R3", "R1"]),
        ({"employee_id": "NOBODY"}, []),
        ({"programme": "P2"}, ["R4", "R3"]),
        ({"source": "crm"}, ["R1"]),
        ({"created_since": "2024-02-01T00:00:00Z"}, ["R4", "R3", "R2"]),
        ({"created_since": "2024-03-01T00:00:00.000001+00:00"}, ["R4"]),
        ({"employee_id": "E2", "programme": "P1"}, ["R2"]),
    ],
)
def test_list_filters_newest_first(api, history, filters, expected):
    assert request_ids(api.get(REQUESTS, filters)) == expected


@pytest.mark.parametrize(
    ("filters", "field"), [({"status": "lost"}, "status"), ({"created_since": "yesterday"}, "created_since")]
)
def test_list_refuses_bad_filters(api, history, filters, field):
    assert_problem(api.get(REQUESTS, filters), 400, "validation_error", [(field, "invalid")])


def test_list_items_are_the_full_documents_and_pages_follow_cursors(api, history):
    first = api.get(REQUESTS, {"page_size": 3}).json()
    second = api.get(first["next"]).json()

    assert first["results"] == [
        request_document(PointsRequest.objects.get(organisation=history.organisation, request_id=r))
        for r in ("R4", "R3", "R2")
    ]
    assert [r["request_id"] for r in second["results"]] == ["R1"]
    assert (second["next"], api.get(second["previous"]).json()["results"]) == (None, first["results"])


def test_list_costs_the_same_queries_for_4_and_40_requests(api, history):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(REQUESTS, {"page_size": 500}).status_code == 200
        return len(captured)

    few = page_queries()
    seed_employees(history, *[f"M{n}" for n in range(12)])
    for n in range(36):
        submit(history, request_id=f"M-{n}", employee_id=f"M{n % 12}", points=5, programme=f"P{1 + n % 2}")
    assert len(api.get(REQUESTS, {"page_size": 500}).json()["results"]) == 40
    assert page_queries() == few


def test_retrieve_answers_the_document(api, history):
    stored = PointsRequest.objects.get(organisation=history.organisation, request_id="R1")
    response = api.get(f"{REQUESTS}{stored.id}/")
    assert response.status_code == 200
    assert response.json() == request_document(stored)


@pytest.mark.parametrize("suffix", ["00000000-0000-0000-0000-000000000000", "R1", "%00"])
def test_retrieve_unknown_ids_answer_404(api, history, suffix):
    assert_problem(api.get(f"{REQUESTS}{suffix}/"), 404, "points_request_not_found")


def test_retrieve_another_organisations_request_answers_404(api, history, other_tenant):
    theirs = PointsRequest.objects.get(organisation=other_tenant.organisation)
    assert_problem(api.get(f"{REQUESTS}{theirs.id}/"), 404, "points_request_not_found")


def test_reads_need_points_read(history):
    client = history.api([Scope.POINTS_WRITE, Scope.POINTS_APPROVE])
    assert_problem(client.get(REQUESTS), 403, "insufficient_scope")
    assert_problem(client.get("/api/v1/wallets/E1/"), 403, "insufficient_scope")
    assert_problem(client.get("/api/v1/wallets/E1/transactions/"), 403, "insufficient_scope")


# --- Wallets -------------------------------------------------------------------------------------


def test_an_employee_who_never_received_points_has_balance_0(api, tenant):
    seed_employees(tenant, "E9")
    with points_nothing_changes():
        wallet = api.get("/api/v1/wallets/E9/")
        lines = api.get("/api/v1/wallets/E9/transactions/")
    assert wallet.status_code == 200
    assert wallet.json() == {"employee_id": "E9", "balance": 0, "expiring": [], "updated_at": None}
    assert lines.json() == {"next": None, "previous": None, "results": []}


def test_wallet_shows_spendable_points_and_what_expires_soon(api, tenant):
    seed_employees(tenant, "E1")
    make_programme(tenant, "SHORT", budget=1_000, points_validity_days=30)
    make_programme(tenant, "LONG", budget=1_000, points_validity_days=365)
    short = submit(tenant, request_id="S1", points=40, programme="SHORT")
    submit(tenant, request_id="L1", points=500, programme="LONG")
    submit(tenant, request_id="S2", points=60, programme="SHORT")
    services.points_spend(actor=system(tenant), employee_id="E1", points=30, reference="order-1")
    Lot.objects.filter(pk=short.lot_id).update(expires_at=timezone.now() - timedelta(seconds=1))  # S1 lapsed

    response = api.get("/api/v1/wallets/E1/")

    s2 = PointsRequest.objects.get(request_id="S2")
    last = LedgerEntry.objects.filter(account__employee__employee_id="E1").latest("created_at")
    assert response.status_code == 200
    assert response.json() == {
        "employee_id": "E1",
        "balance": 560,  # 40 - 30 of S1 lapsed; 500 of L1 and 60 of S2 remain
        "expiring": [{"points": 60, "expires_at": iso(s2.expires_at)}],
        "updated_at": iso(last.created_at),
    }


def test_transactions_list_the_wallets_lines_newest_first(api, tenant):
    seed_employees(tenant, "E1", "E2")
    make_programme(tenant, "P1", budget=1_000)
    award = submit(tenant, request_id="R1", points=300)
    submit(tenant, request_id="R2", employee_id="E2", points=5)
    spend = services.points_spend(actor=system(tenant), employee_id="E1", points=120, reference="order-7")
    services.points_request_reverse(
        actor=system(tenant),
        request_uuid=submit(tenant, request_id="R3", points=20).id,
        command=PointsRequestReverseCommand(),
    )

    response = api.get("/api/v1/wallets/E1/transactions/")

    lines = LedgerEntry.objects.filter(account__employee__employee_id="E1").select_related("transaction")
    by_kind = {(line.transaction.kind, line.reference, line.amount): line for line in lines}
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": str(line.id),
            "kind": kind,
            "points": points,
            "balance_after": after,
            "reference": reference,
            "created_at": iso(line.created_at),
        }
        for kind, reference, points, after in [
            ("reversal", "R3", -20, 180),
            ("award", "R3", 20, 200),
            ("spend", "order-7", -120, 180),
            ("award", "R1", 300, 300),
        ]
        for line in [by_kind[(kind, reference, points)]]
    ]
    assert by_kind[("award", "R1", 300)].transaction_id == award.transaction_id
    assert by_kind[("spend", "order-7", -120)].transaction_id == spend.transaction.id


def test_transactions_page_with_cursors_and_cost_the_same_queries(api, tenant):
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=10_000)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/wallets/E1/transactions/", {"page_size": 500}).status_code == 200
        return len(captured)

    for n in range(3):
        submit(tenant, request_id=f"R{n:02d}", points=1)
    few = page_queries()
    for n in range(3, 30):
        submit(tenant, request_id=f"R{n:02d}", points=1)
    assert page_queries() == few

    first = api.get("/api/v1/wallets/E1/transactions/", {"page_size": 20}).json()
    second = api.get(first["next"]).json()
    assert [line["reference"] for line in first["results"] + second["results"]] == [
        f"R{n:02d}" for n in reversed(range(30))
    ]
    assert [line["balance_after"] for line in second["results"]] == list(reversed(range(1, 11)))


@pytest.mark.parametrize("path", ["/api/v1/wallets/{}/", "/api/v1/wallets/{}/transactions/"])
def test_wallets_of_unknown_or_foreign_employees_answer_404(api, tenant, other_tenant, path):
    seed_employees(other_tenant, "X1")
    for employee_id in ("NOBODY", "X1"):
        assert_problem(api.get(path.format(employee_id)), 404, "employee_not_found")
