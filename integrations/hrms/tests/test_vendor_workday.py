"""Workday against fake Workday servers on 127.0.0.1: a RaaS report (one page, the customer's columns,
an optional "modified since" prompt) and the REST workers collection (limit/offset, OAuth refresh token)."""

import base64

import pytest

from integrations.hrms.tests.fakes import (
    FakeWorkdayRaas,
    FakeWorkdayWorkers,
    fetch_all,
    make_people,
    make_person,
    use_vendor_server,
)
from integrations.hrms.vendors import FetchFailed, vendor_for

BASIC = "Basic " + base64.b64encode(b"plum_api:s3cret-password").decode()


@pytest.fixture
def raas(settings):
    settings.HRMS_RETRY_BACKOFF_SECONDS = 0.001
    leaver = make_person(4, status="inactive", exit_date="2026-03-31", country="GB")
    return FakeWorkdayRaas(use_vendor_server(settings), people=[*make_people(3), leaver])


@pytest.fixture
def workers(settings):
    settings.HRMS_RETRY_BACKOFF_SECONDS = 0.001
    people = [*make_people(250), make_person(251, status="inactive")]
    return FakeWorkdayWorkers(use_vendor_server(settings), people=people)


def test_a_raas_report_is_one_page_of_its_entries(raas):
    [page] = fetch_all(raas.spec())

    assert page.errors == []
    assert page.records[3] == {
        "employee_id": "E000004",
        "email": "emma.4@acme.example",
        "first_name": "Emma",
        "last_name": "Patel",
        "status": "inactive",
        "role": "Analyst",
        "department": "Support",
        "business_unit": "BU2",
        "cost_centre": "CC104",
        "country": "GB",
        "manager_employee_id": "E000001",
        "hire_date": "2020-01-05",
        "exit_date": "2026-03-31",
    }
    assert page.records[0]["manager_employee_id"] is None
    assert page.next_cursor is None
    [request] = raas.requests
    assert (request.path, request.query) == (
        "/ccx/service/customreport2/acme/ISU_Plum/Plum_Workers",
        {"format": "json"},
    )
    assert request.headers["Authorization"] == BASIC


def test_the_watermark_is_when_the_run_began_reading(raas):
    spec = raas.spec()
    cursor = vendor_for("workday").first_cursor(spec)
    page = vendor_for("workday").fetch(spec, cursor)
    assert page.watermark == cursor["started"]
    assert len(page.watermark) == len("2026-01-01T00:00:00")


def test_a_raas_connection_names_its_own_columns(raas):
    raas.people = [make_person(1, vendor_fields={"Worker_ID": "W-1", "Org": {"Descriptor": "Plum team"}})]
    [page] = fetch_all(raas.spec(field_map={"Worker_ID": "employee_id", "Org.Descriptor": "department"}))
    assert (page.records[0]["employee_id"], page.records[0]["department"]) == ("W-1", "Plum team")


def test_an_incremental_raas_run_fills_the_modified_since_prompt_when_there_is_one(raas):
    fetch_all(raas.spec(mode="incremental", watermark="2026-01-01T00:00:02"))
    assert raas.requests[-1].query == {"format": "json"}

    spec = raas.spec(
        mode="incremental", watermark="2026-01-01T00:00:02", settings={"modified_since_prompt": "Updated_Since"}
    )
    [page] = fetch_all(spec)
    assert raas.requests[-1].query == {"format": "json", "Updated_Since": "2026-01-01T00:00:02"}
    assert [r["employee_id"] for r in page.records] == ["E000003", "E000004"]


def test_an_unexpected_raas_answer_fails(raas):
    raas.server.expect_oneshot_request("/ccx/service/customreport2/acme/ISU_Plum/Plum_Workers").respond_with_json(
        {"Report_Data": []}
    )
    with pytest.raises(
        FetchFailed, match=r'^Workday answered an unexpected shape \(expected \{"Report_Entry": \[...\]\}\)\.$'
    ):
        fetch_all(raas.spec())


def test_the_workers_collection_pages_by_offset_until_the_total(workers):
    pages = fetch_all(workers.spec(oauth=True))

    assert [len(page.records) for page in pages] == [100, 100, 50]
    assert [(r.query["limit"], r.query["offset"]) for r in workers.data_requests] == [
        ("100", "0"),
        ("100", "100"),
        ("100", "200"),
    ]
    assert pages[0].records[1] == {
        "employee_id": "E000002",
        "email": "chloe.2@acme.example",
        "first_name": "Chloe",
        "last_name": "Patel",
        "role": "Analyst",
        "department": "Finance",
        "status": "active",
    }
    assert {page.watermark for page in pages} == {pages[0].watermark}
    assert pages[-1].next_cursor is None


def test_workers_use_the_refresh_token_grant_once_per_token(workers):
    fetch_all(workers.spec(oauth=True))

    [token] = workers.token_requests
    assert token.path == "/ccx/oauth2/acme/token"
    assert token.form == {"grant_type": "refresh_token", "refresh_token": "s3cret-refresh"}
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"plum-client:s3cret-client").decode()
    assert {r.headers["Authorization"] for r in workers.data_requests} == {"Bearer token-1"}


def test_a_refused_refresh_token_names_it(workers):
    spec = workers.spec(credentials=workers.credentials(oauth=True) | {"refresh_token": "revoked"})
    with pytest.raises(FetchFailed) as caught:
        fetch_all(spec)
    assert str(caught.value) == (
        "Workday's token endpoint refused the credentials (400): "
        "check client_id, client_secret, token_url and refresh_token."
    )
    assert workers.data_requests == []


def test_names_come_from_the_descriptor_unless_the_field_map_says_otherwise(workers):
    workers.people = [make_person(1, first_name="Mary", last_name="Ann de la Cruz", vendor_fields={"legalFirst": "M"})]
    [page] = fetch_all(workers.spec())
    assert (page.records[0]["first_name"], page.records[0]["last_name"]) == ("Mary", "Ann de la Cruz")

    [page] = fetch_all(workers.spec(field_map={"legalFirst": "first_name"}))
    assert (page.records[0]["first_name"], page.records[0]["last_name"]) == ("M", "Ann de la Cruz")


def test_validation():
    vendor = vendor_for("workday")
    base = {"base_url": "https://wd2-impl-services1.workday.com", "field_map": {}}
    basic = {"username": "ISU_Plum", "password": "p"}
    oauth = {"client_id": "c", "client_secret": "s", "token_url": "https://wd2.example/token", "refresh_token": "r"}
    raas = {"tenant": "acme", "report_owner": "ISU_Plum", "report_name": "Plum_Workers"}
    assert vendor.validate(**base, settings=raas, credentials=basic) == []
    assert vendor.validate(**base, settings=raas | {"modified_since_prompt": "Since"}, credentials=oauth) == []
    assert vendor.validate(**base, settings={"tenant": "acme", "api": "workers"}, credentials=oauth) == []

    assert vendor.validate(**base, settings={"tenant": "acme", "report_owner": "ISU_Plum"}, credentials=basic) == [
        {"field": "settings", "code": "required", "message": "settings.report_name is required."}
    ]
    assert vendor.validate(**base, settings={"tenant": "acme", "api": "soap"}, credentials=basic) == [
        {"field": "settings", "code": "invalid", "message": 'settings.api can only be "workers".'}
    ]
    assert vendor.validate(**base, settings={"api": "workers"}, credentials={"password": "p"}) == [
        {"field": "settings", "code": "required", "message": "settings.tenant is required."},
        {"field": "credentials", "code": "required", "message": "credentials.username is required."},
    ]


def test_an_empty_workers_page_ends_the_run_whatever_the_total_says(workers):
    workers.server.expect_oneshot_request("/ccx/api/v1/acme/workers").respond_with_json({"total": 500, "data": []})
    [page] = fetch_all(workers.spec())
    assert (page.records, page.next_cursor) == ([], None)
