"""The protocol around the resources: media types, SCIM errors for every failure, ETags and If-Match,
discovery, query parameters."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.scim.tests.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    USER_SCHEMA,
    assert_error,
    created,
    group_body,
    nothing_changes,
    user_body,
)


@pytest.fixture
def user(scim) -> dict:
    return created(scim, user_body(employee_number="E1", title="Analyst"))


def test_application_json_is_accepted_and_answered_when_asked_for(scim):
    response = scim.post("/Users", user_body(), content_type="application/json", accept="application/json")

    assert (response.status_code, response["Content-Type"]) == (201, "application/json")
    assert scim.get("/Users")["Content-Type"] == "application/scim+json"


@pytest.mark.parametrize(
    ("content_type", "body", "status", "scim_type"),
    [
        ("text/plain", "userName=x", 415, None),
        ("application/x-www-form-urlencoded", "userName=x", 415, None),
        ("application/scim+json", "{", 400, "invalidSyntax"),
        ("application/scim+json", "[1, 2]", 400, "invalidSyntax"),
        ("application/scim+json", '"text"', 400, "invalidSyntax"),
        ("application/scim+json", "[" * 100_000 + "]" * 100_000, 400, "invalidSyntax"),
        ("application/scim+json", json.dumps({"userName": "x", "name": "not an object"}), 400, "invalidValue"),
        ("application/scim+json", json.dumps({"userName": 7}), 400, "invalidValue"),
    ],
)
def test_a_body_plum_cannot_read_is_a_scim_error_and_changes_nothing(scim, user, content_type, body, status, scim_type):
    for method, path in (("post", "/Users"), ("put", f"/Users/{user['id']}"), ("post", "/Groups")):
        with nothing_changes():
            response = getattr(scim, method)(path, body, content_type=content_type)
        assert_error(response, status, scim_type)


def test_a_body_too_large_is_413(scim):
    with nothing_changes():
        response = scim.post("/Users", {**user_body(), "padding": "x" * (1024 * 1024)})

    assert_error(response, 413)


def test_unknown_paths_and_methods_are_scim_errors(scim, user):
    assert_error(scim.get("/Nothing/here"), 404)
    assert_error(scim.get("/Users/not-a-uuid"), 404)
    assert_error(scim.get("/Schemas/urn:nope"), 404)
    assert_error(scim.get("/ResourceTypes/Nope"), 404)
    for path in ("/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/.search"):
        assert_error(scim.put(path, {}), 405)
    with nothing_changes():
        assert_error(scim.post(f"/Users/{user['id']}", user_body()), 405)


def test_a_stale_if_match_is_412_and_changes_nothing(scim, user):
    stale = user["meta"]["version"]
    scim.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "title", "value": "Lead"}])

    for method, body in (("put", user_body()), ("patch", [{"op": "remove", "path": "title"}]), ("delete", None)):
        with nothing_changes():
            path = f"/Users/{user['id']}"
            response = (
                getattr(scim, method)(path, if_match=stale)
                if body is None
                else getattr(scim, method)(path, body, if_match=stale)
            )
        assert_error(response, 412)


def test_a_current_or_any_if_match_applies(scim, user):
    current = scim.get(f"/Users/{user['id']}")["ETag"]

    first = scim.patch(
        f"/Users/{user['id']}", [{"op": "replace", "path": "title", "value": "Lead"}], if_match=f'W/"other", {current}'
    )
    second = scim.patch(f"/Users/{user['id']}", [{"op": "remove", "path": "title"}], if_match="*")

    assert (first.status_code, second.status_code) == (200, 200)
    assert first["ETag"] != current and second["ETag"] != first["ETag"]


def test_if_none_match_with_the_current_version_is_304(scim, user):
    group = created(scim, group_body("Sales", user["id"]))

    for path in (f"/Users/{user['id']}", f"/Groups/{group['id']}"):
        etag = scim.get(path)["ETag"]
        response = scim.get(path, if_none_match=etag)
        assert (response.status_code, response.content, response["ETag"]) == (304, b"", etag)
        assert scim.get(path, if_none_match='W/"old"').status_code == 200


def test_a_group_version_changes_when_a_member_moves_in_by_another_door(scim, user):
    group = created(scim, group_body("Sales"))
    newcomer = created(scim, user_body("new@example.com"))

    scim.patch(f"/Users/{newcomer['id']}", [{"op": "add", "path": f"{ENTERPRISE}:division", "value": "Sales"}])

    assert_error(
        scim.patch(f"/Groups/{group['id']}", [{"op": "remove", "path": "members"}], if_match=group["meta"]["version"]),
        412,
    )


def test_discovery_describes_what_plum_serves(scim):
    config = scim.get("/ServiceProviderConfig").json()
    types = scim.get("/ResourceTypes").json()
    schemas = scim.get("/Schemas").json()

    assert (config["patch"], config["bulk"]["supported"], config["etag"], config["sort"]) == (
        {"supported": True},
        False,
        {"supported": True},
        {"supported": False},
    )
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert [a["type"] for a in config["authenticationSchemes"]] == ["oauthbearertoken"]
    assert [(t["id"], t["endpoint"], t["schema"]) for t in types["Resources"]] == [
        ("User", "/Users", USER_SCHEMA),
        ("Group", "/Groups", GROUP_SCHEMA),
    ]
    assert types["Resources"][0]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert [s["name"] for s in schemas["Resources"]] == [
        "User",
        "EnterpriseUser",
        "Group",
        "ResourceType",
        "ServiceProviderConfig",
        "Schema",
    ]
    user_schema = scim.get(f"/Schemas/{USER_SCHEMA}").json()
    assert [a["name"] for a in user_schema["attributes"]] == ["userName", "name", "title", "active", "emails"]
    assert scim.get("/ResourceTypes/Group").json()["meta"] == {
        "resourceType": "ResourceType",
        "location": "http://testserver/scim/v2/ResourceTypes/Group",
    }
    assert_error(scim.get("/Schemas", {"filter": 'id eq "x"'}), 403)


def test_an_unknown_or_repeated_query_parameter_is_400(scim, user):
    assert_error(scim.get("/Users", {"filtre": 'userName eq "x"'}), 400, "invalidValue")
    assert_error(scim.client.get("/scim/v2/Users?count=1&count=2"), 400, "invalidValue")
    assert_error(scim.get(f"/Users/{user['id']}", {"filter": "x"}), 400, "invalidValue")
    with nothing_changes():
        response = scim.patch(f"/Users/{user['id']}?dry_run=1", [{"op": "remove", "path": "title"}])
        assert_error(response, 400, "invalidValue")
    assert scim.get("/Users", {"sortBy": "userName", "sortOrder": "descending"}).status_code == 200  # ignored


def test_a_list_costs_the_same_queries_whatever_its_length(scim):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert scim.get(path).status_code == 200
        return len(captured)

    boss = created(scim, user_body("boss@example.com"))
    first = created(scim, user_body("first@example.com", enterprise={"manager": {"value": boss["id"]}}))
    created(scim, {**group_body("Sales", first["id"]), "externalId": "g"})
    one_each = (queries("/Users"), queries("/Groups"))
    for i in range(5):
        user = created(
            scim, user_body(f"u{i}@example.com", enterprise={"costCenter": f"C{i}", "manager": {"value": boss["id"]}})
        )
        created(scim, group_body(f"G{i}", user["id"]))

    assert (queries("/Users"), queries("/Groups")) == one_each
