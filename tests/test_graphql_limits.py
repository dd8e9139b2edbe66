"""Limits of /graphql/: introspection, suggestions, depth, aliases, cost, batches, page sizes, auth, GraphiQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import GraphQLError
from rest_framework.test import APIClient

from plum.api.graphql.view import PlumGraphQLView
from plum.core.scopes import Scope
from tests.conftest import employee_payload, graphql
from tests.support import nothing_changes, seed
from users.errors import EmployeeNotFound
from users.tests.test_graphql_employees import new_employee

READ = [Scope.EMPLOYEES_READ]
CREATE = "mutation($input: EmployeeCreateInput!) { employeeCreate(input: $input) { errors { code } } }"
PAGE = "{ employees%s { totalCount pageInfo { hasNextPage } edges { node { employeeId } } } }"


# The defaults of settings.py; every test starts from them, whatever the environment says.
DOCUMENTED_LIMITS = {
    "INTROSPECTION": True,
    "GRAPHIQL": False,
    "MAX_DEPTH": 10,
    "MAX_ALIASES": 30,
    "MAX_COST": 50_000,
    "MAX_BATCH": 10,
}


@pytest.fixture(autouse=True)
def graphql_settings(settings):
    """Changes PLUM_GRAPHQL entries for one test: `graphql_settings(INTROSPECTION=False)`."""

    def change(**values):
        settings.PLUM_GRAPHQL = {**settings.PLUM_GRAPHQL, **values}

    change(**DOCUMENTED_LIMITS)
    return change


def post(api, body):
    """POST any JSON body; answers (status, parsed body)."""
    response = api.post("/graphql/", body, format="json")
    return response.status_code, response.json()


def validation_errors(*messages: str) -> dict:
    return {"errors": [{"message": m, "extensions": {"code": "graphql_validation_failed"}} for m in messages]}


def without_locations(body: dict) -> dict:
    return {**body, "errors": [{k: v for k, v in e.items() if k != "locations"} for e in body["errors"]]}


# --- Introspection and suggestions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["{ __schema { types { name } } }", '{ __type(name: "Employee") { name } }'], ids=["schema", "type"]
)
def test_introspection_switched_off_is_refused(tenant, graphql_settings, query):
    api = tenant.api(READ)
    status, body = graphql(api, query)
    assert status == 200
    assert "errors" not in body

    graphql_settings(INTROSPECTION=False)  # takes effect on the next request
    with nothing_changes():
        status, body = graphql(api, query)
    assert (status, without_locations(body)) == (400, validation_errors("Introspection is disabled."))
    assert graphql(api, "{ __typename }") == (200, {"data": {"__typename": "Query"}})


SUGGESTIONS = [
    (
        "{ employes { totalCount } }",
        None,
        "Cannot query field 'employes' on type 'Query'.",
        "'employee' or 'employees'",
    ),
    (
        "{ employees(frist: 1) { totalCount } }",
        None,
        "Unknown argument 'frist' on field 'Query.employees'.",
        "'first' or 'last'",
    ),
    (
        "{ employees(status: activ) { totalCount } }",
        None,
        "Value 'activ' does not exist in 'EmployeeStatus' enum.",
        "the enum value 'active' or 'inactive'",
    ),
    (
        CREATE,
        {"input": {**new_employee(), "emial": "e9@example.com"}},
        "Variable '$input' got invalid value {'employeeId': 'E9', 'email': 'e9@example.com', 'firstName': 'Grace',"
        " 'lastName': 'Hopper', 'emial': 'e9@example.com'}; Field 'emial' is not defined by type"
        " 'EmployeeCreateInput'.",
        "'email'",
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "message", "suggestion"), SUGGESTIONS, ids=["field", "argument", "enum", "input-field"]
)
def test_no_suggestions_when_introspection_is_off(tenant, graphql_settings, query, variables, message, suggestion):
    api = tenant.api()
    with nothing_changes():
        status, body = graphql(api, query, variables)
        assert (status, [e["message"] for e in body["errors"]]) == (400, [f"{message} Did you mean {suggestion}?"])

        graphql_settings(INTROSPECTION=False)
        status, body = graphql(api, query, variables)
        assert (status, [e["message"] for e in body["errors"]]) == (400, [message])


# --- Depth, aliases and cost ---------------------------------------------------------------------

DEPTH_3 = {
    "inline": "{ employees { edges { node { employeeId } } } }",
    "fragments": """{ ...Root } fragment Root on Query { employees { ...Edges } }
        fragment Edges on EmployeeConnection { edges { node { employeeId } } }""",
}


@pytest.mark.parametrize("query", DEPTH_3.values(), ids=DEPTH_3.keys())
def test_query_past_the_depth_limit_is_refused(tenant, graphql_settings, query):
    api = tenant.api(READ)
    graphql_settings(MAX_DEPTH=3)
    assert graphql(api, query) == (200, {"data": {"employees": {"edges": []}}})

    graphql_settings(MAX_DEPTH=2)
    with nothing_changes():
        status, body = graphql(api, query)
    assert (status, without_locations(body)) == (
        400,
        validation_errors("The query is 3 levels deep, more than the limit of 2."),
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ ...Missing }", "Unknown fragment 'Missing'."),
        (
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            "Cannot spread fragment 'A' within itself via 'B'.",
        ),
    ],
    ids=["unknown-fragment", "fragment-cycle"],
)
def test_broken_fragments_are_a_400_not_a_crash(tenant, query, message):
    with nothing_changes():
        status, body = graphql(tenant.api(READ), query)
    assert (status, without_locations(body)) == (400, validation_errors(message))


def test_exponential_fragment_spreads_are_measured_not_expanded(tenant):
    """F0 spreads F1 twice, F1 spreads F2 twice, …: 2**40 copies of one connection, in a 2 kB document."""
    levels = 40
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    query = f"{{ ...F0 }} {fragments} fragment F{levels} on Query {{ employees(first: 10) {{ totalCount }} }}"
    cost = 2**levels * (1 + 10 * 1)
    with nothing_changes():
        status, body = graphql(tenant.api(READ), query)
    assert (status, without_locations(body)) == (
        400,
        validation_errors(f"The query costs {cost}, more than the limit of 50000."),
    )


def aliased(count: int, field: str) -> str:
    return "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"


def test_thirty_aliases_are_allowed(tenant):
    status, body = graphql(tenant.api(READ), aliased(30, "__typename"))
    assert (status, len(body["data"])) == (200, 30)


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("", 'employee(employeeId: "E1") { employeeId }'),
        ("mutation", 'employeeDeactivate(input: {employeeId: "E1"}) { errors { code } }'),
    ],
    ids=["query", "mutation"],
)
def test_a_thousand_aliases_are_refused(tenant, operation, field):
    seed(tenant, [employee_payload("E1")])
    with nothing_changes():
        status, body = graphql(tenant.api(), operation + aliased(1000, field))
    assert (status, without_locations(body)) == (400, validation_errors("The query uses more than 30 aliases."))


NODE_COST = "{ employees(first: %s) { edges { node { employeeId email } } } }"  # 1 + first * (1 + 1 + 2)


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        (NODE_COST % 40, None, 161),
        ("query($n: Int) " + NODE_COST % "$n", {"n": 40}, 161),
        (NODE_COST % 100_000, None, 2001),  # capped at 500, as the page is
        ("{ employees { edges { node { employeeId email } } } }", None, 2001),  # no `first`: a full page of 500
    ],
    ids=["literal", "variable", "capped", "default-page"],
)
def test_query_above_the_cost_limit_is_refused(tenant, graphql_settings, query, variables, cost):
    api = tenant.api(READ)
    graphql_settings(MAX_COST=cost)
    assert graphql(api, query, variables) == (200, {"data": {"employees": {"edges": []}}})

    graphql_settings(MAX_COST=cost - 1)
    with nothing_changes():
        status, body = graphql(api, query, variables)
    assert (status, without_locations(body)) == (
        400,
        validation_errors(f"The query costs {cost}, more than the limit of {cost - 1}."),
    )


def test_cost_limit_refuses_five_full_pages(tenant):
    fields = (
        "id employeeId email firstName lastName status role department businessUnit costCentre country"
        " managerEmployeeId hireDate exitDate slackUserId teamsUserId createdAt updatedAt"
    )
    page = f"employees(first: 500) {{ edges {{ node {{ {fields} }} }} }}"  # 1 + 500 * (1 + 1 + 18)
    assert graphql(tenant.api(READ), aliased(4, page))[0] == 200
    with nothing_changes():
        status, body = graphql(tenant.api(READ), aliased(5, page))
    assert (status, without_locations(body)) == (
        400,
        validation_errors("The query costs 50005, more than the limit of 50000."),
    )


# --- Batches -------------------------------------------------------------------------------------


def create_entry(employee_id: str) -> dict:
    return {"query": CREATE, "variables": {"input": new_employee(employee_id)}}


@pytest.mark.parametrize(
    ("body", "max_batch", "message"),
    [
        ([create_entry(f"E{i}") for i in range(11)], 10, "A batch holds 1 to 10 operations."),
        ([create_entry(f"E{i}") for i in range(3)], 2, "A batch holds 1 to 2 operations."),
        ([], 10, "A batch holds 1 to 10 operations."),
        ([create_entry("E1"), "{ __typename }"], 10, "A batch holds 1 to 10 operations."),
        ("{ __typename }", 10, "The body must be a JSON object or a list of them."),
    ],
    ids=["past-default-cap", "past-configured-cap", "empty", "not-objects", "not-a-list"],
)
def test_batch_past_the_cap_is_refused_whole(tenant, graphql_settings, body, max_batch, message):
    graphql_settings(MAX_BATCH=max_batch)
    with nothing_changes():
        assert post(tenant.api(), body) == (
            400,
            {"errors": [{"message": message, "extensions": {"code": "bad_request"}}]},
        )


def test_batch_within_the_cap_answers_a_list(tenant):
    body = [create_entry("E1"), {"query": '{ employee(employeeId: "E1") { employeeId } }'}]
    assert post(tenant.api(), body) == (
        200,
        [{"data": {"employeeCreate": {"errors": []}}}, {"data": {"employee": {"employeeId": "E1"}}}],
    )


def test_one_bad_entry_answers_its_own_error(tenant):
    body = [create_entry("E1"), {"variables": {}}, {"query": "{ nope }"}]
    status, answers = post(tenant.api(), body)
    assert status == 400
    assert answers[:2] == [
        {"data": {"employeeCreate": {"errors": []}}},
        {"errors": [{"message": "Must provide query string.", "extensions": {"code": "bad_request"}}]},
    ]
    assert without_locations(answers[2]) == validation_errors("Cannot query field 'nope' on type 'Query'.")


# --- Malformed requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"query": ', "The body is not valid JSON."),
        ('{"query": 5}', "`query` must be a string."),
        ('{"query": "{ __typename }", "variables": [1]}', "`variables` must be a JSON object."),
        ('{"query": "{ __typename }", "operationName": 7}', "`operationName` must be a string."),
        ("{}", "Must provide query string."),
    ],
    ids=["bad-json", "query-not-string", "variables-not-object", "operation-not-string", "no-query"],
)
def test_malformed_requests_answer_400(tenant, body, message):
    with nothing_changes():
        response = tenant.api().post("/graphql/", body, content_type="application/json")
    expected = {"errors": [{"message": message, "extensions": {"code": "bad_request"}}]}
    assert (response.status_code, response.json()) == (400, expected)


def test_a_query_body_that_is_not_utf8_answers_400(tenant):
    with nothing_changes():
        response = tenant.api().post("/graphql/", b"\xff{ __typename }", content_type="application/graphql")
    expected = {"errors": [{"message": "The query is not UTF-8 text.", "extensions": {"code": "bad_request"}}]}
    assert (response.status_code, response.json()) == (400, expected)
    plain = tenant.api().post("/graphql/", b"{ __typename }", content_type="application/graphql")
    assert (plain.status_code, plain.json()) == (200, {"data": {"__typename": "Query"}})


def test_a_long_chain_of_fragment_spreads_answers_400(tenant):
    chain = " ".join(f"fragment F{n} on Query {{ ...F{n + 1} }}" for n in range(2000))
    document = "{ ...F0 } " + chain + " fragment F2000 on Query { __typename }"
    with nothing_changes():
        status, body = post(tenant.api(), {"query": document})
    assert (status, body["errors"][0]["extensions"]) == (400, {"code": "bad_request"})
    assert body["errors"][0]["message"] == "The document or its input is nested too deeply."


def test_bodies_and_documents_past_their_sizes_answer_413(tenant):
    document = "{ __typename " + " " * (1024 * 1024) + "}"  # a document of just over 1 MiB
    with nothing_changes():
        response = tenant.api().post("/graphql/", {"query": document}, format="json")
        huge = tenant.api().generic(
            "POST", "/graphql/", b"{}", content_type="application/json", CONTENT_LENGTH=str(48 * 1024 * 1024 + 1)
        )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "payload_too_large"}
    assert response.json()["errors"][0]["message"].endswith("at most 1048576: send bulk data as variables.")
    assert (huge.status_code, huge.json()["code"]) == (413, "payload_too_large")


def test_unknown_field_is_a_400_with_errors_and_no_data(tenant):
    with nothing_changes():
        status, body = graphql(tenant.api(READ), "{ employees { totalCount salary } }")
    assert (status, body) == (
        400,
        {
            "errors": [
                {
                    "message": "Cannot query field 'salary' on type 'EmployeeConnection'.",
                    "locations": [{"line": 1, "column": 26}],
                    "extensions": {"code": "graphql_validation_failed"},
                }
            ]
        },
    )


def test_mutation_over_get_is_refused(tenant):
    seed(tenant, [employee_payload("E1")])
    query = 'mutation { employeeDeactivate(input: {employeeId: "E1"}) { errors { code } } }'
    with nothing_changes():
        response = tenant.api().get("/graphql/", {"query": query})
    message = "Can only perform a mutation operation from a POST request."
    assert (response.status_code, response.json()) == (
        405,
        {"errors": [{"message": message, "extensions": {"code": "method_not_allowed"}}]},
    )


def test_domain_error_raised_by_a_query_keeps_its_code():
    error = GraphQLError("No employee", path=["employee"], original_error=EmployeeNotFound("E1"))
    assert PlumGraphQLView.format_error(error) == {
        "message": "No employee",
        "path": ["employee"],
        "extensions": {"code": "employee_not_found"},
    }


# --- Authentication and GraphiQL -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "code", "detail"),
    [
        (None, "not_authenticated", "Authentication credentials were not provided."),
        ("Bearer not-a-token", "invalid_token", "The access token is invalid or expired."),
        ("expired", "invalid_token", "The access token is invalid or expired."),
    ],
    ids=["no-token", "unknown-token", "expired-token"],
)
def test_calls_without_a_valid_token_answer_401(tenant, authorization, code, detail):
    if authorization == "expired":
        authorization = f"Bearer {tenant.token(expired=True)}"
    api = APIClient()
    if authorization:
        api.credentials(HTTP_AUTHORIZATION=authorization)
    with nothing_changes():
        response = api.post("/graphql/", create_entry("E1"), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="plum"'
    assert (response.json()["code"], response.json()["detail"]) == (code, detail)


def browser_get(client, **headers):
    return client.get("/graphql/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8", **headers)


@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml,*/*;q=0.8", "text/html"])
def test_graphiql_page_is_served_to_a_browser_when_enabled(client, graphql_settings, accept):
    graphql_settings(GRAPHIQL=True)
    response = client.get("/graphql/", HTTP_ACCEPT=accept)
    assert (response.status_code, response["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b"graphiql" in response.content.lower()
    # a program asking for JSON still needs a token
    assert client.get("/graphql/", HTTP_ACCEPT="application/json").status_code == 401


def test_graphiql_page_is_not_served_when_disabled(client, tenant, graphql_settings):
    graphql_settings(GRAPHIQL=False)
    with nothing_changes():
        response = browser_get(client)
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")

    response = browser_get(client, HTTP_AUTHORIZATION=f"Bearer {tenant.token(READ)}")
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json() == {
        "errors": [{"message": "Must provide query string.", "extensions": {"code": "bad_request"}}]
    }


# --- Lists: query counts and page sizes ----------------------------------------------------------


def staff_records(count: int) -> list[dict]:
    """`count` employees, each with a manager, a business unit and a cost centre."""
    boss = employee_payload("B000", business_unit="BU0", cost_centre="CC0")
    return [boss] + [
        employee_payload(f"E{i:03}", manager_employee_id="B000", business_unit=f"BU{i % 3}", cost_centre=f"CC{i % 4}")
        for i in range(1, count)
    ]


def count_queries(api) -> tuple[int, dict]:
    query = "{ employees { totalCount edges { node { employeeId managerEmployeeId businessUnit costCentre } } } }"
    with CaptureQueriesContext(connection) as queries:
        status, body = graphql(api, query)
    assert status == 200
    return len(queries), body


def test_list_query_count_does_not_grow_with_the_list(make_tenant):
    small, large = make_tenant(), make_tenant()
    seed(small, staff_records(5))
    seed(large, staff_records(60))
    small_count, small_body = count_queries(small.api(READ))
    large_count, large_body = count_queries(large.api(READ))
    assert small_body["data"]["employees"]["totalCount"] == 5
    assert large_body["data"]["employees"]["totalCount"] == 60
    assert large_body["data"]["employees"]["edges"][59]["node"] == {
        "employeeId": "E059",
        "managerEmployeeId": "B000",
        "businessUnit": "BU2",
        "costCentre": "CC3",
    }
    assert small_count == large_count


@pytest.fixture
def crowd(tenant):
    seed(tenant, [employee_payload(f"E{i:04}") for i in range(501)])
    return tenant


@pytest.mark.parametrize(
    ("arguments", "first_id", "last_id", "has_next"),
    [
        ("(first: 501)", "E0000", "E0499", True),
        ("(first: 100000)", "E0000", "E0499", True),
        ("(last: 600)", "E0001", "E0500", False),
        ("", "E0000", "E0499", True),
    ],
    ids=["first-501", "first-100000", "last-600", "no-first"],
)
def test_page_size_above_500_is_capped(crowd, arguments, first_id, last_id, has_next):
    status, body = graphql(crowd.api(READ), PAGE % arguments)
    employees = body["data"]["employees"]
    ids = [e["node"]["employeeId"] for e in employees["edges"]]
    assert (status, len(ids), ids[0], ids[-1]) == (200, 500, first_id, last_id)
    assert (employees["totalCount"], employees["pageInfo"]["hasNextPage"]) == (501, has_next)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("(first: -1)", "`first` must be 0 or more."),
        ("(last: -1)", "`last` must be 0 or more."),
        ("(offset: -3)", "`offset` must be 0 or more."),
        ('(offset: 1, before: "YXJyYXljb25uZWN0aW9uOjE=")', "`offset` and `before` cannot be used together."),
        ('(offset: 1, after: "garbage")', "`after` is not a cursor this list gave."),
        ('(after: "garbage")', "`after` is not a cursor this list gave."),
        ('(before: "YXJyYXljb25uZWN0aW9uOi01")', "`before` is not a cursor this list gave."),  # offset -5
        ('(after: "YXJyYXljb25uZWN0aW9uOiAx")', "`after` is not a cursor this list gave."),  # " 1"
        ('(after: "YXJyYXljb25uZWN0aW9uOisx")', "`after` is not a cursor this list gave."),  # "+1"
    ],
)
def test_bad_page_arguments_are_a_client_error(tenant, arguments, message):
    with nothing_changes():
        status, body = graphql(tenant.api(READ), PAGE % arguments)
    assert (status, body["data"]) == (200, {"employees": None})
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [(message, {"code": "bad_request"})]
