"""The same for the API's own machinery: the token endpoint, Idempotency-Key answers, GraphQL documents
and variables nested past Python's recursion limit, null time filters."""

import pytest

from plum.api.models import IdempotencyRecord
from tests.conftest import graphql, token_request
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("basic", [True, False])
def test_a_client_id_with_nul_is_an_unknown_client(tenant, basic):
    response = token_request("\x00", tenant.client_secret, basic=basic)
    assert (response.status_code, response.json()["code"]) == (401, "invalid_client")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/programmes/", '{"code": "P", "name": "P", "\\ud800": 1}', "\ud800"),
        ("/api/v1/employees/", '{"employee_id": "E9", "\\u0000": "x"}', "\x00"),
    ],
)
def test_an_error_echoing_unstorable_text_is_answered_and_not_kept_for_its_key(tenant, path, body, field):
    api = tenant.api()
    for _ in range(2):  # the retry runs again instead of finding the key stuck in progress
        response = api.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
        assert response.status_code == 400
        assert (field, "unknown_field") in [(e["field"], e["code"]) for e in response.json()["errors"]]
        assert "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.count() == 0


def test_a_body_nested_past_the_recursion_limit_with_an_idempotency_key(tenant):
    body = {"request_id": "R1", "employee_id": "E1", "points": 1, "programme": "P", "metadata": nested(900)}
    response = tenant.api().post("/api/v1/points/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert_problem(response, 400, "malformed_request")
    assert IdempotencyRecord.objects.count() == 0


def test_graphql_documents_and_inputs_nested_past_the_recursion_limit(tenant):
    api = tenant.api()
    document = "{ employee(employeeId: " + "[" * 3000 + "]" * 3000 + ") { employeeId } }"
    status, body = graphql(api, document)
    assert (status, [e["extensions"]["code"] for e in body["errors"]]) == (400, ["bad_request"])

    create = "mutation($input: PointsRequestCreateInput!) { pointsRequestCreate(input: $input) { errors { code } } }"
    data = {"requestId": "R1", "employeeId": "E1", "points": 1, "programme": "P", "metadata": nested(900)}
    status, body = graphql(api, create, {"input": data})
    assert status in (200, 400)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["bad_request"]


@pytest.mark.parametrize(
    "query",
    [
        "{ employees(updatedSince: null) { totalCount } }",
        "{ pointsRequests(createdSince: null) { totalCount } }",
    ],
)
def test_graphql_time_filters_given_as_null_filter_nothing(tenant, query):
    status, body = graphql(tenant.api(), query)
    assert status == 200 and "errors" not in body, body
    assert next(iter(body["data"].values()))["totalCount"] == 0
