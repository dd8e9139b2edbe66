"""Connections over REST: created with the vendor's checks and the outbound guard, credentials sealed and
never shown, changed, deleted; every refusal a problem+json that changes nothing."""

import json

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations.hrms.models import Connection, Run
from integrations.hrms.tests.factories import CONNECTION_DOCUMENT, HRMS, create_connection, hrms_state, nothing_changes
from integrations.hrms.vendors import PROVIDERS, vendor_for
from plum.core.keys import unseal
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


def stored_credentials(connection_id) -> dict:
    connection = Connection.objects.get(pk=connection_id)
    return json.loads(unseal(connection.credentials_sealed, connection.organisation_id))


@pytest.mark.parametrize("fake", ["fake_successfactors", "fake_workday_raas", "fake_workday_workers", "fake_darwinbox"])
def test_a_connection_of_each_provider_is_created_with_credentials_sealed_and_never_shown(api, tenant, fake, request):
    fake = request.getfixturevalue(fake)
    body = fake.connection(schedule="0 2 * * *", mode="incremental", max_deactivation_ratio=0.25)

    response = api.post(HRMS, body, format="json")

    assert response.status_code == 201, response.content
    document = response.json()
    assert set(document) == CONNECTION_DOCUMENT
    assert {k: document[k] for k in ("provider", "base_url", "settings", "schedule", "mode", "field_map")} == {
        k: body[k] for k in ("provider", "base_url", "settings", "schedule", "mode", "field_map")
    }
    assert (document["max_deactivation_ratio"], document["active"], document["last_run"]) == (0.25, True, None)
    assert stored_credentials(document["id"]) == body["credentials"]
    raw = bytes(Connection.objects.get(pk=document["id"]).credentials_sealed)
    assert all(secret.encode() not in raw for secret in body["credentials"].values())
    for shown in (response, api.get(f"{HRMS}{document['id']}/"), api.get(HRMS)):
        text = shown.content.decode()
        assert "credentials" not in text and all(secret not in text for secret in body["credentials"].values())
    assert api.get(f"{HRMS}{document['id']}/").json() == document


def test_defaults(api, fake_successfactors):
    document = create_connection(api, fake_successfactors.connection())
    assert (document["schedule"], document["mode"], document["max_deactivation_ratio"], document["active"]) == (
        "",
        "full",
        0.1,
        True,
    )


@pytest.mark.parametrize(
    "overrides, code, errors",
    [
        ({"provider": "bamboohr"}, "validation_error", [("provider", "unknown_provider")]),
        ({"schedule": "0 2 * *"}, "invalid_schedule", [("schedule", "invalid_schedule")]),
        ({"schedule": "61 * * * *"}, "invalid_schedule", [("schedule", "invalid_schedule")]),
        ({"schedule": "@daily"}, "invalid_schedule", [("schedule", "invalid_schedule")]),
        ({"field_map": {"userId": "favourite_colour"}}, "invalid_connection", [("field_map", "invalid")]),
        ({"field_map": {"bad path!": "email"}}, "invalid_connection", [("field_map", "invalid")]),
        ({"max_deactivation_ratio": 1.5}, "validation_error", [("max_deactivation_ratio", "invalid")]),
        ({"max_deactivation_ratio": -0.1}, "validation_error", [("max_deactivation_ratio", "invalid")]),
        ({"max_deactivation_ratio": "0.5"}, "validation_error", [("max_deactivation_ratio", "invalid")]),
        ({"max_deactivation_ratio": True}, "validation_error", [("max_deactivation_ratio", "invalid")]),
        ({"mode": "delta"}, "validation_error", [("mode", "invalid")]),
        ({"base_url": "ftp://hr.example.com"}, "validation_error", [("base_url", "invalid")]),
        ({"settings": {}}, "invalid_connection", [("settings", "required")]),
        ({"credentials": {"username": "u"}}, "invalid_connection", [("credentials", "required")]),
        ({"credentials": None}, "validation_error", [("credentials", "required")]),
        ({"colour": "plum"}, "validation_error", [("colour", "unknown_field")]),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else None,
)
def test_an_invalid_connection_is_refused_and_nothing_is_stored(api, fake_successfactors, overrides, code, errors):
    with nothing_changes():
        response = api.post(HRMS, fake_successfactors.connection(**overrides), format="json")
    assert_problem(response, 422 if code in ("invalid_connection", "invalid_schedule") else 400, code, errors)


def test_credentials_are_required(api, fake_successfactors):
    body = fake_successfactors.connection()
    del body["credentials"]
    with nothing_changes():
        assert_problem(api.post(HRMS, body, format="json"), 400, "validation_error", [("credentials", "required")])


def test_a_base_url_the_outbound_guard_refuses_is_422_and_nothing_is_stored(api, fake_successfactors, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # loopback is refused again, as in production
    with nothing_changes():
        response = api.post(HRMS, fake_successfactors.connection(), format="json")
    body = assert_problem(response, 422, "url_not_allowed", [("base_url", "url_not_allowed")])
    assert "Plum may not call this URL" in body["detail"]


def test_patch_changes_what_is_sent_and_replaces_credentials_whole(api, fake_successfactors):
    document = create_connection(api, fake_successfactors.connection())
    new = {"username": "other", "password": "n3w-password"}

    response = api.patch(
        f"{HRMS}{document['id']}/",
        {"mode": "incremental", "max_deactivation_ratio": 0.5, "credentials": new, "active": False},
        format="json",
    )

    assert response.status_code == 200, response.content
    changed = response.json()
    assert (changed["mode"], changed["max_deactivation_ratio"], changed["active"]) == ("incremental", 0.5, False)
    assert changed["settings"] == document["settings"] and changed["base_url"] == document["base_url"]
    assert "n3w-password" not in response.content.decode()
    assert stored_credentials(document["id"]) == new


def test_a_patch_that_changes_nothing_writes_nothing(api, fake_successfactors):
    document = create_connection(api, fake_successfactors.connection())
    with nothing_changes():
        response = api.patch(f"{HRMS}{document['id']}/", {"mode": "full", "schedule": ""}, format="json")
    assert response.json() == document


@pytest.mark.parametrize(
    "changes, status, code, errors",
    [
        ({"provider": "workday"}, 400, "validation_error", [("provider", "invalid")]),
        ({"schedule": "every day"}, 422, "invalid_schedule", [("schedule", "invalid_schedule")]),
        (
            {"settings": {"company": "ACME"}},
            422,
            "invalid_connection",
            [("settings", "required"), ("settings", "invalid")],
        ),
        ({"field_map": {"userId": "salary"}}, 422, "invalid_connection", [("field_map", "invalid")]),
        ({"max_deactivation_ratio": 2}, 400, "validation_error", [("max_deactivation_ratio", "invalid")]),
        ({"id": "x"}, 400, "validation_error", [("id", "unknown_field")]),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else None,
)
def test_an_invalid_patch_is_refused_and_changes_nothing(api, fake_successfactors, changes, status, code, errors):
    document = create_connection(api, fake_successfactors.connection(schedule="0 2 * * *"))
    with nothing_changes():
        response = api.patch(f"{HRMS}{document['id']}/", changes, format="json")
    assert_problem(response, status, code, errors)


def test_a_patched_base_url_goes_through_the_outbound_guard(api, fake_successfactors, settings):
    document = create_connection(api, fake_successfactors.connection())
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with nothing_changes():
        response = api.patch(f"{HRMS}{document['id']}/", {"base_url": "http://127.0.0.2/"}, format="json")
    assert_problem(response, 422, "url_not_allowed", [("base_url", "url_not_allowed")])


def test_delete_removes_the_connection(api, fake_successfactors):
    document = create_connection(api, fake_successfactors.connection(schedule="*/30 * * * *"))

    response = api.delete(f"{HRMS}{document['id']}/")

    assert (response.status_code, response.content) == (204, b"")
    assert_problem(api.get(f"{HRMS}{document['id']}/"), 404, "connection_not_found")
    assert hrms_state()["connections"] == [] and hrms_state()["periodic_tasks"] == []


def test_an_idempotency_key_replays_the_creation(api, fake_successfactors):
    body = fake_successfactors.connection()
    first = api.post(HRMS, body, format="json", HTTP_IDEMPOTENCY_KEY="conn-1")
    again = api.post(HRMS, body, format="json", HTTP_IDEMPOTENCY_KEY="conn-1")
    other = api.post(HRMS, {**body, "mode": "incremental"}, format="json", HTTP_IDEMPOTENCY_KEY="conn-1")

    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert again.json() == first.json()
    assert_problem(other, 422, "idempotency_key_reused")
    assert Connection.objects.count() == 1


def test_the_list_is_paged_oldest_first_and_strict_about_parameters(api, fake_successfactors, fake_darwinbox):
    made = [create_connection(api, fake.connection()) for fake in (fake_successfactors, fake_darwinbox)]

    first = api.get(HRMS, {"page_size": "1"}).json()
    second = api.get(first["next"]).json()

    assert [c["id"] for c in first["results"] + second["results"]] == [c["id"] for c in made]
    assert second["next"] is None
    assert_problem(
        api.get(HRMS, {"provider": "darwinbox"}), 400, "validation_error", [("provider", "unknown_parameter")]
    )


def test_another_organisations_connection_is_not_found(api, fake_successfactors, other_tenant):
    document = create_connection(other_tenant.api(), fake_successfactors.connection())
    path = f"{HRMS}{document['id']}/"
    with nothing_changes():
        for response in (
            api.get(path),
            api.patch(path, {"active": False}, format="json"),
            api.delete(path),
            api.post(path + "sync/"),
            api.get(path + "runs/"),
        ):
            assert_problem(response, 404, "connection_not_found")
    assert api.get(HRMS).json()["results"] == []


def test_lists_take_the_same_queries_whatever_their_length(api, tenant, fake_successfactors):
    """No query per connection (its last run) or per run."""

    def queries(path: str) -> int:
        with CaptureQueriesContext(db) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    first = create_connection(api, fake_successfactors.connection())
    Run.objects.create(organisation=tenant.organisation, connection_id=first["id"], trigger="api", mode="full")
    one = queries(HRMS), queries(f"{HRMS}{first['id']}/runs/")
    for _ in range(4):
        made = create_connection(api, fake_successfactors.connection())
        Run.objects.create(organisation=tenant.organisation, connection_id=made["id"], trigger="api", mode="full")
    Run.objects.filter(connection_id=first["id"]).update(status="completed")
    for _ in range(4):
        Run.objects.create(
            organisation=tenant.organisation, connection_id=first["id"], trigger="api", mode="full", status="failed"
        )
    assert (queries(HRMS), queries(f"{HRMS}{first['id']}/runs/")) == one


def test_every_provider_a_connection_takes_has_a_vendor_module():
    assert sorted(Connection.Provider.values) == sorted(PROVIDERS)
    assert all(vendor_for(provider).provider == provider for provider in PROVIDERS)
