"""Vendor records to canonical employee records: paths, field maps and their validation, normalisation."""

import pytest

from integrations.hrms.vendors import PROVIDERS, vendor_for
from integrations.hrms.vendors.mapping import (
    MISSING,
    Invalid,
    Mapper,
    field_map_errors,
    lookup,
    merged,
    odata_datetime,
    to_country,
    to_date,
    to_status,
)

SF_USER = {
    "userId": "E1",
    "empInfo": {"endDate": None, "jobInfoNav": {"results": [{"costCenter": "CC1", "managerId": "NO_MANAGER"}]}},
    "groups": [{"code": "G1"}, {"code": "G2"}],
}


def test_paths_read_odata_navigations_and_lists_at_their_first_entry():
    assert lookup(SF_USER, "userId") == "E1"
    assert lookup(SF_USER, "empInfo.jobInfoNav.costCenter") == "CC1"
    assert lookup(SF_USER, "groups.code") == "G1"
    assert lookup(SF_USER, "empInfo.endDate") is None
    assert lookup(SF_USER, "empInfo.startDate") is MISSING
    assert lookup(SF_USER, "userId.more") is MISSING
    assert lookup({"empInfo": {"jobInfoNav": {"results": []}}}, "empInfo.jobInfoNav.costCenter") is MISSING


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("GB", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("usa", "US"),
        ("India", "IN"),
        ("united kingdom", "GB"),
        (" Germany ", "DE"),
        ("", ""),
        (None, ""),
    ],
)
def test_countries_become_alpha_2(value, expected):
    assert to_country(value) == expected


def test_an_unknown_country_is_invalid():
    with pytest.raises(Invalid, match="'Atlantis' is not a country"):
        to_country("Atlantis")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/Date(1577836800000)/", "2020-01-01"),
        ("/Date(1577836800000+0000)/", "2020-01-01"),
        ("/Date(-86400000)/", "1969-12-31"),
        ("/Date(253402214400000)/", None),  # 9999-12-31: an effective-dated record that never ends
        ("15-04-2019", "2019-04-15"),
        ("15-Apr-2019", "2019-04-15"),
        ("2019-04-15", "2019-04-15"),
        ("2019-04-15T10:00:00.000Z", "2019-04-15"),
        ("2019-04-15-07:00", "2019-04-15"),
        ("2019-04-15+05:30", "2019-04-15"),
        ("", None),
        (None, None),
    ],
)
def test_dates_become_iso(value, expected):
    assert to_date(value) == expected


@pytest.mark.parametrize("value", ["31-02-2020", "2020-13-01", "soon", "/Date(abc)/", "04/15/2019"])
def test_a_bad_date_is_invalid(value):
    with pytest.raises(Invalid, match="is not a date"):
        to_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(value, "active") for value in ("active", "T", "1", True, "Active")],
        *[(value, "inactive") for value in ("inactive", "f", "0", False, "Terminated")],
    ],
)
def test_statuses(value, expected):
    assert to_status(value) == expected


def test_an_unknown_status_is_invalid_and_an_empty_one_is_left_out():
    with pytest.raises(Invalid, match="'on leave' is not a status"):
        to_status("on leave")
    assert to_status("") is MISSING


def test_odata_instants_become_watermarks_to_the_second():
    assert odata_datetime("/Date(1767225601999+0000)/") == "2026-01-01T00:00:01"
    assert odata_datetime("2026-01-01") is None
    assert odata_datetime(None) is None


def test_a_field_map_entry_replaces_the_default_source_of_its_field():
    defaults = {"userId": "employee_id", "email": "email", "custom.mail": "role"}
    assert merged(defaults, {"username": "email"}) == {
        "userId": "employee_id",
        "custom.mail": "role",
        "username": "email",
    }
    assert merged(defaults, {}) == defaults


def test_field_map_validation_names_every_problem():
    errors = field_map_errors(
        {"ok.path": "email", "bad path": "role", "x..y": "department", "a": "salary", "b": "email"}
    )
    assert errors == [
        {
            "field": "field_map",
            "code": "invalid",
            "message": "'bad path' is not a vendor field path (names joined by dots).",
        },
        {
            "field": "field_map",
            "code": "invalid",
            "message": "'x..y' is not a vendor field path (names joined by dots).",
        },
        {
            "field": "field_map",
            "code": "invalid",
            "message": "'salary' (for 'a') is not an employee field: employee_id, email, first_name, last_name, "
            "status, role, department, business_unit, cost_centre, country, manager_employee_id, hire_date, exit_date.",
        },
        {"field": "field_map", "code": "invalid", "message": "'ok.path' and 'b' both fill email."},
    ]
    assert field_map_errors([]) == [
        {
            "field": "field_map",
            "code": "invalid",
            "message": "field_map must be an object of vendor path -> employee field.",
        }
    ]
    assert field_map_errors({}) == []


def test_every_default_field_map_is_valid():
    for provider in PROVIDERS:
        vendor = vendor_for(provider)
        for settings in ({}, {"api": "workers"}):
            assert field_map_errors(vendor.defaults(settings)) == []


def test_a_record_keeps_only_the_fields_its_source_has_and_a_bad_value_reports_the_record():
    mapper = Mapper({"id": "employee_id", "mail": "email", "dept": "department", "boss": "manager_employee_id"})
    records, errors = mapper.page(
        [
            {"id": 7, "mail": " a@b.example "},
            {"id": "E2", "mail": None, "dept": None, "boss": ""},
            {"mail": "x@y.example"},
            "not a record",
        ]
    )
    assert records == [
        {"employee_id": "7", "email": "a@b.example"},
        {"employee_id": "E2", "department": "", "manager_employee_id": None},
    ]
    assert errors == [
        {
            "index": 2,
            "employee_id": None,
            "field": "employee_id",
            "code": "invalid",
            "message": "The record has no employee id (id).",
        },
        {
            "index": 3,
            "employee_id": None,
            "field": "employee_id",
            "code": "invalid",
            "message": "The vendor record is not an object.",
        },
    ]


def test_a_value_that_does_not_normalise_names_its_path_and_field():
    mapper = Mapper({"id": "employee_id", "land": "country", "start": "hire_date", "org": "department"})
    records, errors = mapper.page(
        [
            {"id": "E1", "land": "Atlantis"},
            {"id": "E2", "start": "31-02-2020"},
            {"id": "E3", "org": {"descriptor": "Sales"}},
            {"id": "E4", "land": "FRA", "start": "/Date(1577836800000)/"},
        ]
    )
    assert records == [{"employee_id": "E4", "country": "FR", "hire_date": "2020-01-01"}]
    assert errors == [
        {
            "index": 0,
            "employee_id": "E1",
            "field": "country",
            "code": "invalid",
            "message": "land: 'Atlantis' is not a country (ISO alpha-2, alpha-3 or English name).",
        },
        {
            "index": 1,
            "employee_id": "E2",
            "field": "hire_date",
            "code": "invalid",
            "message": "start: '31-02-2020' is not a date (YYYY-MM-DD, DD-MM-YYYY or /Date(ms)/).",
        },
        {
            "index": 2,
            "employee_id": "E3",
            "field": "department",
            "code": "invalid",
            "message": "org: is an object, not a value; name a field inside it.",
        },
    ]


def test_empty_names_and_email_are_left_out_and_other_empty_text_is_cleared():
    mapper = Mapper({"id": "employee_id", "mail": "email", "first": "first_name", "dept": "department"})
    records, errors = mapper.page([{"id": "E1", "mail": "", "first": None, "dept": " "}, {"id": " "}])
    assert records == [{"employee_id": "E1", "department": ""}]
    assert errors == [
        {
            "index": 1,
            "employee_id": None,
            "field": "employee_id",
            "code": "invalid",
            "message": "The record has no employee id (id).",
        }
    ]
