"""GET/POST /api/v1/integrations/hook-endpoints/, GET/PATCH/DELETE …/{id}/, POST …/{id}/rotate-secret/:
the secret shown once and stored sealed, the mapping checked when saved, tenancy and scopes."""

import re
import uuid

import pytest

from integrations.events.models import HookEndpoint
from integrations.events.tests.test_hook_helpers import DARWINBOX_MAPPING, HOOK_ENDPOINTS, create_endpoint
from plum.core.keys import unseal
from plum.core.scopes import ALL_SCOPES, Scope
from tests.support import assert_problem

pytestmark = pytest.mark.django_db
FIELDS = {"id", "name", "url", "mapping", "active"}


def test_creation_answers_the_secret_once_and_stores_it_sealed(api, tenant):
    made = create_endpoint(api)
    assert set(made) == FIELDS | {"secret"}
    assert made["name"] == "Darwinbox KPI" and made["mapping"] == DARWINBOX_MAPPING and made["active"] is True
    assert re.fullmatch(r"/hooks/[A-Za-z0-9_-]{32}/", made["url"])
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", made["secret"])
    row = HookEndpoint.objects.get()
    assert made["secret"].encode() not in bytes(row.secret_sealed)
    assert unseal(row.secret_sealed, tenant.organisation.id) == made["secret"]
    shown = api.get(f"{HOOK_ENDPOINTS}{made['id']}/").json()
    assert shown == {key: made[key] for key in FIELDS}
    assert api.get(HOOK_ENDPOINTS).json()["results"] == [shown]


def test_endpoint_keys_and_secrets_differ_between_endpoints(api):
    first, second = create_endpoint(api), create_endpoint(api)
    assert first["url"] != second["url"] and first["secret"] != second["secret"]


def test_a_repeated_idempotency_key_answers_the_same_endpoint_without_its_secret(api):
    body = {"name": "Survey", "mapping": DARWINBOX_MAPPING}
    first = api.post(HOOK_ENDPOINTS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post(HOOK_ENDPOINTS, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == {key: first.json()[key] for key in FIELDS}
    assert HookEndpoint.objects.count() == 1
    other = api.post(HOOK_ENDPOINTS, {**body, "name": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert_problem(other, 422, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("mapping", "errors"),
    [
        ([], [("mapping", "invalid")]),
        ({}, [("mapping.event_id", "required"), ("mapping.type", "required"), ("mapping.employee_id", "required")]),
        ({**DARWINBOX_MAPPING, "event_id": "id"}, [("mapping.event_id", "invalid")]),
        ({**DARWINBOX_MAPPING, "employee_id": "/a/~2b"}, [("mapping.employee_id", "invalid")]),
        ({**DARWINBOX_MAPPING, "employee_id": 7}, [("mapping.employee_id", "invalid")]),
        ({**DARWINBOX_MAPPING, "type": "=has space"}, [("mapping.type", "invalid")]),
        ({**DARWINBOX_MAPPING, "occurred_at": "=2026-01-01T00:00:00Z"}, [("mapping.occurred_at", "invalid")]),
        ({**DARWINBOX_MAPPING, "colour": "/c"}, [("mapping.colour", "unknown_field")]),
        ({**DARWINBOX_MAPPING, "data": {"score": "score"}}, [("mapping.data.score", "invalid")]),
        ({**DARWINBOX_MAPPING, "data": "/a\u0000"}, [("mapping", "invalid")]),
    ],
)
def test_a_bad_mapping_is_400_naming_the_field(api, mapping, errors):
    response = api.post(HOOK_ENDPOINTS, {"name": "x", "mapping": mapping}, format="json")
    assert_problem(response, 400, "validation_error", errors)
    assert HookEndpoint.objects.count() == 0


def test_every_pointer_form_and_optional_field_is_accepted(api):
    mapping = {"event_id": "", "type": "/a~1b/~0c/0", "employee_id": "/-", "data": {"score": "/s", "all": ""}}
    assert create_endpoint(api, mapping=mapping)["mapping"] == mapping


def test_other_fields_are_checked_too(api):
    response = api.post(
        HOOK_ENDPOINTS, {"name": " ", "mapping": DARWINBOX_MAPPING, "active": "yes", "x": 1}, format="json"
    )
    assert_problem(
        response, 400, "validation_error", [("x", "unknown_field"), ("name", "invalid"), ("active", "invalid")]
    )


def test_patch_changes_only_what_it_names_and_checks_the_mapping(api):
    made = create_endpoint(api)
    url = f"{HOOK_ENDPOINTS}{made['id']}/"
    changed = api.patch(url, {"name": "Renamed", "mapping": {**DARWINBOX_MAPPING, "type": "=kpi.met"}}, format="json")
    assert changed.status_code == 200
    assert changed.json() == {
        **{k: made[k] for k in FIELDS},
        "name": "Renamed",
        "mapping": {**DARWINBOX_MAPPING, "type": "=kpi.met"},
    }
    assert_problem(
        api.patch(url, {"mapping": {"type": "/t"}}, format="json"),
        400,
        "validation_error",
        [("mapping.event_id", "required"), ("mapping.employee_id", "required")],
    )
    assert_problem(api.patch(url, {"name": None}, format="json"), 400, "validation_error", [("name", "required")])
    assert_problem(
        api.patch(url, {"endpoint_id": str(uuid.uuid4())}, format="json"),
        400,
        "validation_error",
        [("endpoint_id", "unknown_field")],
    )
    assert api.get(url).json()["name"] == "Renamed"
    secret_before = bytes(HookEndpoint.objects.get().secret_sealed)
    assert api.patch(url, {"active": False}, format="json").json()["active"] is False
    assert bytes(HookEndpoint.objects.get().secret_sealed) == secret_before


def test_delete_deactivates_and_keeps_the_endpoint(api):
    made = create_endpoint(api)
    url = f"{HOOK_ENDPOINTS}{made['id']}/"
    response = api.delete(url)
    assert response.status_code == 200
    assert response.json() == {**{k: made[k] for k in FIELDS}, "active": False}
    assert api.delete(url).status_code == 200  # again: the same answer
    assert HookEndpoint.objects.filter(active=False).count() == 1
    assert api.patch(url, {"active": True}, format="json").json()["active"] is True


def test_rotation_answers_a_new_secret_once(api, tenant):
    made = create_endpoint(api)
    rotated = api.post(f"{HOOK_ENDPOINTS}{made['id']}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json() == {**{k: made[k] for k in FIELDS}, "secret": rotated.json()["secret"]}
    row = HookEndpoint.objects.get()
    assert unseal(row.secret_sealed, tenant.organisation.id) == rotated.json()["secret"]
    assert unseal(row.previous_secret_sealed, tenant.organisation.id) == made["secret"]
    assert "secret" not in api.get(f"{HOOK_ENDPOINTS}{made['id']}/").json()
    body = api.post(f"{HOOK_ENDPOINTS}{made['id']}/rotate-secret/", {"x": 1}, format="json")
    assert_problem(body, 400, "validation_error", [("x", "unknown_field")])


def test_another_organisation_s_endpoint_is_404_everywhere(api, other_tenant):
    theirs = create_endpoint(other_tenant.api())
    url = f"{HOOK_ENDPOINTS}{theirs['id']}/"
    assert api.get(HOOK_ENDPOINTS).json()["results"] == []
    assert_problem(api.get(url), 404, "hook_endpoint_not_found")
    assert_problem(api.patch(url, {"name": "mine"}, format="json"), 404, "hook_endpoint_not_found")
    assert_problem(api.delete(url), 404, "hook_endpoint_not_found")
    assert_problem(api.post(f"{url}rotate-secret/"), 404, "hook_endpoint_not_found")
    row = HookEndpoint.objects.get()
    assert (row.name, row.active, row.previous_secret_sealed) == ("Darwinbox KPI", True, None)
    assert_problem(api.get(f"{HOOK_ENDPOINTS}not-a-uuid/"), 404, "not_found")


def test_every_call_needs_integrations_manage(tenant):
    other_scopes = tenant.api(scopes=[s for s in ALL_SCOPES if s != Scope.INTEGRATIONS_MANAGE])
    made = create_endpoint(tenant.api())
    url = f"{HOOK_ENDPOINTS}{made['id']}/"
    for response in (
        other_scopes.get(HOOK_ENDPOINTS),
        other_scopes.post(HOOK_ENDPOINTS, {"name": "x", "mapping": DARWINBOX_MAPPING}, format="json"),
        other_scopes.get(url),
        other_scopes.patch(url, {"name": "y"}, format="json"),
        other_scopes.delete(url),
        other_scopes.post(f"{url}rotate-secret/"),
    ):
        assert_problem(response, 403, "insufficient_scope")
    row = HookEndpoint.objects.get()
    assert (HookEndpoint.objects.count(), row.name, row.active, row.previous_secret_sealed) == (
        1,
        "Darwinbox KPI",
        True,
        None,
    )
    from rest_framework.test import APIClient

    assert_problem(APIClient().get(HOOK_ENDPOINTS), 401, "not_authenticated")
