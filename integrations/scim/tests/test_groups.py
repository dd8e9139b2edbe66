"""/scim/v2/Groups onto business units: a group's members are the employees of its unit, so membership moves
employees, through the users services (their events included)."""

import pytest

from integrations.scim.models import ScimGroup
from integrations.scim.tests.conftest import (
    GROUP_SCHEMA,
    assert_error,
    created,
    group_body,
    nothing_changes,
    user_body,
)
from tests.support import events, seed
from users.models import BusinessUnit, Employee


@pytest.fixture
def people(scim) -> dict:
    return {n: created(scim, user_body(f"{n}@example.com", employee_number=n.upper())) for n in ("ann", "ben", "cy")}


def units() -> dict[str, str | None]:
    employees = Employee.objects.select_related("business_unit").order_by("employee_id")
    return {e.employee_id: e.business_unit.code if e.business_unit_id else None for e in employees}


def member_ids(group: dict) -> list[str]:
    return [m["value"] for m in group.get("members", [])]


def test_a_group_is_created_with_its_members_moved_into_the_unit(scim, people):
    response = scim.post("/Groups", group_body("Sales", people["ann"]["id"], people["ben"]["id"]))

    assert response.status_code == 201, response.content
    group = response.json()
    assert response["Location"] == group["meta"]["location"] == f"http://testserver/scim/v2/Groups/{group['id']}"
    assert group["members"] == [
        {"value": people[n]["id"], "$ref": people[n]["meta"]["location"], "type": "User"} for n in ("ann", "ben")
    ]
    assert units() == {"ANN": "Sales", "BEN": "Sales", "CY": None}
    assert events()[-2:] == [("employee.updated", "ANN"), ("employee.updated", "BEN")]
    assert scim.get(f"/Users/{people['ann']['id']}").json()[
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    ] == {"division": "Sales"}


def test_patch_adds_and_removes_members_and_adding_moves_from_another_group(scim, people):
    sales = created(scim, group_body("Sales", people["ann"]["id"]))
    support = created(scim, group_body("Support", people["ben"]["id"]))

    response = scim.patch(
        f"/Groups/{sales['id']}",
        [
            {"op": "Add", "path": "members", "value": [{"value": people["ben"]["id"]}, {"value": people["cy"]["id"]}]},
            {"op": "Remove", "path": f'members[value eq "{people["ann"]["id"]}"]'},
        ],
    )

    assert response.status_code == 200, response.content
    assert member_ids(response.json()) == [people["ben"]["id"], people["cy"]["id"]]
    assert units() == {"ANN": None, "BEN": "Sales", "CY": "Sales"}
    assert member_ids(scim.get(f"/Groups/{support['id']}").json()) == []


def test_entra_removes_members_by_value(scim, people):
    sales = created(scim, group_body("Sales", people["ann"]["id"], people["ben"]["id"]))

    response = scim.patch(
        f"/Groups/{sales['id']}", [{"op": "Remove", "path": "members", "value": [{"value": people["ann"]["id"]}]}]
    )

    assert member_ids(response.json()) == [people["ben"]["id"]]
    assert units()["ANN"] is None


def test_renaming_a_group_moves_its_members_to_the_unit_of_that_name(scim, people):
    sales = created(scim, group_body("Sales", people["ann"]["id"]))

    response = scim.patch(f"/Groups/{sales['id']}", [{"op": "replace", "path": "displayName", "value": "Revenue"}])

    assert (response.json()["displayName"], member_ids(response.json())) == ("Revenue", [people["ann"]["id"]])
    assert units()["ANN"] == "Revenue"
    assert set(BusinessUnit.objects.values_list("code", flat=True)) == {"Sales", "Revenue"}  # history kept


def test_put_sets_the_whole_member_list(scim, people):
    sales = created(scim, group_body("Sales", people["ann"]["id"], people["ben"]["id"]))

    response = scim.put(f"/Groups/{sales['id']}", {**group_body("Sales", people["cy"]["id"]), "externalId": "g-9"})

    assert (member_ids(response.json()), response.json()["externalId"]) == ([people["cy"]["id"]], "g-9")
    assert units() == {"ANN": None, "BEN": None, "CY": "Sales"}


def test_delete_empties_the_unit_and_then_answers_404(scim, people):
    sales = created(scim, group_body("Sales", people["ann"]["id"]))

    assert scim.delete(f"/Groups/{sales['id']}").status_code == 204

    assert_error(scim.get(f"/Groups/{sales['id']}"), 404)
    assert units()["ANN"] is None
    assert scim.get("/Groups").json()["totalResults"] == 0  # an empty unit is not adopted again


def test_business_units_of_other_doors_are_groups(scim, tenant):
    seed(
        tenant,
        [{"employee_id": "E1", "email": "a@example.com", "first_name": "A", "last_name": "B", "business_unit": "Ops"}],
    )

    listed = scim.get("/Groups").json()

    assert [g["displayName"] for g in listed["Resources"]] == ["Ops"]
    e1 = scim.get("/Users", {"filter": 'userName eq "a@example.com"'}).json()["Resources"][0]
    assert member_ids(listed["Resources"][0]) == [e1["id"]]


@pytest.mark.parametrize("name", ["sales", " Sales", "", "x" * 65])
def test_a_name_taken_or_that_is_no_unit_code_is_refused_and_changes_nothing(scim, people, name):
    created(scim, group_body("sales"))

    with nothing_changes():
        response = scim.post("/Groups", group_body(name, people["ann"]["id"]))

    if name == "sales":
        assert_error(response, 409, "uniqueness")
    else:
        assert_error(response, 400, "invalidValue")


def test_a_member_that_is_no_user_of_the_organisation_is_refused_and_changes_nothing(scim, other_scim, people):
    stranger = created(other_scim, user_body("stranger@example.com"))
    sales = created(scim, group_body("Sales"))

    for value in (stranger["id"], "not-a-uuid", sales["id"]):
        with nothing_changes():
            response = scim.patch(
                f"/Groups/{sales['id']}",
                [{"op": "add", "path": "members", "value": [{"value": people["ann"]["id"]}, {"value": value}]}],
            )
        assert_error(response, 400, "invalidValue")
    assert ScimGroup.objects.get(pk=sales["id"]).display_name == "Sales"


def test_a_group_without_display_name_is_refused(scim):
    with nothing_changes():
        response = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "members": []})

    assert_error(response, 400, "invalidValue")
