"""GraphQL error codes say where an error arose: a bug in a resolver is `internal_error` (logged, its text
kept private), input the schema refuses while parsing is a client error, business errors stay typed."""

import logging

import pytest

from plum.core.scopes import Scope
from points.tests.factories import make_programme, points_nothing_changes, seed_employees, submit
from tests.conftest import graphql
from tests.support import nothing_changes

SECRET = "row 42 of table plum_secret_internals"
INTERNAL = {"message": "Internal error; it has been logged.", "extensions": {"code": "internal_error"}}
VIEW_LOGGER = "plum.api.graphql.view"


def boom(*args, **kwargs):
    raise ValueError(SECRET)


def logged_failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == VIEW_LOGGER and r.levelno == logging.ERROR]


def without_locations(errors: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "locations"} for e in errors]


@pytest.mark.django_db
def test_a_value_error_in_a_query_resolver_is_an_internal_error_logged_with_its_traceback(tenant, monkeypatch, caplog):
    seed_employees(tenant, "E1")
    monkeypatch.setattr("users.selectors.employee_list", boom)

    status, body = graphql(tenant.api([Scope.EMPLOYEES_READ]), '{ employee(employeeId: "E1") { employeeId } }')

    assert (status, body["data"]) == (200, {"employee": None})
    assert without_locations(body["errors"]) == [{**INTERNAL, "path": ["employee"]}]
    assert SECRET not in str(body)
    [record] = logged_failures(caplog)
    assert record.getMessage() == "GraphQL resolver failed at employee"
    assert record.exc_info[0] is ValueError
    assert SECRET in caplog.text and "Traceback" in caplog.text and "in boom" in caplog.text


@pytest.mark.django_db
def test_a_value_error_in_a_mutation_is_an_internal_error_and_changes_nothing(tenant, monkeypatch, caplog):
    monkeypatch.setattr("users.services.employee_create", boom)
    query = """mutation { employeeCreate(input: {employeeId: "E1", email: "e1@example.com", firstName: "A",
        lastName: "B"}) { employee { employeeId } errors { code } } }"""

    with nothing_changes():
        status, body = graphql(tenant.api([Scope.EMPLOYEES_WRITE]), query)

    assert (status, body["data"]) == (200, {"employeeCreate": None})
    assert without_locations(body["errors"]) == [{**INTERNAL, "path": ["employeeCreate"]}]
    assert SECRET not in str(body)
    [record] = logged_failures(caplog)
    assert record.exc_info[0] is ValueError


@pytest.mark.django_db
def test_a_failure_deep_in_a_list_names_its_path_and_the_rest_of_the_page_still_answers(tenant, monkeypatch, caplog):
    seed_employees(tenant, "E1")
    monkeypatch.setattr("points.selectors.wallet_documents", lambda **kw: {}[SECRET])  # a KeyError
    query = "{ employees { edges { node { employeeId wallet { balance } } } } }"

    status, body = graphql(tenant.api([Scope.EMPLOYEES_READ, Scope.POINTS_READ]), query)

    assert (status, body["data"]) == (200, {"employees": {"edges": [{"node": None}]}})
    assert without_locations(body["errors"]) == [{**INTERNAL, "path": ["employees", "edges", 0, "node", "wallet"]}]
    assert SECRET not in str(body)
    [record] = logged_failures(caplog)
    assert record.exc_info[0] is KeyError


@pytest.mark.django_db
def test_business_errors_keep_their_rest_codes_in_the_payload_and_at_the_top(tenant):
    seed_employees(tenant, "E1")
    api = tenant.api()
    create = """mutation { employeeCreate(input: {employeeId: "E1", email: "x@example.com", firstName: "A",
        lastName: "B"}) { employee { employeeId } errors { field code } } }"""
    with nothing_changes():
        status, body = graphql(api, create)
    assert (status, body) == (
        200,
        {
            "data": {
                "employeeCreate": {"employee": None, "errors": [{"field": "employee_id", "code": "employee_exists"}]}
            }
        },
    )

    # a filter the selector refuses: a DomainError raised by a query keeps its code
    status, body = graphql(api, '{ employees(updatedSince: "0001-01-01T00:00:00+14:00") { totalCount } }')
    assert (status, body["data"]) == (200, {"employees": None})
    assert [(e["path"], e["extensions"]) for e in body["errors"]] == [(["employees"], {"code": "validation_error"})]


UUID_QUERY = "query($id: UUID!) { pointsBatch(id: $id) { batchUuid } }"
DATE_MUTATION = """mutation($input: EmployeeUpdateInput!) { employeeUpdate(input: $input) { errors { code } } }"""
PROGRAMME = """mutation($input: ProgrammeCreateInput!) { programmeCreate(input: $input) { errors { code } } }"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            '{ employees(updatedSince: "next tuesday") { totalCount } }',
            None,
            "DateTime cannot represent value: 'next tuesday'",
        ),
        (
            DATE_MUTATION,
            {"input": {"employeeId": "E1", "hireDate": "2026-02-30"}},
            "Variable '$input' got invalid value '2026-02-30' at 'input.hireDate';"
            " Date cannot represent value: '2026-02-30'",
        ),
        (
            UUID_QUERY,
            {"id": "not-a-uuid"},
            "Variable '$id' got invalid value 'not-a-uuid'; UUID cannot represent value: 'not-a-uuid'",
        ),
        (
            '{ pointsBatch(id: "not-a-uuid") { batchUuid } }',
            None,
            "Expected value of type 'UUID!', found \"not-a-uuid\"; badly formed hexadecimal UUID string",
        ),
        (
            PROGRAMME,
            {"input": {"code": "P", "name": "P", "approvalThreshold": 2**31}},
            "Variable '$input' got invalid value 2147483648 at 'input.approvalThreshold';"
            " Int cannot represent non 32-bit signed integer value: 2147483648",
        ),
        (
            "{ employees(first: 2147483648) { totalCount } }",
            None,
            "Int cannot represent non 32-bit signed integer value: 2147483648",
        ),
    ],
    ids=["datetime-literal", "date-variable", "uuid-variable", "uuid-literal", "int-variable", "int-literal"],
)
def test_malformed_scalars_are_refused_while_parsing_as_a_client_error(tenant, query, variables, message, caplog):
    seed_employees(tenant, "E1")
    with points_nothing_changes():
        status, body = graphql(tenant.api(), query, variables)
    assert status == 400
    assert "data" not in body
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (message, {"code": "graphql_validation_failed"})
    ]
    assert logged_failures(caplog) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "global_id",
    ["garbage", "", "UG9pbnRzUmVxdWVzdDpub3QtYS11dWlk", "\u00e9t\u00e9"],
    ids=["not-base64", "empty", "PointsRequest:not-a-uuid", "not-ascii"],
)
def test_a_global_id_that_names_nothing_is_not_found_in_the_payload(tenant, global_id):
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=100, approval_threshold=10)
    submit(tenant, points=50)  # pending: above the threshold
    approve = "mutation($id: ID!) { pointsRequestApprove(input: {id: $id}) { pointsRequest { id } errors { code } } }"
    with points_nothing_changes():
        status, body = graphql(tenant.api(), approve, {"id": global_id})
    assert (status, body) == (
        200,
        {"data": {"pointsRequestApprove": {"pointsRequest": None, "errors": [{"code": "points_request_not_found"}]}}},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            'query($id: String = "E1") { employee(employeeId: $id) { employeeId } }',
            "employee",
            "Argument 'employeeId' of non-null type 'String!' must not be null.",
        ),
        (
            'mutation($id: String = "E1") { employeeDeactivate(input: {employeeId: $id}) { errors { code } } }',
            "employeeDeactivate",
            "Argument 'input' has invalid value {employeeId: $id}.",
        ),
    ],
    ids=["query", "mutation"],
)
def test_an_explicit_null_only_found_while_coercing_arguments_is_a_bad_request(tenant, query, field, message, caplog):
    """Validation lets a defaulted variable through; graphql-core refuses its null during execution."""
    seed_employees(tenant, "E1")
    with nothing_changes():
        status, body = graphql(tenant.api(), query, {"id": None})
    assert (status, body["data"]) == (200, {field: None})
    assert [(e["message"], e["path"], e["extensions"]) for e in body["errors"]] == [
        (message, [field], {"code": "bad_request"})
    ]
    assert logged_failures(caplog) == []


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


CREATE = """mutation($input: PointsRequestCreateInput!) { pointsRequestCreate(input: $input) {
    pointsRequest { metadata } errors { code } } }"""


def literal(depth: int) -> str:
    """`nested(depth)` written into the document."""
    return "{a: " * (depth - 1) + "{}" + "}" * (depth - 1)


CREATE_LITERAL = """mutation { pointsRequestCreate(input: {requestId: "R1", employeeId: "E1", points: 1,
    programme: "P1", metadata: %s}) { errors { code } } }"""


@pytest.mark.django_db
def test_json_input_is_read_up_to_a_hundred_levels_and_refused_past_them_while_parsing(tenant, caplog):
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=100)
    data = {"requestId": "R1", "employeeId": "E1", "points": 1, "programme": "P1"}

    with points_nothing_changes():
        as_variable = graphql(tenant.api(), CREATE, {"input": {**data, "metadata": nested(101)}})
        as_literal = graphql(tenant.api(), CREATE_LITERAL % literal(101))
    for status, body in (as_variable, as_literal):
        assert status == 400 and "data" not in body
        assert [(e["message"].split("; ")[-1], e["extensions"]) for e in body["errors"]] == [
            ("JSON input is nested more than 100 levels deep.", {"code": "bad_request"})
        ]

    status, body = graphql(tenant.api(), CREATE, {"input": {**data, "metadata": nested(100)}})
    assert (status, body) == (
        200,
        {"data": {"pointsRequestCreate": {"pointsRequest": {"metadata": nested(100)}, "errors": []}}},
    )
    assert logged_failures(caplog) == []


@pytest.mark.django_db
def test_a_recursion_error_in_a_resolver_is_a_bug_not_bad_input(tenant, monkeypatch, caplog):
    def runaway(*args, **kwargs):
        return runaway()

    monkeypatch.setattr("users.selectors.employee_list", runaway)
    status, body = graphql(tenant.api(), '{ employee(employeeId: "E1") { employeeId } }')
    assert (status, body["data"]) == (200, {"employee": None})
    assert without_locations(body["errors"]) == [{**INTERNAL, "path": ["employee"]}]
    [record] = logged_failures(caplog)
    assert record.exc_info[0] is RecursionError
