"""PATCH /Users/{id} (RFC 7644 §3.5.2) with the quirks of the identity providers: Microsoft Entra ID's
capitalised ops, quoted booleans, bare manager ids and removals carrying a value."""

import pytest

from integrations.scim.tests.conftest import ENTERPRISE, assert_error, created, nothing_changes, user_body
from tests.support import events
from users.models import Employee


@pytest.fixture
def user(scim) -> dict:
    return created(scim, user_body("bjensen@example.com", employee_number="E1", title="Analyst"))


def employee() -> Employee:
    return Employee.objects.select_related("business_unit", "cost_centre", "manager").get(employee_id="E1")


def patched(scim, user, *operations) -> dict:
    response = scim.patch(f"/Users/{user['id']}", list(operations))
    assert response.status_code == 200, response.content
    assert response["ETag"] == response.json()["meta"]["version"] != user["meta"]["version"]
    return response.json()


@pytest.mark.parametrize("op", ["Replace", "replace", "REPLACE", "Add"])
@pytest.mark.parametrize("value", ["False", "false", False])
def test_entra_deactivates_with_a_capitalised_op_and_a_quoted_boolean(scim, user, op, value):
    answer = patched(scim, user, {"op": op, "path": "active", "value": value})

    assert (answer["active"], employee().status) == (False, "inactive")
    assert events() == [("employee.created", "E1"), ("employee.deactivated", "E1")]


def test_true_as_a_string_reactivates(scim, user):
    patched(scim, user, {"op": "Replace", "path": "active", "value": "False"})

    answer = patched(scim, user, {"op": "Replace", "path": "active", "value": "True"})

    assert (answer["active"], employee().status) == (True, "active")
    assert [e for e, _ in events()] == ["employee.created", "employee.deactivated", "employee.updated"]


def test_an_op_without_path_sets_the_attributes_its_value_names(scim, user):
    answer = patched(
        scim,
        user,
        {
            "op": "Replace",
            "value": {
                "active": "False",
                "name.givenName": "Babs",
                "title": "Lead",
                f"{ENTERPRISE}:department": "Research",
                "displayName": "not kept by Plum, and ignored",
            },
        },
    )

    e = employee()
    assert (e.status, e.first_name, e.role, e.department) == ("inactive", "Babs", "Lead", "Research")
    assert (answer["name"], answer["title"]) == ({"givenName": "Babs", "familyName": "Jensen"}, "Lead")


def test_sub_attribute_and_value_filter_paths(scim, user):
    patched(
        scim,
        user,
        {"op": "replace", "path": "name.familyName", "value": "Smith"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "b.smith@example.com"},
    )

    assert (employee().last_name, employee().email) == ("Smith", "b.smith@example.com")


def test_entra_adds_a_work_email_when_there_is_none_of_that_type(scim):
    user = created(scim, {**user_body(employee_number="E1"), "emails": [{"value": "bj@example.com"}]})

    answer = patched(scim, user, {"op": "Add", "path": 'emails[type eq "work"].value', "value": "work@example.com"})

    # the entry without type or primary was the first; the work entry now wins (primary, else work, else first)
    assert employee().email == "work@example.com"
    assert answer["emails"] == [{"value": "work@example.com", "type": "work"}]


def test_enterprise_attributes_by_their_urn_prefixed_paths(scim, user):
    boss = created(scim, user_body("boss@example.com", employee_number="B1"))

    answer = patched(
        scim,
        user,
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]},  # Entra: the bare id
        {"op": "Add", "path": f"{ENTERPRISE}:costCenter", "value": "CC-1"},
        {"op": "Add", "path": f"{ENTERPRISE}:division", "value": "Sales"},
    )

    e = employee()
    assert (e.manager.employee_id, e.cost_centre.code, e.business_unit.code) == ("B1", "CC-1", "Sales")
    assert answer[ENTERPRISE] == {
        "costCenter": "CC-1",
        "division": "Sales",
        "manager": {"value": boss["id"], "$ref": boss["meta"]["location"]},
    }

    # Entra removes the manager with the old value in the operation
    patched(scim, user, {"op": "Remove", "path": f"{ENTERPRISE}:manager", "value": [{"value": boss["id"]}]})
    assert employee().manager is None


def test_remove_clears_an_attribute(scim, user):
    answer = patched(scim, user, {"op": "remove", "path": "title"})

    assert ("title" in answer, employee().role) == (False, "")


def test_a_patch_that_changes_nothing_writes_nothing(scim, user):
    with nothing_changes():
        response = scim.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "title", "value": "Analyst"}])

    assert (response.status_code, response["ETag"]) == (200, user["meta"]["version"])


RESTATED = [
    {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "E1"},  # Entra, with every update
    {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "E1"},
    {"op": "replace", "path": f"{ENTERPRISE.upper()}:EMPLOYEENUMBER", "value": "E1"},
    {"op": "replace", "path": ENTERPRISE, "value": {"employeeNumber": "E1"}},
    {"op": "replace", "value": {f"{ENTERPRISE}:employeeNumber": "E1"}},
    {"op": "replace", "value": {ENTERPRISE: {"employeeNumber": "E1"}}},
    {"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": None},
]


@pytest.mark.parametrize("restated", RESTATED, ids=[str(r) for r in RESTATED])
def test_restating_employee_number_changes_nothing(scim, user, restated):
    with nothing_changes():
        response = scim.patch(f"/Users/{user['id']}", [restated])

    assert (response.status_code, response["ETag"]) == (200, user["meta"]["version"]), response.content


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": ENTERPRISE, "value": {"employeeNumber": "E1", "department": "Research"}},
        {"op": "replace", "value": {f"{ENTERPRISE}:employeeNumber": "E1", f"{ENTERPRISE}:department": "Research"}},
        {"op": "replace", "value": {ENTERPRISE: {"employeeNumber": "E1", "department": "Research"}}},
    ],
)
def test_employee_number_restated_beside_other_attributes(scim, user, operation):
    answer = patched(scim, user, {"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "E1"}, operation)

    assert (employee().department, employee().employee_id, answer[ENTERPRISE]) == (
        "Research",
        "E1",
        {"department": "Research"},
    )


REFUSED = [
    ({"op": "bogus", "path": "title", "value": "x"}, "invalidValue"),
    ({"op": "replace", "path": "title["}, "invalidPath"),
    ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
    ({"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "E2"}, "mutability"),
    ({"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "e1"}, "mutability"),
    ({"op": "replace", "path": ENTERPRISE, "value": {"employeeNumber": "E2", "department": "R"}}, "mutability"),
    ({"op": "replace", "value": {f"{ENTERPRISE}:employeeNumber": "E2"}}, "mutability"),
    ({"op": "replace", "value": {ENTERPRISE: {"employeeNumber": "E2"}}}, "mutability"),
    ({"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": 42}, "invalidValue"),
    ({"op": "remove", "path": f"{ENTERPRISE}:employeeNumber"}, "mutability"),
    ({"op": "remove", "path": "userName"}, "mutability"),
    ({"op": "remove", "path": "emails"}, "mutability"),
    ({"op": "remove"}, "noTarget"),
    ({"op": "replace", "path": "active", "value": "maybe"}, "invalidValue"),
    ({"op": "replace", "path": "name.givenName", "value": ""}, "invalidValue"),
    ({"op": "replace", "path": 'emails[type eq "work"].value', "value": "not an email"}, "invalidValue"),
    ({"op": "replace", "path": 'emails[value co "zzz"].type', "value": "home"}, "noTarget"),
]


@pytest.mark.parametrize(("operation", "scim_type"), REFUSED, ids=[str(r[0]) for r in REFUSED])
def test_a_refused_operation_is_a_400_with_its_scim_type_and_changes_nothing(scim, user, operation, scim_type):
    with nothing_changes():
        response = scim.patch(
            f"/Users/{user['id']}",
            [
                {"op": "replace", "path": "title", "value": "Applied only with the next one"},
                operation,
            ],
        )

    assert_error(response, 400, scim_type)


@pytest.mark.parametrize("body", [{"Operations": []}, {"operations": "x"}, [], {"schemas": ["x"]}])
def test_a_body_that_is_no_patch_is_a_400(scim, user, body):
    with nothing_changes():
        response = scim.client.patch(f"/scim/v2/Users/{user['id']}", body, format="json")

    assert response.status_code == 400
    assert response.json()["scimType"] in ("invalidValue", "invalidSyntax")
