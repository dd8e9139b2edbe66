"""A large budget drawn slowly runs out far in the future: the report answers, never a 500 (regression:
runs_out_on overflowed the calendar)."""

import pytest

from points.tests.factories import make_programme, seed_employees, submit
from tests.conftest import graphql

pytestmark = pytest.mark.django_db


def test_a_budget_that_would_last_beyond_the_calendar_still_answers(tenant):
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=10**9)
    submit(tenant, request_id="r1", employee_id="E1", points=1)

    response = tenant.api().get("/api/v1/reports/budget.csv?programme=P1")
    status, body = graphql(tenant.api(), '{ budgetUtilisation(programme: "P1") { remaining runsOutOn } }')

    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().splitlines()[-1].endswith(",999999999")
    assert (status, body["data"]["budgetUtilisation"]["remaining"]) == (200, 999999999)
