"""The audit trail of SCIM: exactly one entry per call that changes something, about the employee a User is
(as the users services name it: employee.created / updated / deactivated, with the identity's own fields
beside the employee's) or the group a Group is (its members' moves told in it, not per employee)."""

import pytest

from integrations.scim.tests.conftest import assert_error, created, group_body, nothing_changes, user_body
from plum.testing.audit_trail import Trail, assert_nothing_secret, shown

pytestmark = pytest.mark.django_db


def client(tenant) -> dict:
    return {"actor_kind": "client", "actor_id": tenant.client.client_id}


def test_a_user_created_is_one_employee_created_entry(scim, tenant):
    trail = Trail()
    user = created(scim, user_body(employee_number="E1", title="Analyst", externalId="okta-1"))
    entry = trail.one()
    assert shown(entry) == {
        **client(tenant),
        "action": "employee.created",
        "object_type": "employee",
        "object_id": "E1",
        "changes": {
            "employee_id": [None, "E1"],
            "email": [None, "bjensen@example.com"],
            "first_name": [None, "Barbara"],
            "last_name": [None, "Jensen"],
            "status": [None, "active"],
            "role": [None, "Analyst"],
            "department": [None, ""],
            "country": [None, ""],
            "slack_user_id": [None, ""],
            "teams_user_id": [None, ""],
            "scim_user_name": [None, "bjensen@example.com"],
            "scim_external_id": [None, "okta-1"],
            "scim_email_type": [None, "work"],
            "scim_email_primary": [None, True],
            "scim_organization": [None, ""],
        },
    }
    assert user["id"]
    assert_nothing_secret(entry, "Bearer")


def test_a_put_a_patch_and_a_delete_are_one_entry_each_and_a_no_op_none(scim, tenant):
    user = created(scim, user_body(employee_number="E1"))
    path = f"/Users/{user['id']}"

    trail = Trail()
    replaced = scim.put(path, user_body("barbara@example.com", employee_number="E1", title="Lead"))
    assert replaced.status_code == 200, replaced.content
    assert shown(trail.one())["changes"] == {
        "email": ["bjensen@example.com", "barbara@example.com"],
        "role": ["", "Lead"],
        "scim_user_name": ["bjensen@example.com", "barbara@example.com"],
    }

    trail = Trail()  # only the identity's own field: still one entry
    patched = scim.patch(path, [{"op": "replace", "path": "externalId", "value": "okta-9"}])
    assert patched.status_code == 200, patched.content
    entry = trail.one()
    assert (entry.action, entry.object_id, entry.changes) == (
        "employee.updated",
        "E1",
        {"scim_external_id": [None, "okta-9"]},
    )

    trail = Trail()
    assert scim.patch(path, [{"op": "replace", "path": "externalId", "value": "okta-9"}]).status_code == 200
    trail.assert_none()

    trail = Trail()
    assert scim.patch(path, [{"op": "replace", "path": "active", "value": "False"}]).status_code == 200
    assert (trail.one().action, trail.one().changes) == ("employee.deactivated", {"status": ["active", "inactive"]})

    trail = Trail()
    assert scim.delete(path).status_code == 204
    entry = trail.one()
    assert (entry.action, list(entry.changes)) == ("employee.updated", ["scim_deleted_at"])
    assert entry.changes["scim_deleted_at"][0] is None and entry.changes["scim_deleted_at"][1]


def test_deleting_an_active_user_is_one_deactivation(scim):
    user = created(scim, user_body(employee_number="E1"))
    trail = Trail()
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    entry = trail.one()
    assert (entry.action, entry.object_id, sorted(entry.changes)) == (
        "employee.deactivated",
        "E1",
        ["scim_deleted_at", "status"],
    )
    assert entry.changes["status"] == ["active", "inactive"]


def test_a_refused_user_leaves_no_entry_and_changes_nothing(scim):
    created(scim, user_body(employee_number="E1"))
    trail = Trail()
    with nothing_changes():
        assert_error(scim.post("/Users", user_body("BJENSEN@example.com", employee_number="E2")), 409, "uniqueness")
    trail.assert_none()


def test_a_group_and_its_members_moves_are_one_entry_per_call(scim, tenant):
    first = created(scim, user_body("a@example.com", employee_number="E1"))
    second = created(scim, user_body("b@example.com", employee_number="E2"))

    trail = Trail()
    group = created(scim, group_body("Sales", first["id"], second["id"]))
    assert shown(trail.one()) == {
        **client(tenant),
        "action": "scim_group.created",
        "object_type": "scim_group",
        "object_id": group["id"],
        "changes": {"display_name": [None, "Sales"], "members": [None, ["E1", "E2"]]},
    }

    trail = Trail()
    removal = scim.patch(f"/Groups/{group['id']}", [{"op": "remove", "path": f'members[value eq "{second["id"]}"]'}])
    assert removal.status_code in (200, 204), removal.content
    assert shown(trail.one())["changes"] == {"members": [["E1", "E2"], ["E1"]]}

    trail = Trail()
    assert scim.delete(f"/Groups/{group['id']}").status_code == 204
    entry = trail.one()
    assert (entry.action, entry.changes) == (
        "scim_group.deleted",
        {"display_name": ["Sales", None], "members": [["E1"], None]},
    )
