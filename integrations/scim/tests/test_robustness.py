"""Odd input anywhere never fails the server, and what is refused is a SCIM Error that changed nothing: wrong
JSON types in every attribute and PATCH op, huge strings, NUL bytes, lone surrogates, deep nesting, bad
filters, query parameters, ids and If-Match."""

import json
import uuid

import pytest

from integrations.scim.tests.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    PATCH_SCHEMA,
    SCIM_JSON,
    created,
    group_body,
    nothing_changes,
    scim_state,
    user_body,
)

ODD_VALUES = [None, True, 0, 1.5, "", "x" * 100_000, "a\x00b", "\ud800", [], [None], {}, {"value": {}}, [[[]]]]
USER_ATTRIBUTES = [
    "userName",
    "externalId",
    "name",
    "title",
    "active",
    "emails",
    "schemas",
    ENTERPRISE,
]
ENTERPRISE_ATTRIBUTES = ["employeeNumber", "costCenter", "organization", "division", "department", "manager"]
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH_PATHS = [
    None,
    "active",
    "userName",
    "emails",
    'emails[type eq "work"].value',
    "name.givenName",
    "members",
    "bad[[",
    "x" * 5000,
    ENTERPRISE,
    *(f"{ENTERPRISE}:{a}" for a in ENTERPRISE_ATTRIBUTES),
]
DEEP = json.loads("[" * 500 + "]" * 500)


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"value": value}
    return value


@pytest.fixture
def user(scim) -> dict:
    return created(scim, user_body("bjensen@example.com", employee_number="E1"))


@pytest.fixture
def group(scim, user) -> dict:
    return created(scim, group_body("Sales", user["id"]))


def answered(call):
    """The answer of a call that may be accepted or refused, but never a 500; refused, it changed nothing."""
    before = scim_state()
    response = call()
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert_refused(response)
        assert scim_state() == before
    return response


def assert_refused(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert response["Content-Type"] == SCIM_JSON
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(response.status_code)


def odd_users():
    for attribute in USER_ATTRIBUTES:
        for value in ODD_VALUES:
            yield user_body("new@example.com", employee_number="N1", **{attribute: value})
    for attribute in ENTERPRISE_ATTRIBUTES:
        for value in ODD_VALUES:
            yield user_body("new@example.com", enterprise={"employeeNumber": "N1", attribute: value})
    yield user_body("new@example.com", employee_number="N1", emails=[{"value": "x", "primary": "maybe"}])
    yield user_body("new@example.com", employee_number="N1", name={"givenName": ["a"], "familyName": "b"})
    yield user_body("new@example.com", employee_number="N1", enterprise={"manager": {"value": "\x00"}})
    yield {**user_body("new@example.com", employee_number="N1"), "name": nested(200)}
    yield DEEP


@pytest.mark.parametrize("body", list(odd_users()), ids=lambda b: json.dumps(b, default=str)[-60:])
def test_odd_users_never_fail_the_server(scim, user, body):
    answered(lambda: scim.post("/Users", body))
    answered(lambda: scim.put(f"/Users/{user['id']}", body))


@pytest.mark.parametrize("value", [*ODD_VALUES, nested(200), DEEP])
@pytest.mark.parametrize("path", PATCH_PATHS)
def test_odd_patch_values_never_fail_the_server(scim, user, group, path, value):
    for op in ("replace", "add", "remove"):
        operation = {"op": op, "value": value} | ({"path": path} if path else {})
        answered(lambda: scim.patch(f"/Users/{user['id']}", [operation]))  # noqa: B023
        answered(lambda: scim.patch(f"/Groups/{group['id']}", [operation]))  # noqa: B023


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "x",
        {"schemas": [PATCH_SCHEMA]},
        {"schemas": [PATCH_SCHEMA], "Operations": None},
        {"schemas": [PATCH_SCHEMA], "Operations": "x"},
        {"schemas": [PATCH_SCHEMA], "Operations": [None]},
        {"schemas": [PATCH_SCHEMA], "Operations": [[]]},
        {"schemas": [PATCH_SCHEMA], "Operations": [{"op": None}]},
        {"schemas": [PATCH_SCHEMA], "Operations": [{"op": 3, "path": "title", "value": "x"}]},
        {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": 3, "value": "x"}]},
        {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "\ud800", "path": "title", "value": "x"}]},
        {"schemas": "x", "Operations": []},
        {"schemas": [None], "Operations": [{"op": "replace", "path": "title", "value": "x"}]},
    ],
)
def test_odd_patch_bodies_are_refused_and_change_nothing(scim, user, group, body):
    with nothing_changes():
        for path in (f"/Users/{user['id']}", f"/Groups/{group['id']}"):
            assert_refused(scim._send("patch", path, json.dumps(body), {}))


@pytest.mark.parametrize("value", [*ODD_VALUES, nested(200)])
@pytest.mark.parametrize("attribute", ["displayName", "externalId", "members", "schemas"])
def test_odd_groups_never_fail_the_server(scim, user, group, attribute, value):
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Other", attribute: value}
    answered(lambda: scim.post("/Groups", body))
    answered(lambda: scim.put(f"/Groups/{group['id']}", body))


@pytest.mark.parametrize(
    "filter_text",
    [
        "",
        "userName",
        'userName eq "a" and',
        'userName eq "a\x00"',
        "userName eq 3",
        'active eq "maybe"',
        'meta.created gt "yesterday"',
        "x" * 10_000,
        'emails[type eq "work" and emails[value eq "x"]]',
    ],
)
def test_bad_filters_are_refused(scim, user, group, filter_text):
    for path in ("/Users", "/Groups"):
        assert_refused(scim.get(path, {"filter": filter_text}))
    for path in ("/Users/.search", "/Groups/.search", "/.search"):
        assert_refused(scim.post(path, {"schemas": [SEARCH_SCHEMA], "filter": filter_text}))


@pytest.mark.parametrize(
    "filter_text",
    [
        "(" * 500 + 'userName eq "a"' + ")" * 500,
        "not (" * 200 + 'userName eq "a"' + ")" * 200,
        " or ".join(['userName eq "a"'] * 2000),
        'id eq "a" and members eq "b"',
    ],
)
def test_large_filters_never_fail_the_server(scim, user, group, filter_text):
    for path in ("/Users", "/Groups"):
        answered(lambda: scim.get(path, {"filter": filter_text}))  # noqa: B023
    search = {"schemas": [SEARCH_SCHEMA], "filter": filter_text}
    answered(lambda: scim.post("/.search", search))


def test_query_strings_that_are_no_utf_8_never_fail_the_server(scim, user):
    for query in ("filter=userName%20eq%20%22%ED%A0%80%22", "attributes=%ED%A0%80", "filter=%FF"):
        answered(lambda: scim.client.get(f"/scim/v2/Users?{query}"))  # noqa: B023


@pytest.mark.parametrize(
    "parameters",
    [
        {"startIndex": "99999999999999999999"},
        {"count": "99999999999999999999"},
        {"startIndex": "\x00"},
        {"attributes": "bad[["},
        {"excludedAttributes": "x" * 10_000},
        {"attributes": "urn:nothing:here"},
    ],
)
def test_bad_query_parameters_never_fail_the_server(scim, user, parameters):
    for path in ("/Users", f"/Users/{user['id']}", "/Groups"):
        answered(lambda: scim.get(path, parameters))  # noqa: B023


@pytest.mark.parametrize("if_match", ["", "W/", '"', "\x00", 'W/"x", W/', "x" * 10_000])
def test_a_bad_if_match_is_412_and_changes_nothing(scim, user, group, if_match):
    with nothing_changes():
        for path in (f"/Users/{user['id']}", f"/Groups/{group['id']}"):
            answer = scim.patch(path, [{"op": "replace", "path": "externalId", "value": "x"}], if_match=if_match)
            assert_refused(answer)
            assert_refused(scim.delete(path, if_match=if_match))
        assert_refused(scim.put(f"/Users/{user['id']}", user_body(employee_number="E1"), if_match=if_match))


@pytest.mark.parametrize("resource_id", ["\x00", "%ED%A0%80", "x" * 5000, "..", "%00", str(uuid.UUID(int=0))])
def test_odd_ids_are_404(scim, resource_id):
    with nothing_changes():
        for kind in ("Users", "Groups"):
            answer = scim.get(f"/{kind}/{resource_id}")
            assert answer.status_code == 404, answer.content[:300]
            assert_refused(scim.delete(f"/{kind}/{resource_id}"))
            operation = {"op": "replace", "path": "externalId", "value": "x"}
            assert_refused(scim.patch(f"/{kind}/{resource_id}", [operation]))


def test_bodies_of_the_wrong_encoding_are_refused(scim, user):
    with nothing_changes():
        for raw in (b"\xff\xfe", b'{"userName": "\\ud800"}', b"{" * 100_000, b"[]", b"null", b"1e999999"):
            answer = scim.client.post("/scim/v2/Users", raw, content_type=SCIM_JSON)
            assert_refused(answer)
