"""Bad input to the HRMS endpoints is a problem+json naming the field, never a 500, and changes nothing:
wrong types, settings or credentials of the wrong shape, oversized members, six-field crons, ratios out of
range, unknown query parameters, ids that are not UUIDs."""

import json

import pytest

from integrations.hrms.tests.factories import HRMS, create_connection, nothing_changes
from tests.support import assert_problem

pytestmark = pytest.mark.django_db
SAME_FOR_POST_AND_PATCH = [
    ({"settings": "ACME"}, [("settings", "invalid")]),
    ({"settings": ["company_id"]}, [("settings", "invalid")]),
    ({"settings": None}, [("settings", "required")]),
    ({"settings": {"company_id": 5}}, [("settings.company_id", "invalid")]),
    ({"settings": {"company_id": "X" * 501}}, [("settings.company_id", "invalid")]),
    ({"credentials": "u:p"}, [("credentials", "invalid")]),
    ({"credentials": ["u", "p"]}, [("credentials", "invalid")]),
    ({"credentials": {"username": {"name": "u"}, "password": "p"}}, [("credentials.username", "invalid")]),
    ({"credentials": {"username": "u", "password": "p" * 2001}}, [("credentials.password", "invalid")]),
    ({"field_map": {f"field{n}": "email" for n in range(51)}}, [("field_map", "invalid")]),
    ({"field_map": {"userId": 5}}, [("field_map.userId", "invalid")]),
    ({"schedule": 5}, [("schedule", "invalid")]),
    ({"max_deactivation_ratio": "abc"}, [("max_deactivation_ratio", "invalid")]),
    ({"max_deactivation_ratio": -1}, [("max_deactivation_ratio", "invalid")]),
    ({"max_deactivation_ratio": 2}, [("max_deactivation_ratio", "invalid")]),
    ({"max_deactivation_ratio": None}, [("max_deactivation_ratio", "invalid")]),
    ({"active": "yes"}, [("active", "invalid")]),
    ({"mode": 5}, [("mode", "invalid")]),
    ({"base_url": 5}, [("base_url", "invalid")]),
]
# What the provider needs, checked by its vendor module once the shapes are right (422 invalid_connection),
# and five cron fields that are not a schedule (422 invalid_schedule).
RULE_CHECKS = [
    ({"schedule": "0 25 * * *"}, [("schedule", "invalid_schedule")]),
    ({"schedule": "0 2 * * * *"}, [("schedule", "invalid_schedule")]),
    ({"settings": {"company_id": "X", "tenant": "acme"}}, [("settings", "invalid")]),
    ({"credentials": {"client_id": "c", "client_secret": "s", "token_url": "ftp://x"}}, [("credentials", "invalid")]),
    ({"field_map": {"a..b": "email"}}, [("field_map", "invalid")]),
    ({"field_map": {"userId": "email", "username": "email"}}, [("field_map", "invalid")]),
    ({"base_url": "https://user:pw@93.184.215.14/"}, [("base_url", "invalid")]),
    ({"base_url": "https://93.184.215.14/?tenant=acme"}, [("base_url", "invalid")]),
]


def ids(value):
    return json.dumps(value)[:60] if isinstance(value, dict) else None


@pytest.mark.parametrize("body, errors", SAME_FOR_POST_AND_PATCH, ids=ids)
def test_a_bad_field_is_400_on_create_and_on_change_and_changes_nothing(api, fake_successfactors, body, errors):
    document = create_connection(api, fake_successfactors.connection())
    with nothing_changes():
        created = api.post(HRMS, {**fake_successfactors.connection(), **body}, format="json")
        changed = api.patch(f"{HRMS}{document['id']}/", body, format="json")
    assert_problem(created, 400, "validation_error", errors)
    assert_problem(changed, 400, "validation_error", errors)


@pytest.mark.parametrize("body, errors", RULE_CHECKS, ids=ids)
def test_what_the_provider_or_a_cron_needs_is_422_on_create_and_on_change_and_changes_nothing(
    api, fake_successfactors, body, errors
):
    document = create_connection(api, fake_successfactors.connection())
    with nothing_changes():
        created = api.post(HRMS, {**fake_successfactors.connection(), **body}, format="json")
        changed = api.patch(f"{HRMS}{document['id']}/", body, format="json")
    code = errors[0][1] if errors[0][1] == "invalid_schedule" else "invalid_connection"
    assert_problem(created, 422, code, errors)
    assert_problem(changed, 422, code, errors)


@pytest.mark.parametrize("body", ["[]", "5", '"text"', "{not json"])
def test_a_body_that_is_not_a_json_object_is_400(api, fake_successfactors, body):
    document = create_connection(api, fake_successfactors.connection())
    with nothing_changes():
        for call in (api.post, api.patch):
            path = HRMS if call == api.post else f"{HRMS}{document['id']}/"
            assert_problem(call(path, body, content_type="application/json"), 400, "malformed_request")
        sync = api.post(f"{HRMS}{document['id']}/sync/", body, content_type="application/json")
        assert_problem(sync, 400, "malformed_request")


def test_sync_and_confirm_take_no_fields(api, fake_successfactors):
    document = create_connection(api, fake_successfactors.connection())
    with nothing_changes():
        response = api.post(f"{HRMS}{document['id']}/sync/", {"mode": "full"}, format="json")
    assert_problem(response, 400, "validation_error", [("mode", "unknown_field")])


@pytest.mark.parametrize(
    "query, errors",
    [
        ({"colour": "plum"}, [("colour", "unknown_parameter")]),
        ({"status": "running", "since": "2026-01-01"}, [("since", "unknown_parameter")]),
        ({"status": "bogus"}, [("status", "invalid")]),
        ({"page_size": "abc"}, [("page_size", "invalid")]),
        ({"cursor": "abc"}, [("cursor", "invalid")]),
    ],
    ids=ids,
)
def test_a_bad_query_parameter_on_the_runs_list_is_400(api, fake_successfactors, query, errors):
    document = create_connection(api, fake_successfactors.connection())
    assert_problem(api.get(f"{HRMS}{document['id']}/runs/", query), 400, "validation_error", errors)


@pytest.mark.parametrize("run_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000", "1"])
def test_an_unknown_run_is_404_through_every_door(api, fake_successfactors, run_id):
    document = create_connection(api, fake_successfactors.connection())
    path = f"{HRMS}{document['id']}/runs/{run_id}/"
    with nothing_changes():
        assert_problem(api.get(path), 404, "run_not_found")
        assert_problem(api.post(path + "confirm/"), 404, "run_not_found")


@pytest.mark.parametrize("connection_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_connection_is_404_through_every_door(api, connection_id):
    path = f"{HRMS}{connection_id}/"
    with nothing_changes():
        for response in (
            api.get(path),
            api.patch(path, {"active": False}, format="json"),
            api.delete(path),
            api.post(path + "sync/"),
            api.get(path + "runs/"),
            api.get(path + "runs/00000000-0000-4000-8000-000000000000/"),
            api.post(path + "runs/00000000-0000-4000-8000-000000000000/confirm/"),
        ):
            assert_problem(response, 404, "connection_not_found")
