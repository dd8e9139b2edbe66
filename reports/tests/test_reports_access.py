"""The three CSV reports and the three GraphQL report fields refuse: no token, an expired token, a token
without reports:read, and a token of another organisation (which sees only its own, empty, numbers and
none of the victim's programmes); none changes anything. REST and GRAPHQL are there for
tests/test_access_matrix.py's coverage check."""

import pytest

from plum.core.scopes import Scope
from plum.testing.access import CALLERS, caller
from points.models import LedgerEntry
from points.tests.factories import make_programme, seed_employees, submit
from reports import services
from reports.models import PointsDaily, PointsDelta, VoucherFact

READ = Scope.REPORTS_READ
BASE = "/api/v1/reports/"
# name -> (method, path, body, scope, names the victim's object)
REST = {
    "report.points": ("get", f"{BASE}points.csv?group_by=business_unit", None, READ, False),
    "report.vouchers": ("get", f"{BASE}vouchers.csv?group_by=business_unit", None, READ, False),
    "report.budget": ("get", f"{BASE}budget.csv?programme=VICTIM-P", None, READ, True),
}
GRAPHQL = {
    "pointsSummary": ("{ pointsSummary(groupBy: [BUSINESS_UNIT]) { businessUnit awarded } }", READ),
    "voucherSummary": ("{ voucherSummary(groupBy: [BUSINESS_UNIT]) { businessUnit issued } }", READ),
    "budgetUtilisation": ('{ budgetUtilisation(programme: "VICTIM-P") { programme remaining } }', READ),
}
INTRUDER_SEES = {
    "pointsSummary": [],
    "voucherSummary": [],
    "budgetUtilisation": None,
}


def victim_state(organisation_id) -> tuple:
    tables = [
        list(model.objects.filter(organisation_id=organisation_id).order_by("pk").values_list())
        for model in (PointsDaily, PointsDelta, VoucherFact)
    ]
    return (*tables, LedgerEntry.objects.filter(account__organisation_id=organisation_id).count())


@pytest.fixture
def victim(make_tenant):
    tenant = make_tenant("victim")
    seed_employees(tenant, "VICTIM-E", business_unit="VICTIM-BU")
    make_programme(tenant, "VICTIM-P", budget=9_000)
    submit(tenant, request_id="v1", employee_id="VICTIM-E", points=777, programme="VICTIM-P")
    services.points_deltas_fold()
    return tenant


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("call", sorted(REST))
def test_rest_refuses(call, who, victim, make_tenant):
    method, path, body, scope, names_victim = REST[call]
    client, on_victim, elsewhere = caller(who, victim, make_tenant, scope)
    before = victim_state(victim.organisation.pk)
    response = getattr(client, method)(path)
    expected = on_victim if names_victim else elsewhere
    if expected is None:  # another organisation's own report: a header, no rows of the victim's
        assert response.status_code == 200
        content = b"".join(response.streaming_content).decode()
        assert content.splitlines()[1:] == []
        assert "VICTIM" not in content and "777" not in content
    else:
        assert response.status_code == expected, response.content
        assert response["Content-Type"] == "application/problem+json"
        if expected == 404:
            assert response.json()["code"] == "programme_not_found"
    assert victim_state(victim.organisation.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("field", sorted(GRAPHQL))
def test_graphql_refuses(field, who, victim, make_tenant):
    document, scope = GRAPHQL[field]
    client, _, _ = caller(who, victim, make_tenant, scope)
    before = victim_state(victim.organisation.pk)
    response = client.post("/graphql/", {"query": document}, format="json")
    if who in ("anonymous", "expired"):
        assert response.status_code == 401
    elif who == "no_scope":
        body = response.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["insufficient_scope"]
        assert body["data"] == {field: None}
    else:
        assert response.json() == {"data": {field: INTRUDER_SEES[field]}}
    assert victim_state(victim.organisation.pk) == before
