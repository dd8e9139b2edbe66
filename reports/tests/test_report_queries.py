"""The reports answer in a constant number of queries whatever the number of rows: the same count for one
business unit as for twelve, on GraphQL and on the CSV."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from points.tests.factories import make_programme, seed_employees, submit
from tests.conftest import graphql

pytestmark = pytest.mark.django_db
POINTS = "{ pointsSummary(groupBy: [BUSINESS_UNIT, MONTH]) { businessUnit month awarded recipients } }"
VOUCHERS = "{ voucherSummary(groupBy: [BUSINESS_UNIT]) { businessUnit issued faceValue } }"
BUDGET = '{ budgetUtilisation(programme: "P1") { remaining months { month remaining } } }'
CSV = ["/api/v1/reports/points.csv?group_by=business_unit,month", "/api/v1/reports/budget.csv?programme=P1"]


def world(tenant, units: int) -> None:
    make_programme(tenant, "P1", budget=10_000)
    for n in range(units):
        seed_employees(tenant, f"E{n}", business_unit=f"BU{n}")
        submit(tenant, request_id=f"r{n}", employee_id=f"E{n}", points=10 + n)


def counted(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        answer = call()
    return len(queries), answer


def read_all(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode().splitlines()


@pytest.mark.parametrize("document, field", [(POINTS, "pointsSummary"), (VOUCHERS, "voucherSummary"), (BUDGET, "")])
def test_graphql_reports_count_no_more_queries_for_more_rows(make_tenant, document, field):
    small, large = make_tenant("small"), make_tenant("large")
    world(small, 1)
    world(large, 12)

    few, few_answer = counted(lambda: graphql(small.api(), document))
    many, many_answer = counted(lambda: graphql(large.api(), document))

    assert few_answer[0] == many_answer[0] == 200
    assert "errors" not in many_answer[1]
    if field == "pointsSummary":
        assert (len(few_answer[1]["data"][field]), len(many_answer[1]["data"][field])) == (1, 12)
    assert few == many
    assert many <= 12  # authentication, scope, organisation and the report's one statement


@pytest.mark.parametrize("path", CSV)
def test_csv_counts_no_more_queries_for_more_rows(make_tenant, path):
    small, large = make_tenant("small"), make_tenant("large")
    world(small, 1)
    world(large, 12)

    few, few_lines = counted(lambda: read_all(small.api(), path))
    many, many_lines = counted(lambda: read_all(large.api(), path))

    if "points" in path:
        assert (len(few_lines), len(many_lines)) == (2, 13)
    assert few == many
    assert many <= 12
