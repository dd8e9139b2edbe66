"""SuccessFactors OData v2 against a fake SuccessFactors on 127.0.0.1: __next paging, leavers, the
incremental filter and watermark, field maps, normalisation, authentication, validation."""

import base64

import pytest

from integrations.hrms.tests.fakes import FakeSuccessFactors, fetch_all, make_people, make_person, use_vendor_server
from integrations.hrms.vendors import FetchFailed, vendor_for

ALL_STATUSES = "status in 't','f','T','F','e','d'"


@pytest.fixture
def sf(settings):
    settings.HRMS_RETRY_BACKOFF_SECONDS = 0.001
    leaver = make_person(5, status="inactive", exit_date="2026-02-28", manager=None, country="DE")
    return FakeSuccessFactors(use_vendor_server(settings), people=[*make_people(4), leaver], page_size=2)


def records(pages):
    return [record for page in pages for record in page.records]


def test_a_full_run_follows_next_across_three_pages_and_reads_leavers(sf):
    pages = fetch_all(sf.spec())

    assert [len(page.records) for page in pages] == [2, 2, 1]
    assert [page.errors for page in pages] == [[], [], []]
    assert [record["employee_id"] for record in records(pages)] == [
        "E000001",
        "E000002",
        "E000003",
        "E000004",
        "E000005",
    ]
    assert records(pages)[1] == {
        "employee_id": "E000002",
        "email": "chloe.2@acme.example",
        "first_name": "Chloe",
        "last_name": "Patel",
        "status": "active",
        "role": "Analyst",
        "department": "Finance",
        "business_unit": "BU3",
        "cost_centre": "CC102",
        "country": "IN",
        "manager_employee_id": "E000001",
        "hire_date": "2020-01-03",
        "exit_date": None,
    }
    leaver = records(pages)[4]
    assert (leaver["status"], leaver["exit_date"], leaver["country"], leaver["manager_employee_id"]) == (
        "inactive",
        "2026-02-28",
        "DE",
        None,
    )
    assert pages[-1].next_cursor is None
    assert [page.watermark for page in pages] == ["2026-01-01T00:00:02", "2026-01-01T00:00:04", "2026-01-01T00:00:05"]

    first, second, third = sf.data_requests
    assert first.path == "/odata/v2/User"
    assert first.query == {
        "$format": "json",
        "$select": "email,empInfo/endDate,empInfo/jobInfoNav/businessUnit,empInfo/jobInfoNav/costCenter,"
        "empInfo/jobInfoNav/countryOfCompany,empInfo/jobInfoNav/department,empInfo/jobInfoNav/jobTitle,"
        "empInfo/jobInfoNav/managerId,empInfo/lastDateWorked,firstName,hireDate,lastModifiedDateTime,lastName,"
        "status,userId",
        "$expand": "empInfo,empInfo/jobInfoNav",
        "$filter": ALL_STATUSES,
        "paging": "snapshot",
        "customPageSize": "1000",
    }
    assert first.headers["Authorization"] == "Basic " + base64.b64encode(b"plum_api@ACME:s3cret-password").decode()
    assert (second.page, third.page) == (2, 3)
    assert pages[0].next_cursor["next"].endswith(f"?{_query_string(second)}")
    assert set(third.query) == set(first.query) | {"$skiptoken"}


def _query_string(received):
    from urllib.parse import urlencode

    return urlencode(received.query, safe="$,/'")


def test_the_last_day_worked_stands_in_for_an_empty_end_date(sf):
    sf.people = [
        make_person(
            1,
            status="inactive",
            vendor_fields={"empInfo.endDate": None, "empInfo.lastDateWorked": "/Date(1772236800000)/"},
        )
    ]
    [page] = fetch_all(sf.spec())
    assert (page.records[0]["status"], page.records[0]["exit_date"]) == ("inactive", "2026-02-28")


def test_an_incremental_run_asks_for_changes_after_the_watermark(sf):
    pages = fetch_all(sf.spec(mode="incremental", watermark="2026-01-01T00:00:03"))

    assert [record["employee_id"] for record in records(pages)] == ["E000004", "E000005"]
    assert (
        sf.data_requests[0].query["$filter"]
        == f"{ALL_STATUSES} and lastModifiedDateTime gt datetime'2026-01-01T00:00:03'"
    )
    assert [page.watermark for page in pages] == ["2026-01-01T00:00:05"]


def test_an_incremental_run_with_nothing_new_keeps_the_watermark(sf):
    [page] = fetch_all(sf.spec(mode="incremental", watermark="2026-03-01T00:00:00"))
    assert (page.records, page.errors, page.next_cursor, page.watermark) == ([], [], None, "2026-03-01T00:00:00")


def test_a_full_run_ignores_the_watermark_in_its_filter(sf):
    fetch_all(sf.spec(mode="full", watermark="2026-01-01T00:00:03"))
    assert sf.data_requests[0].query["$filter"] == ALL_STATUSES


def test_an_unreadable_watermark_fails_the_incremental_run_before_any_request(sf):
    with pytest.raises(
        FetchFailed, match=r"The stored watermark \"2026-01-01' or 1 eq 1\" is unreadable; run a full sync."
    ):
        fetch_all(sf.spec(mode="incremental", watermark="2026-01-01' or 1 eq 1"))
    assert sf.requests == []


def test_a_field_map_entry_replaces_a_default_source_and_is_selected(sf):
    sf.people = [make_person(1, vendor_fields={"empInfo.jobInfoNav.customString5": "Platform"})]
    spec = sf.spec(field_map={"username": "email", "empInfo.jobInfoNav.customString5": "department"})
    [page] = fetch_all(spec)

    assert (page.records[0]["email"], page.records[0]["department"]) == ("e000001", "Platform")
    selected = sf.data_requests[0].query["$select"].split(",")
    assert {"username", "empInfo/jobInfoNav/customString5"} <= set(selected)
    assert {"email", "empInfo/jobInfoNav/department"}.isdisjoint(selected)


def test_vendor_values_are_normalised_and_a_bad_one_is_reported_not_returned(sf):
    sf.page_size = 10
    sf.people = [
        make_person(1, vendor_fields={"status": "t", "empInfo.jobInfoNav.countryOfCompany": "United Kingdom"}),
        make_person(2, vendor_fields={"empInfo.jobInfoNav.countryOfCompany": "Atlantis"}),
        make_person(3, status="inactive", vendor_fields={"status": "f", "hireDate": "/Date(1577836800000+0000)/"}),
    ]
    [page] = fetch_all(sf.spec())

    assert [(r["employee_id"], r["status"], r["country"], r["hire_date"]) for r in page.records] == [
        ("E000001", "active", "GB", "2020-01-02"),
        ("E000003", "inactive", "DE", "2020-01-01"),
    ]
    assert page.errors == [
        {
            "index": 1,
            "employee_id": "E000002",
            "field": "country",
            "code": "invalid",
            "message": "empInfo.jobInfoNav.countryOfCompany: 'Atlantis' is not a country (ISO alpha-2, alpha-3 or "
            "English name).",
        }
    ]


def test_a_next_link_to_another_host_is_refused(sf):
    sf.next_host = "localhost"
    with pytest.raises(
        FetchFailed, match="^SuccessFactors pointed the next page at another host than base_url; refused"
    ):
        fetch_all(sf.spec())
    assert len(sf.requests) == 1


def test_oauth_fetches_one_token_for_every_page(sf):
    pages = fetch_all(sf.spec(oauth=True))

    assert len(records(pages)) == 5
    [token_request] = sf.token_requests
    assert token_request.form == {"grant_type": "client_credentials", "company_id": "ACME"}
    client = base64.b64encode(b"plum-client:s3cret-client").decode()
    assert token_request.headers["Authorization"] == f"Basic {client}"
    assert {r.headers["Authorization"] for r in sf.data_requests} == {"Bearer token-1"}


def test_a_revoked_token_is_fetched_again_once(sf):
    fetch_all(sf.spec(oauth=True))
    sf._tokens.clear()  # the vendor revoked it
    assert len(records(fetch_all(sf.spec(oauth=True)))) == 5
    assert len(sf.token_requests) == 2
    assert [r.status for r in sf.data_requests] == [200, 200, 200, 401, 200, 200, 200]


def test_validation():
    vendor = vendor_for("successfactors")
    good = {"base_url": "https://api4.successfactors.com", "settings": {"company_id": "ACME"}, "field_map": {}}
    assert vendor.validate(**good, credentials={"username": "u", "password": "p"}) == []
    oauth = {"client_id": "c", "client_secret": "s", "token_url": "https://api4.successfactors.com/oauth/token"}
    assert vendor.validate(**good, credentials=oauth) == []

    errors = vendor.validate(
        base_url="ftp://files.example",
        settings={"companyId": "ACME"},
        credentials={"username": "u", "password": ""},
        field_map={"userId": "id"},
    )
    assert errors == [
        {"field": "base_url", "code": "invalid", "message": "base_url must be an http(s) URL with a host."},
        {"field": "settings", "code": "required", "message": "settings.company_id is required."},
        {"field": "settings", "code": "invalid", "message": "settings.companyId is unknown; known: company_id."},
        {"field": "credentials", "code": "invalid", "message": "credentials.password must be a non-empty string."},
        {
            "field": "field_map",
            "code": "invalid",
            "message": "'id' (for 'userId') is not an employee field: employee_id, email, first_name, last_name, "
            "status, role, department, business_unit, cost_centre, country, manager_employee_id, hire_date, exit_date.",
        },
    ]
    errors = vendor.validate(
        base_url="https://user:pw@api4.successfactors.com",
        settings={"company_id": "ACME"},
        credentials={"client_id": "c", "token_url": "not a url"},
        field_map={},
    )
    assert errors == [
        {
            "field": "base_url",
            "code": "invalid",
            "message": "base_url must not carry a user name or password; put them in credentials.",
        },
        {"field": "credentials", "code": "required", "message": "credentials.client_secret is required."},
        {
            "field": "credentials",
            "code": "invalid",
            "message": "credentials.token_url must be an http(s) URL with a host.",
        },
    ]


def test_a_token_is_fetched_again_when_it_expires(sf):
    sf.token_expires_in = 0  # expired as soon as it is given
    fetch_all(sf.spec(oauth=True))
    assert len(sf.token_requests) == 3
    assert [r.headers["Authorization"] for r in sf.data_requests] == [
        "Bearer token-1",
        "Bearer token-2",
        "Bearer token-3",
    ]
