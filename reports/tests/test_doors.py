"""The CSV and GraphQL doors: same numbers as the selectors, strict parameters, scopes, tenancy; and the
reconciliation catching a tampered rollup."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from plum.core.scopes import Scope
from reports import services
from reports.commands import ReportFilter
from reports.models import ReconciliationIssue
from reports.selectors import budget_utilisation, points_summary, voucher_summary
from reports.selectors.points import points_summary_query
from reports.tests.history import build_history

BASE = "/api/v1/reports/"


@pytest.fixture
def alpha(make_tenant):
    return build_history(make_tenant("alpha"), zone="Europe/Paris", near_midnight=False)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_points_csv_has_the_asked_columns_and_the_selector_numbers(alpha):
    rows = read_csv(alpha.tenant.api().get(f"{BASE}points.csv?group_by=month,business_unit&programme=P1"))
    expected = points_summary(
        organisation_id=alpha.tenant.organisation.id,
        group_by=["business_unit", "month"],
        filters=ReportFilter(programme="P1"),
    )
    assert rows[0] == ["month", "business_unit", "awarded", "reversed", "redeemed", "expired", "recipients"]
    assert rows[1:] == [[r["month"], r["business_unit"], *(str(r[m]) for m in rows[0][2:])] for r in expected]


def test_vouchers_and_budget_csv(alpha):
    api = alpha.tenant.api()
    rows = read_csv(api.get(f"{BASE}vouchers.csv?group_by=status"))
    assert rows[0] == ["status", "currency", "issued", "redeemed", "expired", "cancelled", "face_value", "points"]
    summary = voucher_summary(organisation_id=alpha.tenant.organisation.id, group_by=["status"], filters=ReportFilter())
    assert rows[1:] == [[r["status"], r["currency"], *(str(r[m]) for m in rows[0][2:])] for r in summary]
    assert {r["status"]: r["issued"] for r in summary} == {"cancelled": 1, "issued": 3}
    budget = read_csv(api.get(f"{BASE}budget.csv?programme=P1"))
    report = budget_utilisation(organisation_id=alpha.tenant.organisation.id, programme_code="P1")
    assert budget[0] == ["month", "funded", "awarded", "reversed", "remaining"]
    assert budget[1:] == [[m["month"], *(str(m[k]) for k in budget[0][1:])] for m in report["months"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("points.csv?group_by=month,colour", "group_by"),
        ("points.csv?groupby=month", "groupby"),
        ("points.csv?from=2025-02-30", "from"),
        ("points.csv?country=france", "country"),
        ("vouchers.csv?group_by=programme", "group_by"),
        ("budget.csv", "programme"),
    ],
)
def test_bad_parameters_are_400_naming_them(alpha, query, field):
    before = ReconciliationIssue.objects.count()
    response = alpha.tenant.api().get(BASE + query)
    assert response.status_code == 400, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert ReconciliationIssue.objects.count() == before


def test_scope_and_tenancy(alpha, make_tenant):
    other = make_tenant("gamma")
    assert other.api().get(f"{BASE}budget.csv?programme=P1").status_code == 404
    rows = read_csv(other.api().get(f"{BASE}points.csv?group_by=programme"))
    assert rows == [["programme", "awarded", "reversed", "redeemed", "expired", "recipients"]]


def test_graphql_reports_and_missing_scope(alpha, make_tenant):
    query = """{ pointsSummary(groupBy: [PROGRAMME], filter: {programme: "P2"}) { programme awarded recipients }
                 voucherSummary(groupBy: [CURRENCY]) { currency issued faceValue }
                 budgetUtilisation(programme: "P1") { remaining months { month remaining } } }"""
    body = alpha.tenant.api().post("/graphql/", {"query": query}, format="json").json()
    assert "errors" not in body, body
    expected = points_summary(
        organisation_id=alpha.tenant.organisation.id, group_by=["programme"], filters=ReportFilter(programme="P2")
    )
    assert body["data"]["pointsSummary"] == [
        {"programme": r["programme"], "awarded": r["awarded"], "recipients": r["recipients"]} for r in expected
    ]
    assert body["data"]["voucherSummary"] == [{"currency": "GBP", "issued": 4, "faceValue": "50.00"}]
    no_reports = make_tenant("delta", scopes=[Scope.POINTS_READ])
    denied = no_reports.api().post("/graphql/", {"query": "{ pointsSummary { awarded } }"}, format="json").json()
    assert denied["data"] == {"pointsSummary": None}
    assert denied["errors"][0]["extensions"]["code"] == "insufficient_scope"
    assert no_reports.api().get(f"{BASE}points.csv").status_code == 403


def test_reconciliation_reports_a_tampered_rollup_loudly(alpha, caplog):
    services.points_deltas_fold()
    assert services.reports_reconcile() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_pointsdaily SET awarded = awarded + 1 WHERE id = (SELECT min(id) FROM reports_pointsdaily"
            " WHERE awarded > 0)"
        )
    issues = services.reports_reconcile()
    assert [issue.area for issue in issues] == [ReconciliationIssue.Area.ROLLUP]
    assert ReconciliationIssue.objects.filter(area="rollup").count() == 1
    assert "Reports differ from the ledger" in caplog.text
    with pytest.raises(CommandError):
        call_command("plum_reports_reconcile")


def test_reconciliation_reports_a_tampered_recipient_count(alpha):
    services.points_deltas_fold()
    assert services.reports_reconcile() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_recipientcount SET recipients = recipients + 1 WHERE id = (SELECT min(id)"
            " FROM reports_recipientcount WHERE by_unit) RETURNING recipients"
        )
        (tampered,) = cursor.fetchone()
    issues = services.reports_reconcile()
    assert [(issue.area, issue.expected, issue.found) for issue in issues] == [
        (ReconciliationIssue.Area.RECIPIENT_COUNTS, str(tampered - 1), str(tampered))
    ]


def test_time_zone_change_rebuilds_the_days(alpha):
    from users.commands import OrganisationUpdate
    from users.services import organisation_update

    org = alpha.tenant.organisation
    before = points_summary(organisation_id=org.id, group_by=[], filters=ReportFilter())
    organisation_update(
        organisation=org, command=OrganisationUpdate(name=org.name, is_active=True, time_zone="Pacific/Kiritimati")
    )
    assert points_summary(organisation_id=org.id, group_by=[], filters=ReportFilter()) == before
    assert services.reports_reconcile() == []


def test_graphql_without_recipients_skips_their_count_and_keeps_every_other_measure(alpha, monkeypatch):
    asked = []
    real = points_summary_query

    def spy(*args, **kwargs):
        asked.append(kwargs.get("with_recipients", True))
        return real(*args, **kwargs)

    monkeypatch.setattr("reports.selectors.points.points_summary_query", spy)
    fields = "businessUnit month awarded redeemed expired reversed"
    query = "{ pointsSummary(groupBy: [BUSINESS_UNIT, MONTH]) { %s } }"
    api = alpha.tenant.api()
    lean = api.post("/graphql/", {"query": query % fields}, format="json").json()["data"]["pointsSummary"]
    full = api.post("/graphql/", {"query": query % (fields + " recipients")}, format="json").json()
    assert asked == [False, True]
    assert lean == [{k: v for k, v in row.items() if k != "recipients"} for row in full["data"]["pointsSummary"]]
    assert lean and all(row["awarded"] or row["redeemed"] or row["expired"] for row in lean)
