"""The operations staff's door to points: pages load, programmes are created and funded, requests are
decided through the services, and the ledger cannot be edited by hand."""

import pytest

from plum.core.models import OutboxEvent
from points.models import Account, LedgerEntry, PointsRequest, Programme, ReconciliationIssue
from points.tests.factories import balance, budget, make_programme, points_nothing_changes, seed_employees, submit


@pytest.fixture
def ledger(tenant, other_tenant):
    """acme: E1, E2; P1 (1,000 points, approval at 500) with R1 credited, R2 and R3 pending; globex: G1 pending."""
    seed_employees(tenant, "E1", "E2")
    make_programme(tenant, "P1", budget=1_000, approval_threshold=500)
    submit(tenant, request_id="R1", points=100)
    submit(tenant, request_id="R2", points=600)
    submit(tenant, request_id="R3", employee_id="E2", points=700)
    seed_employees(other_tenant, "X1")
    make_programme(other_tenant, "GP", budget=5_000, approval_threshold=10)
    submit(other_tenant, request_id="G1", employee_id="X1", points=50, programme="GP")
    wallet = Account.objects.get(kind="wallet", employee__employee_id="E1")
    ReconciliationIssue.objects.create(
        organisation=tenant.organisation, account=wallet, kind="entries", cached_balance=1, computed_balance=2
    )
    ReconciliationIssue.objects.create(
        organisation=tenant.organisation,
        account=wallet,
        kind="lots",
        cached_balance=3,
        computed_balance=4,
        resolved=True,
    )
    return tenant


def pk(request_id: str):
    return PointsRequest.objects.get(request_id=request_id).pk


@pytest.mark.parametrize(
    "url",
    [
        "/admin/points/programme/",
        "/admin/points/programme/add/",
        "/admin/points/programme/?status__exact=active&q=P1",
        "/admin/points/pointsrequest/",
        "/admin/points/pointsrequest/?status__exact=pending_approval&programme__code=P1",
        "/admin/points/pointsrequest/?q=E2",
        "/admin/points/account/",
        "/admin/points/account/?kind__exact=budget",
        "/admin/points/ledgerentry/",
        "/admin/points/ledgerentry/?transaction__kind=award&q=R1",
        "/admin/points/reconciliationissue/",
        "/admin/points/reconciliationissue/?state=unresolved",
    ],
)
def test_pages_load(admin_client, ledger, url):
    assert admin_client.get(url).status_code == 200


def test_detail_pages_load(admin_client, ledger):
    programme = Programme.objects.get(code="P1")
    page = admin_client.get(f"/admin/points/programme/{programme.pk}/change/")
    assert page.status_code == 200 and "900" in page.content.decode()  # the budget, read-only
    assert admin_client.get(f"/admin/points/pointsrequest/{pk('R1')}/change/").status_code == 200
    entry = LedgerEntry.objects.first()
    assert admin_client.get(f"/admin/points/ledgerentry/{entry.pk}/change/").status_code == 200


def test_programme_list_shows_budget_balances(admin_client, ledger):
    page = admin_client.get("/admin/points/programme/").content.decode()
    assert '<td class="field-budget_balance">900</td>' in page
    assert '<td class="field-budget_balance">5,000</td>' in page


def test_request_filters_and_search_narrow_the_list(admin_client, ledger):
    pending = admin_client.get("/admin/points/pointsrequest/?status__exact=pending_approval&programme__code=P1")
    assert sorted(r.request_id for r in pending.context["cl"].result_list) == ["R2", "R3"]
    searched = admin_client.get("/admin/points/pointsrequest/?q=E2")
    assert [r.request_id for r in searched.context["cl"].result_list] == ["R3"]


def test_unresolved_filter(admin_client, ledger):
    page = admin_client.get("/admin/points/reconciliationissue/?state=unresolved")
    assert [i.kind for i in page.context["cl"].result_list] == ["entries"]


def test_creating_a_programme_goes_through_the_service(admin_client, tenant):
    response = admin_client.post(
        "/admin/points/programme/add/",
        {
            "organisation": tenant.organisation.pk,
            "code": "SPOT",
            "name": "Spot awards",
            "approval_threshold": "250",
            "max_points_per_request": "1000",
            "points_validity_days": "90",
            "status": "active",
        },
    )
    assert response.status_code == 302
    programme = Programme.objects.get(code="SPOT")
    assert (programme.name, programme.approval_threshold, programme.points_validity_days) == ("Spot awards", 250, 90)
    assert Account.objects.filter(programme=programme, kind="budget").count() == 8  # shards made by the service


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [({"code": "P1"}, "__all__"), ({"code": "has space"}, "code"), ({"approval_threshold": "0"}, "approval_threshold")],
)
def test_creating_an_invalid_programme_changes_nothing(admin_client, ledger, fields, error_field):
    data = {
        "organisation": ledger.organisation.pk,
        "code": "NEW",
        "name": "New",
        "max_points_per_request": "1000",
        "points_validity_days": "90",
        "status": "active",
    }
    with points_nothing_changes():
        response = admin_client.post("/admin/points/programme/add/", data | fields)
    assert response.status_code == 200
    assert error_field in response.context["adminform"].form.errors


def test_a_service_refusal_after_the_form_passed_is_shown_not_logged(admin_client, tenant, monkeypatch):
    """A parallel creation of the same code passes the form but loses at the unique constraint."""
    from django.contrib.admin.models import LogEntry

    from points import services
    from points.errors import PointsError, PointsErrorCode

    def lost_the_race(**kwargs):
        raise PointsError(PointsErrorCode.PROGRAMME_EXISTS, "Programme 'SPOT' already exists.", field="code")

    monkeypatch.setattr(services, "programme_create", lost_the_race)
    data = {"organisation": tenant.organisation.pk, "code": "SPOT", "name": "Spot", "status": "active"}
    with points_nothing_changes():
        response = admin_client.post(
            "/admin/points/programme/add/",
            data | {"max_points_per_request": "10", "points_validity_days": "9"},
            follow=True,
        )
    assert [str(m) for m in response.context["messages"]] == [
        "The programme was not created: Programme 'SPOT' already exists."
    ]
    assert not LogEntry.objects.exists()


def test_programmes_cannot_be_edited_or_deleted_by_hand(admin_client, ledger):
    programme = Programme.objects.get(code="P1")
    with points_nothing_changes():
        edit = admin_client.post(f"/admin/points/programme/{programme.pk}/change/", {"name": "Hacked"})
        delete = admin_client.post(f"/admin/points/programme/{programme.pk}/delete/", {"post": "yes"})
    assert (edit.status_code, delete.status_code) == (403, 403)


def test_top_up_action_funds_each_selected_budget(admin_client, ledger, other_tenant):
    ids = list(Programme.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/points/programme/", {"action": "top_up", "_selected_action": ids, "points": "250"}, follow=True
    )
    assert response.status_code == 200
    assert (budget(ledger, "P1"), budget(other_tenant, "GP")) == (1_150, 5_250)
    messages = [str(m) for m in response.context["messages"]]
    assert sorted(messages) == ["GP: added 250 points to the budget.", "P1: added 250 points to the budget."]


@pytest.mark.parametrize("points", ["", "abc", "1.5", "1_000", "\u0663", "9" * 5000])
def test_top_up_without_points_changes_nothing(admin_client, ledger, points):
    ids = list(Programme.objects.values_list("pk", flat=True))
    with points_nothing_changes():
        response = admin_client.post(
            "/admin/points/programme/", {"action": "top_up", "_selected_action": ids, "points": points}, follow=True
        )
    assert [str(m) for m in response.context["messages"]] == ["Enter the points to add (1 to 2000000000)."]


@pytest.mark.parametrize("points", ["0", "-3", "2000000001"])
def test_top_up_out_of_range_is_refused_by_the_service(admin_client, ledger, points):
    programme = Programme.objects.get(code="P1")
    with points_nothing_changes():
        response = admin_client.post(
            "/admin/points/programme/",
            {"action": "top_up", "_selected_action": [programme.pk], "points": points},
            follow=True,
        )
    assert [str(m) for m in response.context["messages"]] == [
        "P1: The input is not valid. points: A whole number from 1 to 2000000000."
    ]


def test_approve_action_credits_through_the_service(admin_client, ledger, admin_user):
    response = admin_client.post(
        "/admin/points/pointsrequest/",
        {"action": "approve", "_selected_action": [pk("R2"), pk("R1")], "note": "Checked"},
        follow=True,
    )
    r2 = PointsRequest.objects.get(request_id="R2")
    assert (r2.status, r2.decision_note, r2.decided_by) == ("credited", "Checked", f"staff:{admin_user.username}")
    assert (balance(ledger), budget(ledger)) == (700, 300)
    assert OutboxEvent.objects.filter(aggregate_id=str(r2.pk), event_type="points_request.credited").count() == 1
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["R1: The request is credited, not pending.", "1 request approved."]


def test_approve_action_uses_each_requests_organisation(admin_client, ledger, other_tenant):
    admin_client.post("/admin/points/pointsrequest/", {"action": "approve", "_selected_action": [pk("G1")]})
    assert PointsRequest.objects.get(request_id="G1").status == "credited"
    assert balance(other_tenant, "X1") == 50


def test_approve_action_reports_what_the_budget_cannot_pay(admin_client, ledger):
    with points_nothing_changes():
        response = admin_client.post(
            "/admin/points/pointsrequest/",
            {"action": "approve", "_selected_action": [pk("R3")], "note": "n" * 501},
            follow=True,
        )
    assert [str(m) for m in response.context["messages"]] == [
        "R3: The input is not valid. note: A string of at most 500 characters."
    ]
    admin_client.post(
        "/admin/points/pointsrequest/", {"action": "approve", "_selected_action": [pk("R2")]}, follow=True
    )
    with points_nothing_changes():
        response = admin_client.post(
            "/admin/points/pointsrequest/", {"action": "approve", "_selected_action": [pk("R3")]}, follow=True
        )
    assert [str(m) for m in response.context["messages"]] == ["R3: The budget of programme 'P1' cannot pay 700 points."]


def test_reject_action(admin_client, ledger):
    admin_client.post(
        "/admin/points/pointsrequest/", {"action": "reject", "_selected_action": [pk("R2"), pk("R3")], "note": "No"}
    )
    assert sorted(PointsRequest.objects.filter(status="rejected").values_list("request_id", flat=True)) == ["R2", "R3"]
    assert (balance(ledger), budget(ledger)) == (100, 900)


@pytest.mark.parametrize("model", ["pointsrequest", "account", "ledgerentry", "reconciliationissue"])
def test_the_ledger_cannot_be_edited_by_hand(admin_client, ledger, model):
    obj = {
        "pointsrequest": lambda: PointsRequest.objects.get(request_id="R2"),
        "account": lambda: Account.objects.filter(kind="wallet").first(),
        "ledgerentry": lambda: LedgerEntry.objects.first(),
        "reconciliationissue": lambda: ReconciliationIssue.objects.first(),
    }[model]()
    with points_nothing_changes():
        edit = admin_client.post(f"/admin/points/{model}/{obj.pk}/change/", {"status": "credited", "balance": "9"})
        add = admin_client.post(f"/admin/points/{model}/add/", {})
        delete = admin_client.post(f"/admin/points/{model}/{obj.pk}/delete/", {"post": "yes"})
    assert (edit.status_code, add.status_code, delete.status_code) == (403, 403, 403)
