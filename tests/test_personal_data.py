"""Export and erasure of an employee's personal data over a history that touches every app: the export holds
everything, and after erasure a search of every text column of the database finds the person nowhere."""

import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from integrations.chat.tests.test_out_support import make_channel
from integrations.webhooks.services import relay
from integrations.webhooks.tests.test_deliveries_support import make_subscription
from plum.core.personal_data import tables_to_walk
from points.models import LedgerEntry, PointsRequest
from points.tests.factories import balance, make_programme
from tests.support import assert_problem
from users.models import Employee
from vouchers.codes import masked
from vouchers.models import Voucher
from vouchers.tests.factories import make_catalogue, order

FIRST, LAST, EMAIL = "Zephyrine", "Quillfeather", "z.quillfeather@example.com"
SLACK, TEAMS = "U0ZQUILL42", "29:zq-teams-7731"
PERSON = {
    "employee_id": "E9",
    "email": EMAIL,
    "first_name": FIRST,
    "last_name": LAST,
    "slack_user_id": SLACK,
    "teams_user_id": TEAMS,
}
NEEDLES = (FIRST, LAST, EMAIL, SLACK, TEAMS)


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')"
        )
        return cursor.fetchall()


def where_found(needle: str) -> list[str]:
    """Every table.column of the database whose text holds `needle`, whatever its case."""
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s', [f"%{needle}%"])
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


@pytest.fixture
def history(tenant, api):
    """E9 is the person; E2 is a colleague whose own data must survive E9's erasure untouched."""
    created = api.post("/api/v1/employees/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="hire-e9")
    assert created.status_code == 201, created.content
    colleague = {"employee_id": "E2", "email": "ann.other@example.com", "first_name": "Ann", "last_name": "Other"}
    assert api.post("/api/v1/employees/", colleague, format="json").status_code == 201
    make_subscription(
        tenant.organisation.id, "http://127.0.0.1:9/hook", events=("employee.created", "points_request.credited")
    )
    make_channel(tenant.organisation.id, webhook_url="https://93.184.215.14/services/T0/B0/x")
    make_programme(tenant, "P1", budget=100_000)
    credit = {
        "request_id": "R1",
        "employee_id": "E9",
        "programme": "P1",
        "points": 800,
        "reason": f"Thanks {FIRST} for the launch",
        "metadata": {"nominated_by": "E2", "note": f"{LAST} led it", "contact": EMAIL},
    }
    assert api.post("/api/v1/points/requests/", credit, format="json").status_code == 201
    praise = {"request_id": "R2", "employee_id": "E2", "programme": "P1", "points": 50}
    praise["reason"] = f"Helped {FIRST} {LAST} ship; Ann's own reward"
    assert api.post("/api/v1/points/requests/", praise, format="json").status_code == 201
    catalogue = make_catalogue(tenant)
    order(tenant, order_id="O1", employee_id="E9", product=catalogue.generated, denomination=10)
    event = {
        "event_id": "ev-1",
        "type": "kudos.given",
        "employee_id": "E9",
        "occurred_at": "2026-12-01T10:00:00Z",
        "data": {"comment": f"{FIRST} {LAST} was great", "from": "Ann Other"},
    }
    assert api.post("/api/v1/events/", event, format="json").status_code == 201
    staff = User.objects.create_superuser("ops", "ops@plum.test", "pw")
    employee = Employee.objects.get(organisation=tenant.organisation, employee_id="E9")
    LogEntry.objects.log_actions(staff.pk, [employee], CHANGE, change_message="[]")
    relay.outbox_relay()
    return tenant


def test_the_export_holds_everything_about_the_person_with_codes_masked(history, api):
    answer = api.get("/api/v1/employees/E9/export/")
    assert answer.status_code == 200, answer.content
    document = answer.json()
    assert list(document) == [
        "employee", "wallet", "ledger_lines", "points_requests", "vouchers", "events", "rewards", "notifications",
        "exported_at",
    ]  # fmt: skip
    assert document["employee"] == api.get("/api/v1/employees/E9/").json()
    assert document["wallet"] == api.get("/api/v1/wallets/E9/").json()
    assert [line["points"] for line in document["ledger_lines"]] == [800, -120]
    assert [r["request_id"] for r in document["points_requests"]] == ["R1"]
    assert document["points_requests"][0]["reason"] == f"Thanks {FIRST} for the launch"
    [voucher] = document["vouchers"]
    assert voucher["code"] == masked(Voucher.objects.get(pk=voucher["id"]).code_last4)
    assert [e["event_id"] for e in document["events"]] == ["ev-1"]
    assert document["rewards"] == []
    assert [n["event_type"] for n in document["notifications"]] == ["points_request.credited"]


def test_erasure_leaves_the_person_nowhere_and_keeps_the_books(history, api):
    before = {n: where_found(n) for n in NEEDLES}
    assert all(before.values()), before  # the history really stored the person in many places
    wallet_before = api.get("/api/v1/wallets/E9/").json()
    colleague_reason = PointsRequest.objects.get(request_id="R2").reason

    answer = api.post("/api/v1/employees/E9/erase/")

    assert answer.status_code == 200, answer.content
    erased = answer.json()
    assert (erased["status"], erased["first_name"], erased["last_name"]) == ("inactive", "erased", "erased")
    assert re.fullmatch(r"erased-[0-9a-f]{16}@erased\.invalid", erased["email"])
    assert (erased["slack_user_id"], erased["teams_user_id"]) == ("", "")
    assert {n: where_found(n) for n in NEEDLES} == {n: [] for n in NEEDLES}
    # Amounts and ids stay: the wallet, its lines and the ledger still balance.
    assert api.get("/api/v1/wallets/E9/").json() == wallet_before
    assert balance(history, "E9") == 680
    assert LedgerEntry.objects.filter(account__employee__employee_id="E9").count() == 2
    # The colleague keeps her own words, only the person's name went.
    assert colleague_reason == f"Helped {FIRST} {LAST} ship; Ann's own reward"
    assert PointsRequest.objects.get(request_id="R2").reason == "Helped erased ship; Ann's own reward"
    assert Employee.objects.get(employee_id="E2").first_name == "Ann"


def test_a_second_erasure_changes_nothing(history, api):
    first = api.post("/api/v1/employees/E9/erase/").json()
    again = api.post("/api/v1/employees/E9/erase/")
    assert again.status_code == 200
    assert again.json() == first


def test_an_erased_employee_is_never_written_again(history, api):
    api.post("/api/v1/employees/E9/erase/")
    erased = api.get("/api/v1/employees/E9/").json()

    update = api.patch("/api/v1/employees/E9/", {"first_name": FIRST}, format="json")
    assert_problem(update, 422, "employee_erased")
    sync = api.post("/api/v1/employees/sync/", {"mode": "upsert", "employees": [PERSON]}, format="json")
    assert sync.status_code == 200
    assert sync.json()["errors"] == [
        {"index": 0, "employee_id": "E9", "field": "employee_id", "code": "employee_erased",
         "message": "This employee was erased."}
    ]  # fmt: skip
    assert api.get("/api/v1/employees/E9/").json() == erased
    assert where_found(EMAIL) == []


def test_erasure_needs_its_own_scope_and_stays_in_its_organisation(history, make_tenant, other_tenant):
    reader = make_tenant(scopes=["employees:read", "employees:write"])
    assert reader.api().post("/api/v1/employees/E9/erase/").status_code in (403, 404)
    stranger = other_tenant.api()
    assert_problem(stranger.post("/api/v1/employees/E9/erase/"), 404, "employee_not_found")
    assert_problem(stranger.get("/api/v1/employees/E9/export/"), 404, "employee_not_found")
    assert Employee.objects.get(organisation=history.organisation, employee_id="E9").first_name == FIRST


def test_every_table_with_text_is_walked_or_declared():
    walked, unscoped = tables_to_walk()
    assert unscoped == []
    assert {"points.PointsRequest", "core.OutboxEvent", "api.IdempotencyRecord"} <= {m._meta.label for m, _ in walked}


def test_the_admin_history_of_the_person_loses_their_name(history, api):
    api.post("/api/v1/employees/E9/erase/")
    employee = Employee.objects.get(employee_id="E9")
    [entry] = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Employee), object_id=str(employee.pk)
    )
    assert entry.object_repr == "erased"


def test_a_colleague_sharing_the_email_keeps_it(history, api):
    """Emails are not unique: erasing one person never rewrites another employee's own row."""
    assert api.patch("/api/v1/employees/E2/", {"email": EMAIL}, format="json").status_code == 200
    assert api.post("/api/v1/employees/E9/erase/").status_code == 200
    colleague = api.get("/api/v1/employees/E2/").json()
    assert (colleague["email"], colleague["first_name"]) == (EMAIL, "Ann")
