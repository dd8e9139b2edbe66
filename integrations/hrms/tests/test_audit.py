"""The audit trail of HRMS connections and runs: one entry per call, never the credentials; a run of many
people is its start and one completion entry with its counts (no entry per employee)."""

import pytest

from integrations.hrms.models import Connection, Run
from integrations.hrms.tests.factories import HRMS, create_connection, start_run
from plum.testing.audit_trail import Trail, assert_nothing_secret, shown

pytestmark = pytest.mark.django_db


def client(tenant) -> dict:
    return {"actor_kind": "client", "actor_id": tenant.client.client_id}


def secrets_of(fake) -> list[str]:
    return [fake.credentials(False)["password"]]


def test_a_connection_created_changed_and_deleted_without_its_credentials(api, tenant, fake_successfactors):
    body = fake_successfactors.connection()
    trail = Trail()
    connection = create_connection(api, body)
    entry = trail.one()
    assert shown(entry) == {
        **client(tenant),
        "action": "hrms_connection.created",
        "object_type": "hrms_connection",
        "object_id": connection["id"],
        "changes": {
            "provider": [None, "successfactors"],
            "base_url": [None, body["base_url"]],
            "settings": [None, body["settings"]],
            "schedule": [None, ""],
            "mode": [None, "full"],
            "field_map": [None, {}],
            "max_deactivation_ratio": [None, 0.1],
            "active": [None, True],
            "credentials": [None, "sent"],
        },
    }
    assert_nothing_secret(entry, *secrets_of(fake_successfactors))

    url = f"{HRMS}{connection['id']}/"
    trail = Trail()
    changed = api.patch(url, {"mode": "incremental", "credentials": body["credentials"]}, format="json")
    assert changed.status_code == 200, changed.content
    entry = trail.one()
    assert (entry.action, entry.changes) == (
        "hrms_connection.updated",
        {"mode": ["full", "incremental"], "credentials": [None, "sent"]},
    )
    assert_nothing_secret(entry, *secrets_of(fake_successfactors))
    trail = Trail()
    assert api.patch(url, {"mode": "incremental"}, format="json").status_code == 200
    trail.assert_none()

    trail = Trail()
    assert api.patch(url, {"schedule": "not a schedule"}, format="json").status_code == 422
    trail.assert_none()
    assert Connection.objects.get().schedule == ""

    trail = Trail()
    assert api.delete(url).status_code == 204
    entry = trail.one()
    assert (entry.action, entry.object_id, entry.changes["provider"]) == (
        "hrms_connection.deleted",
        connection["id"],
        ["successfactors", None],
    )


def test_a_run_is_its_start_and_one_completion_with_counts_not_an_entry_per_person(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    connection = create_connection(api, fake_successfactors.connection())
    trail = Trail()
    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)
    assert run["status"] == "completed" and run["created"] == 5
    started, completed = trail.entries()
    assert shown(started) == {
        **client(tenant),
        "action": "hrms_run.started",
        "object_type": "hrms_run",
        "object_id": run["id"],
        "changes": {
            "connection": [None, connection["id"]],
            "trigger": [None, "api"],
            "mode": [None, "full"],
            "since": [None, ""],
            "status": [None, "queued"],
        },
    }
    counts = {"fetched": 5, "created": 5, "updated": 0, "deactivated": 0, "unchanged": 0, "errors_total": 0}
    assert shown(completed) == {
        "actor_kind": "system",
        "actor_id": None,
        "action": "hrms_sync.completed",
        "object_type": "hrms_run",
        "object_id": run["id"],
        "changes": {"counts": [None, counts]},
    }

    trail = Trail()
    assert api.post(f"{HRMS}{connection['id']}/runs/{run['id']}/confirm/").status_code == 409  # not held
    trail.assert_none()
    assert Run.objects.get().status == "completed"
