"""Darwinbox against a fake employee master API on 127.0.0.1: the active then the inactive dataset,
dates and countries normalised, last_modified for incremental runs, Darwinbox's own refusals."""

import base64

import pytest

from integrations.hrms.tests.fakes import FakeDarwinbox, fetch_all, make_people, make_person, use_vendor_server
from integrations.hrms.vendors import FetchFailed, vendor_for


@pytest.fixture
def darwinbox(settings):
    settings.HRMS_RETRY_BACKOFF_SECONDS = 0.001
    leavers = [make_person(i, status="inactive", exit_date="2026-02-15") for i in (5, 6)]
    return FakeDarwinbox(use_vendor_server(settings), people=[*make_people(4), *leavers])


def test_a_run_reads_the_active_then_the_inactive_dataset(darwinbox):
    active, inactive = fetch_all(darwinbox.spec())

    assert [r["employee_id"] for r in active.records] == ["E000001", "E000002", "E000003", "E000004"]
    assert {r["status"] for r in active.records} == {"active"}
    assert active.records[2] == {
        "employee_id": "E000003",
        "email": "dev.3@acme.example",
        "first_name": "Dev",
        "last_name": "Patel",
        "role": "Engineer",
        "department": "People",
        "business_unit": "BU1",
        "cost_centre": "CC103",
        "country": "DE",
        "manager_employee_id": "E000001",
        "hire_date": "2020-01-04",
        "exit_date": None,
        "status": "active",
    }
    assert [(r["employee_id"], r["status"], r["exit_date"]) for r in inactive.records] == [
        ("E000005", "inactive", "2026-02-15"),
        ("E000006", "inactive", "2026-02-15"),
    ]
    assert (active.errors, inactive.errors) == ([], [])
    assert inactive.next_cursor is None
    assert active.watermark == inactive.watermark

    first, second = darwinbox.requests
    assert [r.json() for r in (first, second)] == [
        {"api_key": "s3cret-api-key", "datasetKey": "dsk-active"},
        {"api_key": "s3cret-api-key", "datasetKey": "dsk-inactive"},
    ]
    assert (first.method, first.path) == ("POST", "/masterapi/employee")
    assert first.headers["Authorization"] == "Basic " + base64.b64encode(b"plum_api:s3cret-password").decode()


def test_an_incremental_run_asks_for_changes_since_the_watermark_less_fourteen_hours(darwinbox):
    darwinbox.people[2]["last_modified"] = "2026-01-10T09:00:00"
    darwinbox.people[5]["last_modified"] = "2026-01-10T08:00:00"
    active, inactive = fetch_all(darwinbox.spec(mode="incremental", watermark="2026-01-10T20:30:00"))

    assert [r.json()["last_modified"] for r in darwinbox.requests] == ["10-01-2026 06:30:00", "10-01-2026 06:30:00"]
    assert [r["employee_id"] for r in active.records + inactive.records] == ["E000003", "E000006"]


def test_a_bad_value_is_reported_and_the_record_left_out(darwinbox):
    darwinbox.people[1]["vendor_fields"] = {"date_of_joining": "31-02-2020"}
    active, _ = fetch_all(darwinbox.spec())
    assert [r["employee_id"] for r in active.records] == ["E000001", "E000003", "E000004"]
    assert active.errors == [
        {
            "index": 1,
            "employee_id": "E000002",
            "field": "hire_date",
            "code": "invalid",
            "message": "date_of_joining: '31-02-2020' is not a date (YYYY-MM-DD, DD-MM-YYYY or /Date(ms)/).",
        }
    ]


def test_darwinbox_refusing_the_api_key_fails_with_its_message_and_no_secret(darwinbox):
    spec = darwinbox.spec(credentials=darwinbox.credentials() | {"api_key": "wrong-key"})
    with pytest.raises(FetchFailed) as caught:
        fetch_all(spec)
    assert str(caught.value) == (
        "Darwinbox refused the active dataset: Invalid api_key (check credentials.api_key and "
        "settings.dataset_key_active)."
    )
    assert len(darwinbox.requests) == 1


def test_an_unknown_inactive_dataset_fails_the_run_on_its_page(darwinbox):
    with pytest.raises(FetchFailed, match=r"^Darwinbox refused the inactive dataset: Invalid datasetKey \(check"):
        fetch_all(darwinbox.spec(settings={"dataset_key_inactive": "dsk-typo"}))
    assert [r.page for r in darwinbox.requests] == [1, 0]


def test_a_refused_password_names_username_and_password(darwinbox):
    darwinbox.status_for_all = 401
    with pytest.raises(
        FetchFailed, match=r"^Darwinbox refused the credentials \(401\): check username and password\.$"
    ):
        fetch_all(darwinbox.spec())


def test_validation():
    vendor = vendor_for("darwinbox")
    good = {
        "base_url": "https://acme.darwinbox.in",
        "settings": {"dataset_key_active": "a", "dataset_key_inactive": "i"},
        "credentials": {"username": "u", "password": "p", "api_key": "k"},
    }
    assert vendor.validate(**good, field_map={"employee_no": "employee_id"}) == []
    assert vendor.validate(**good, field_map={"employee_status": "status"}) == [
        {
            "field": "field_map",
            "code": "invalid",
            "message": "Darwinbox's status comes from the dataset (active or inactive); map no field to status.",
        }
    ]
    oauth = {"client_id": "c", "client_secret": "s", "token_url": "https://acme.darwinbox.in/token"}
    errors = vendor.validate(**(good | {"settings": {"dataset_key_active": "a"}, "credentials": oauth}), field_map={})
    assert [(e["field"], e["code"]) for e in errors] == [
        ("settings", "required"),
        ("credentials", "required"),
        ("credentials", "required"),
        ("credentials", "required"),
        ("credentials", "invalid"),
        ("credentials", "invalid"),
        ("credentials", "invalid"),
    ]
    assert errors[0]["message"] == "settings.dataset_key_inactive is required."
    assert errors[3]["message"] == "credentials.api_key is required."
    assert errors[4]["message"] == "credentials.client_id is unknown; known: username, password, api_key."
