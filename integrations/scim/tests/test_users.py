"""/scim/v2/Users onto employees: create, read, replace, delete (deactivate), and the employees of other doors."""

import hashlib

import pytest

from integrations.scim.models import ScimIdentity
from integrations.scim.tests.conftest import ENTERPRISE, USER_SCHEMA, assert_error, created, nothing_changes, user_body
from plum.core.actor import Actor
from tests.support import events, seed
from users import services as users_services
from users.commands import EmployeeDeactivate
from users.models import Employee

FULL = {
    "employeeNumber": "E100",
    "department": "Finance",
    "costCenter": "CC-7",
    "division": "Sales",
    "organization": "Acme Corp",
}


def employee(employee_id: str) -> Employee:
    return Employee.objects.select_related("business_unit", "cost_centre", "manager").get(employee_id=employee_id)


def test_post_creates_the_employee_and_answers_201_with_location_and_etag(scim):
    body = user_body("bjensen@example.com", enterprise=FULL, title="Analyst", externalId="okta-123")

    response = scim.post("/Users", body)

    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/scim+json"
    user = response.json()
    location = f"http://testserver/scim/v2/Users/{user['id']}"
    assert (response["Location"], user["meta"]["location"]) == (location, location)
    assert response["ETag"] == user["meta"]["version"] and response["ETag"].startswith('W/"')
    assert {k: v for k, v in user.items() if k != "meta"} == {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": str(employee("E100").pk),
        "externalId": "okta-123",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "title": "Analyst",
        "active": True,
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
        ENTERPRISE: {"costCenter": "CC-7", "organization": "Acme Corp", "division": "Sales", "department": "Finance"},
    }
    assert user["meta"]["resourceType"] == "User"
    e = employee("E100")
    assert (e.email, e.first_name, e.last_name, e.role, e.department) == (
        "bjensen@example.com",
        "Barbara",
        "Jensen",
        "Analyst",
        "Finance",
    )
    assert (e.business_unit.code, e.cost_centre.code, e.status, e.manager) == ("Sales", "CC-7", "active", None)
    assert events() == [("employee.created", "E100")]


def test_employee_number_is_the_employee_id_and_returned_when_asked_for(scim):
    user = created(scim, user_body(employee_number="E7"))

    response = scim.get(f"/Users/{user['id']}", {"attributes": f"{ENTERPRISE}:employeeNumber"})

    assert response.json() == {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": user["id"],
        ENTERPRISE: {"employeeNumber": "E7"},
    }
    assert ENTERPRISE not in user  # returned: request
    found = scim.get("/Users", {"filter": f'{ENTERPRISE}:employeeNumber eq "E7"'}).json()
    assert [u["id"] for u in found["Resources"]] == [user["id"]]


def test_without_employee_number_the_employee_id_comes_from_user_name(scim):
    created(scim, user_body("ada.lovelace@example.com"))
    created(scim, {**user_body("ada@example.com"), "userName": "Ada Byron"})  # not an employee_id: hashed

    spaced = "scim-" + hashlib.sha256(b"ada byron").hexdigest()[:24]
    assert set(Employee.objects.values_list("employee_id", flat=True)) == {"ada.lovelace@example.com", spaced}


def test_a_user_name_taken_whatever_its_case_is_409_uniqueness_and_changes_nothing(scim):
    created(scim, user_body("bjensen@example.com", employee_number="E1"))

    with nothing_changes():
        response = scim.post("/Users", user_body("BJensen@Example.COM", employee_number="E2"))

    assert_error(response, 409, "uniqueness")


def test_an_employee_number_a_user_already_has_is_409_uniqueness(scim):
    created(scim, user_body("one@example.com", employee_number="E1"))

    with nothing_changes():
        response = scim.post("/Users", user_body("two@example.com", employee_number="E1"))

    assert_error(response, 409, "uniqueness")


def test_employees_of_other_doors_are_users_named_by_their_email(scim, tenant):
    seed(
        tenant,
        [
            {"employee_id": "E1", "email": "a@example.com", "first_name": "A", "last_name": "One"},
            {"employee_id": "E2", "email": "b@example.com", "first_name": "B", "last_name": "Two"},
            {"employee_id": "E3", "email": "B@example.com", "first_name": "C", "last_name": "Three"},
        ],
    )

    listed = scim.get("/Users").json()

    assert [u["userName"] for u in listed["Resources"]] == ["a@example.com", "b@example.com", "E3"]
    assert [u["emails"] for u in listed["Resources"]][2] == [
        {"value": "B@example.com", "type": "work", "primary": True}
    ]
    assert list(ScimIdentity.objects.values_list("provisioned", flat=True)) == [False, False, False]


def test_a_creation_naming_an_employee_of_another_door_links_it(scim, tenant):
    seed(tenant, [{"employee_id": "E7", "email": "seven@example.com", "first_name": "S", "last_name": "Even"}])
    pk = str(employee("E7").pk)
    scim.get("/Users")  # now listed, as seven@example.com

    user = created(scim, user_body("seven@corp.example", employee_number="E7"))

    assert (user["id"], user["userName"], employee("E7").first_name) == (pk, "seven@corp.example", "Barbara")
    assert events()[-1] == ("employee.updated", "E7")
    with nothing_changes():
        again = scim.post("/Users", user_body("other@corp.example", employee_number="E7"))
    assert_error(again, 409, "uniqueness")


def test_put_replaces_every_attribute_and_keeps_active_when_left_out(scim):
    manager = created(scim, user_body("boss@example.com", employee_number="B1"))
    full = user_body(
        employee_number="E1",
        enterprise={**FULL, "employeeNumber": "E1", "manager": {"value": manager["id"]}},
        title="Analyst",
    )
    user = created(scim, {**full, "active": False})
    replacement = user_body("barbara@example.com", enterprise={"employeeNumber": "E1"})  # restated, as Okta does
    del replacement["active"]

    response = scim.put(f"/Users/{user['id']}", replacement)

    assert response.status_code == 200, response.content
    assert response.json()["userName"] == "barbara@example.com"
    assert (response.json()["active"], ENTERPRISE in response.json(), "title" in response.json()) == (
        False,
        False,
        False,
    )
    e = employee("E1")
    assert (e.role, e.department, e.business_unit, e.cost_centre, e.manager, e.status) == (
        "",
        "",
        None,
        None,
        None,
        "inactive",
    )


@pytest.mark.parametrize("employee_number", [None, "", "E1", " E1 "])
def test_put_may_leave_out_or_restate_employee_number(scim, employee_number):
    user = created(scim, user_body(employee_number="E1", title="Analyst"))
    replacement = user_body(employee_number=employee_number, title="Lead")

    response = scim.put(f"/Users/{user['id']}", replacement)

    assert response.status_code == 200, response.content
    assert (employee("E1").role, Employee.objects.count()) == ("Lead", 1)


@pytest.mark.parametrize("employee_number", ["E2", "e1", 7])
def test_put_changing_employee_number_is_refused_and_changes_nothing(scim, employee_number):
    user = created(scim, user_body(employee_number="E1"))

    with nothing_changes():
        response = scim.put(f"/Users/{user['id']}", user_body(employee_number=employee_number, title="Lead"))

    assert_error(response, 400, "invalidValue" if employee_number == 7 else "mutability")


def test_delete_deactivates_the_employee_which_keeps_its_history_and_then_answers_404(scim):
    user = created(scim, user_body(employee_number="E1"))

    response = scim.delete(f"/Users/{user['id']}")

    assert (response.status_code, response.content) == (204, b"")
    assert_error(scim.get(f"/Users/{user['id']}"), 404)
    assert_error(scim.delete(f"/Users/{user['id']}"), 404)
    assert scim.get("/Users").json()["totalResults"] == 0
    assert employee("E1").status == "inactive"
    assert events() == [("employee.created", "E1"), ("employee.deactivated", "E1")]


def test_a_deleted_user_provisioned_again_is_the_same_employee_active_again(scim):
    user = created(scim, user_body("bjensen@example.com"))
    scim.delete(f"/Users/{user['id']}")

    again = created(scim, user_body("bjensen@example.com"))

    assert (again["id"], again["active"], Employee.objects.count()) == (user["id"], True, 1)
    assert employee("bjensen@example.com").status == "active"


def test_a_manager_is_named_by_its_scim_id(scim, other_scim):
    boss = created(scim, user_body("boss@example.com", employee_number="B1"))
    stranger = created(other_scim, user_body("boss@example.com", employee_number="B1"))

    report = created(scim, user_body(employee_number="E1", enterprise={"manager": {"value": boss["id"]}}))

    assert report[ENTERPRISE]["manager"] == {"value": boss["id"], "$ref": boss["meta"]["location"]}
    assert employee("E1").manager.employee_id == "B1"
    for unknown in (stranger["id"], "not-a-uuid", report["id"]):
        with nothing_changes():
            response = scim.patch(
                f"/Users/{report['id']}",
                [{"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": unknown}}],
            )
        assert_error(response, 400, "invalidValue")


def test_pages_start_at_start_index_and_hold_count_users(scim):
    ids = [created(scim, user_body(f"user{i}@example.com"))["id"] for i in range(5)]

    page = scim.get("/Users", {"startIndex": "2", "count": "2"}).json()
    counted = scim.get("/Users", {"count": "0"}).json()
    beyond = scim.get("/Users", {"startIndex": "9"}).json()
    from_zero = scim.get("/Users", {"startIndex": "0", "count": "1"}).json()
    from_negative = scim.get("/Users", {"startIndex": "-4", "count": "5000"}).json()

    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [u["id"] for u in page["Resources"]] == ids[1:3]
    assert (counted["totalResults"], counted["itemsPerPage"], counted["Resources"]) == (5, 0, [])
    assert (beyond["totalResults"], beyond["itemsPerPage"]) == (5, 0)
    assert (from_zero["startIndex"], [u["id"] for u in from_zero["Resources"]]) == (1, ids[:1])
    assert (from_negative["startIndex"], [u["id"] for u in from_negative["Resources"]]) == (1, ids)


def test_an_employee_another_door_deactivated_reads_inactive_and_scim_can_reactivate_it(scim, tenant):
    seed(tenant, [{"employee_id": "E1", "email": "a@example.com", "first_name": "A", "last_name": "One"}])
    user = scim.get("/Users", {"filter": 'userName eq "a@example.com"'}).json()["Resources"][0]
    assert user["active"] is True
    deactivation = EmployeeDeactivate.parse({"employee_id": "E1"})
    users_services.employee_deactivate(actor=Actor.system(tenant.organisation.id), command=deactivation)

    read = scim.get(f"/Users/{user['id']}")

    assert read.json()["active"] is False
    assert read["ETag"] != user["meta"]["version"]
    reactivated = scim.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": "active", "value": "True"}])
    assert (reactivated.json()["active"], employee("E1").status) == (True, "active")


def test_attributes_and_excluded_attributes_shape_the_answer(scim):
    user = created(scim, user_body(title="Analyst"))

    only = scim.get(f"/Users/{user['id']}", {"attributes": "userName,name.givenName"}).json()
    without = scim.get("/Users", {"excludedAttributes": "emails,title"}).json()["Resources"][0]

    assert only == {
        "schemas": [USER_SCHEMA],
        "id": user["id"],
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara"},
    }
    assert ("emails" in without, "title" in without, without["userName"]) == (False, False, "bjensen@example.com")
