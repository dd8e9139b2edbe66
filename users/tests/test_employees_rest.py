"""Employees over REST: create, retrieve, deactivate, validation, methods and media types.

PATCH is in test_employees_rest_update.py, lists and filters in test_employees_rest_list.py.
"""

import json

import pytest

from plum.core.models import OutboxEvent
from plum.core.scopes import ALL_SCOPES
from tests.conftest import employee_payload
from tests.support import assert_problem, events, nothing_changes, parse_time
from users.models import BusinessUnit, CostCentre, Employee

EMPLOYEES = "/api/v1/employees/"


def full_payload(employee_id="E100", **fields):
    return employee_payload(
        employee_id,
        status="active",
        role="Engineer",
        department="Platform",
        business_unit="ENG",
        cost_centre="CC-100",
        country="gb",
        manager_employee_id="M1",
        hire_date="2021-03-01",
        exit_date="2030-12-31",
        slack_user_id="U123",
        teams_user_id="29:abc",
        **fields,
    )


@pytest.fixture
def api(tenant):
    client = tenant.api()
    client.raise_request_exception = False  # a 500 must show up as a failed status assertion
    return client


def create(api, employee_id="E1", **fields):
    response = api.post(EMPLOYEES, employee_payload(employee_id, **fields), format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- Create ----------------------------------------------------------------------------------


def test_create_answers_201_with_the_full_document(api, tenant):
    create(api, "M1")

    response = api.post(EMPLOYEES, full_payload(), format="json")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    body = response.json()
    stored = Employee.objects.get(organisation=tenant.organisation, employee_id="E100")
    assert body == {
        "employee_id": "E100",
        "email": "e100@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "status": "active",
        "role": "Engineer",
        "department": "Platform",
        "business_unit": "ENG",
        "cost_centre": "CC-100",
        "country": "GB",
        "manager_employee_id": "M1",
        "hire_date": "2021-03-01",
        "exit_date": "2030-12-31",
        "slack_user_id": "U123",
        "teams_user_id": "29:abc",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert parse_time(body["created_at"]) == stored.created_at
    assert parse_time(body["updated_at"]) == stored.updated_at
    assert stored.country == "GB"
    assert stored.manager.employee_id == "M1"
    assert (stored.business_unit.code, stored.cost_centre.code) == ("ENG", "CC-100")


def test_create_with_only_required_fields_fills_defaults_and_trims(api):
    response = api.post(
        EMPLOYEES,
        {"employee_id": " E2 ", "email": " e2@example.com ", "first_name": " Grace ", "last_name": "Hopper"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    del body["created_at"], body["updated_at"]
    assert body == {
        "employee_id": "E2",
        "email": "e2@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "status": "active",
        "role": "",
        "department": "",
        "business_unit": None,
        "cost_centre": None,
        "country": "",
        "manager_employee_id": None,
        "hire_date": None,
        "exit_date": None,
        "slack_user_id": "",
        "teams_user_id": "",
    }
    assert list(Employee.objects.values_list("employee_id", flat=True)) == ["E2"]


def test_business_units_and_cost_centres_are_created_on_first_use_and_listed(api, tenant, other_tenant):
    create(api, "E1", business_unit="ENG", cost_centre="CC-2")
    create(api, "E2", business_unit="ENG", cost_centre="CC-1")

    units = api.get("/api/v1/business-units/").json()
    centres = api.get("/api/v1/cost-centres/").json()

    assert [(u["code"], u["name"]) for u in units["results"]] == [("ENG", "")]
    assert [(c["code"], c["name"]) for c in centres["results"]] == [("CC-1", ""), ("CC-2", "")]
    assert (units["next"], units["previous"]) == (None, None)
    stored = BusinessUnit.objects.get(organisation=tenant.organisation, code="ENG")
    assert parse_time(units["results"][0]["created_at"]) == stored.created_at
    assert CostCentre.objects.count() == 2
    assert other_tenant.api().get("/api/v1/business-units/").json()["results"] == []


def test_create_with_an_existing_employee_id_is_409_and_changes_nothing(api):
    create(api, "E1")
    with nothing_changes():
        response = api.post(EMPLOYEES, employee_payload("E1", business_unit="NEW-UNIT"), format="json")
    assert_problem(response, 409, "employee_exists", [("employee_id", "employee_exists")])


def test_the_same_employee_id_in_another_organisation_is_a_different_employee(api, other_tenant):
    create(api, "E1")
    response = other_tenant.api().post(EMPLOYEES, employee_payload("E1", first_name="Other"), format="json")
    assert response.status_code == 201
    assert sorted(Employee.objects.values_list("first_name", flat=True)) == ["Ada", "Other"]


INVALID_CREATES = {
    "nothing": (
        {},
        [("employee_id", "required"), ("email", "required"), ("first_name", "required"), ("last_name", "required")],
    ),
    "bad email": (employee_payload(email="not-an-email"), [("email", "invalid")]),
    "email too long": (employee_payload(email="a" * 250 + "@example.com"), [("email", "invalid")]),
    "unknown country": (employee_payload(country="XX"), [("country", "invalid")]),
    "alpha-3 country": (employee_payload(country="GBR"), [("country", "invalid")]),
    "ligature folding to a code": (employee_payload(country="\ufb01"), [("country", "invalid")]),
    "exit before hire": (employee_payload(hire_date="2024-05-01", exit_date="2024-04-30"), [("exit_date", "invalid")]),
    "day out of range": (employee_payload(hire_date="2024-02-30"), [("hire_date", "invalid")]),
    "date not YYYY-MM-DD": (employee_payload(hire_date="01/02/2024"), [("hire_date", "invalid")]),
    "compact date": (employee_payload(exit_date="20240101"), [("exit_date", "invalid")]),
    "number as employee_id": ({**employee_payload(), "employee_id": 123}, [("employee_id", "invalid")]),
    "list as name": (employee_payload(first_name=["Ada"]), [("first_name", "invalid")]),
    "number as date": (employee_payload(hire_date=20240101), [("hire_date", "invalid")]),
    "object as unit": (employee_payload(business_unit={"code": "ENG"}), [("business_unit", "invalid")]),
    "boolean as status": (employee_payload(status=True), [("status", "invalid")]),
    "unknown status": (employee_payload(status="retired"), [("status", "invalid")]),
    "null name": (employee_payload(first_name=None), [("first_name", "required")]),
    "blank name": (employee_payload(last_name="  "), [("last_name", "invalid")]),
    "space in employee_id": ({**employee_payload(), "employee_id": "E 1"}, [("employee_id", "invalid")]),
    "employee_id too long": (employee_payload("E" * 65), [("employee_id", "invalid")]),
    "role too long": (employee_payload(role="r" * 151), [("role", "invalid")]),
    "unit code too long": (employee_payload(business_unit="B" * 65), [("business_unit", "invalid")]),
    "NUL character": (employee_payload(first_name="Ad\u0000a"), [("first_name", "invalid")]),
    "unknown field": (employee_payload(nickname="Ada"), [("nickname", "unknown_field")]),
    "read-only field": (employee_payload(created_at="2024-01-01T00:00:00Z"), [("created_at", "unknown_field")]),
    "several problems at once": (
        {"employee_id": "E1", "email": "nope", "first_name": "Ada", "country": "ZZ"},
        [("email", "invalid"), ("country", "invalid"), ("last_name", "required")],
    ),
}


@pytest.mark.parametrize("payload, errors", INVALID_CREATES.values(), ids=INVALID_CREATES.keys())
def test_invalid_create_is_400_with_every_field_error(api, payload, errors):
    with nothing_changes():
        response = api.post(EMPLOYEES, payload, format="json")
    assert_problem(response, 400, "validation_error", errors)


def test_a_lone_surrogate_is_400_not_500(api):
    # Valid JSON that cannot be stored as UTF-8, in a value and in an unknown key.
    body = '{"employee_id": "E1", "email": "e1@example.com", "first_name": "Ada", "last_name": "L",'
    body += ' "role": "\\ud800", "\\udfff": 1}'
    with nothing_changes():
        response = api.post(EMPLOYEES, body, content_type="application/json")
    assert_problem(response, 400, "validation_error", [("\\udfff", "unknown_field"), ("role", "invalid")])


def test_create_with_an_unknown_manager_is_422(api):
    with nothing_changes():
        response = api.post(EMPLOYEES, employee_payload("E1", manager_employee_id="GHOST"), format="json")
    assert_problem(response, 422, "manager_not_found", [("manager_employee_id", "manager_not_found")])


def test_create_with_a_manager_of_another_organisation_is_422(api, other_tenant):
    other_tenant.api().post(EMPLOYEES, employee_payload("BOSS"), format="json")
    with nothing_changes():
        response = api.post(EMPLOYEES, employee_payload("E1", manager_employee_id="BOSS"), format="json")
    assert_problem(response, 422, "manager_not_found", [("manager_employee_id", "manager_not_found")])


def test_create_managing_oneself_is_422(api):
    with nothing_changes():
        response = api.post(EMPLOYEES, employee_payload("E1", manager_employee_id="E1"), format="json")
    assert_problem(response, 422, "manager_is_self", [("manager_employee_id", "manager_is_self")])


def test_a_repeated_idempotency_key_replays_the_first_answer(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-e1"}
    first = api.post(EMPLOYEES, employee_payload("E1"), format="json", **headers)
    with nothing_changes():
        replay = api.post(EMPLOYEES, employee_payload("E1"), format="json", **headers)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert events() == [("employee.created", "E1")]


# --- Retrieve --------------------------------------------------------------------------------


def test_retrieve_answers_the_same_document_as_create(api):
    created = create(api, "E1", country="de", business_unit="OPS")
    response = api.get(f"{EMPLOYEES}E1/")
    assert response.status_code == 200
    assert response.json() == created


@pytest.mark.parametrize("employee_id", ["NOPE", "%00", "E1%00", "%F0%9F%92%A9"])
def test_retrieve_unknown_is_404(api, employee_id):
    create(api, "E1")
    response = api.get(f"{EMPLOYEES}{employee_id}/")
    assert_problem(response, 404, "employee_not_found")


def test_another_organisations_employee_is_404_on_every_call(api, other_tenant):
    other_tenant.api().post(EMPLOYEES, employee_payload("THEIRS"), format="json")
    with nothing_changes():
        answers = [
            api.get(f"{EMPLOYEES}THEIRS/"),
            api.patch(f"{EMPLOYEES}THEIRS/", {"role": "Mine now"}, format="json"),
            api.post(f"{EMPLOYEES}THEIRS/deactivate/"),
        ]
    for response in answers:
        assert_problem(response, 404, "employee_not_found")


# --- Deactivate ------------------------------------------------------------------------------


def test_deactivate_answers_the_inactive_employee_and_emits_one_event(api):
    created = create(api, "E1", business_unit="ENG")

    response = api.post(f"{EMPLOYEES}E1/deactivate/")

    assert response.status_code == 200
    body = response.json()
    assert body == {**created, "status": "inactive", "updated_at": body["updated_at"]}
    assert parse_time(body["updated_at"]) > parse_time(created["updated_at"])
    assert Employee.objects.get(employee_id="E1").status == "inactive"
    event = OutboxEvent.objects.get(event_type="employee.deactivated")
    assert (event.aggregate_type, event.aggregate_id, event.payload) == ("employee", "E1", body)


def test_deactivate_is_idempotent(api):
    create(api, "E1")
    first = api.post(f"{EMPLOYEES}E1/deactivate/")
    with nothing_changes():
        second = api.post(f"{EMPLOYEES}E1/deactivate/")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == first.json()
    assert events() == [("employee.created", "E1"), ("employee.deactivated", "E1")]


def test_deactivate_unknown_is_404(api):
    create(api, "E1")
    with nothing_changes():
        response = api.post(f"{EMPLOYEES}E2/deactivate/")
    assert_problem(response, 404, "employee_not_found")


# --- Outbox ----------------------------------------------------------------------------------


def test_create_writes_employee_created_with_the_document(api, tenant):
    body = create(api, "E1", department="Sales")
    event = OutboxEvent.objects.get()
    assert event.organisation_id == tenant.organisation.id
    assert (event.event_type, event.aggregate_type, event.aggregate_id) == ("employee.created", "employee", "E1")
    assert event.payload == body
    assert event.published_at is None


def test_the_event_is_written_in_the_transaction_of_the_change(api, monkeypatch):
    def broken_outbox(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("plum.core.audit.entries.outbox_emit", broken_outbox)
    with nothing_changes():
        response = api.post(EMPLOYEES, employee_payload("E1", business_unit="ENG"), format="json")
    assert response.status_code == 500  # a genuine failure, and the employee was not kept without its event


# --- Scopes, methods, media types -------------------------------------------------------------


def test_writing_needs_employees_write(tenant):
    reader = tenant.api(scopes=[s for s in ALL_SCOPES if s != "employees:write"])
    with nothing_changes():
        answers = [
            reader.post(EMPLOYEES, employee_payload("E1"), format="json"),
            reader.post(f"{EMPLOYEES}sync/", {"mode": "upsert", "employees": []}, format="json"),
        ]
    for response in answers:
        assert_problem(response, 403, "insufficient_scope")
    assert reader.get(EMPLOYEES).status_code == 200


def test_no_token_is_401(db):
    from rest_framework.test import APIClient

    response = APIClient().get(EMPLOYEES)
    assert_problem(response, 401, "not_authenticated")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_unsupported_methods_are_405(api, method):
    create(api, "E1")
    with nothing_changes():
        on_item = getattr(api, method)(f"{EMPLOYEES}E1/", employee_payload("E1"), format="json")
        on_list = getattr(api, method)(EMPLOYEES, employee_payload("E1"), format="json")
    assert_problem(on_item, 405, "method_not_allowed")
    assert_problem(on_list, 405, "method_not_allowed")
    assert on_item["Allow"] == "GET, PATCH, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "body",
    ['{"employee_id": "E1",', "not json", '["E1"]', '"E1"', "null", '{"employee_id": NaN}'],
    ids=["truncated", "not json", "array", "string", "null", "NaN"],
)
def test_a_body_that_is_not_a_json_object_is_400(api, body):
    with nothing_changes():
        response = api.post(EMPLOYEES, body, content_type="application/json")
    assert_problem(response, 400, "malformed_request")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_415(api, content_type):
    body = json.dumps(employee_payload("E1"))
    with nothing_changes():
        created = api.post(EMPLOYEES, body, content_type=content_type)
        patched = api.patch(f"{EMPLOYEES}E1/", body, content_type=content_type)
    assert_problem(created, 415, "unsupported_media_type")
    assert_problem(patched, 415, "unsupported_media_type")
