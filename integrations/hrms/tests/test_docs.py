"""docs/hrms.md and docs/hrms-vendors.md say what the code does: their example connections are accepted as
written, their default field maps are the vendors' defaults, the documents they show have the fields the
API answers, and the statuses and error codes they name exist."""

import json
import re
from pathlib import Path

import pytest

from integrations.hrms.commands import ConnectionCreate
from integrations.hrms.errors import HrmsErrorCode
from integrations.hrms.selectors import API_STATUSES
from integrations.hrms.tests.factories import CONNECTION_DOCUMENT, RUN_DOCUMENT
from integrations.hrms.vendors import EMPLOYEE_FIELDS, vendor_for
from integrations.hrms.vendors.mapping import field_map_errors

DOCS = Path(__file__).resolve().parents[3] / "docs"
GUIDE, VENDORS = (DOCS / "hrms.md").read_text(), (DOCS / "hrms-vendors.md").read_text()
JSON_BLOCK = re.compile(r"^```json\n(.*?)^```$", re.S | re.M)
SECTIONS = {  # heading -> (provider, settings that pick the default map)
    "## SAP SuccessFactors": ("successfactors", {}),
    "### A RaaS custom report": ("workday", {}),
    "### The REST workers collection": ("workday", {"api": "workers"}),
    "## Darwinbox": ("darwinbox", {}),
}


def filled(text: str) -> str:
    return text.replace("…", "placeholder")


def example_connections() -> list[dict]:
    blocks = [json.loads(filled(block)) for block in JSON_BLOCK.findall(VENDORS)]
    curl = re.search(r"-d '(\{.*?\})'", GUIDE, re.S).group(1)
    return [block for block in blocks if "provider" in block] + [json.loads(filled(curl))]


@pytest.mark.parametrize("body", example_connections(), ids=lambda body: body["provider"])
def test_every_example_connection_is_accepted_as_written(body):
    command = ConnectionCreate.parse(body)
    values = dict(command)
    errors = vendor_for(command.provider).validate(
        base_url=values["base_url"],
        settings=values["settings"],
        credentials=values["credentials"],
        field_map=values["field_map"],
    )
    assert errors == []


def test_there_is_an_example_per_vendor_and_api():
    kinds = {(body["provider"], body["settings"].get("api")) for body in example_connections()}
    assert kinds == {("successfactors", None), ("workday", None), ("workday", "workers"), ("darwinbox", None)}


def test_the_field_map_example_is_valid():
    (example,) = [json.loads(b) for b in JSON_BLOCK.findall(VENDORS) if '"field_map": {"' in b]
    assert field_map_errors(example["field_map"]) == []


def section(heading: str) -> str:
    after = VENDORS.split(heading + "\n", 1)[1]
    return re.split(r"^##+ ", after, maxsplit=1, flags=re.M)[0]


def documented_map(text: str) -> dict[str, str]:
    """{vendor path: employee field} from the section's table whose header names the employee field."""
    rows = text.split("| employee field |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    mapped = {}
    for row in rows:
        vendor_cell, field_cell = row.strip("|").split("|")[:2]
        mapped |= dict(zip(re.findall(r"`([^`]+)`", vendor_cell), re.findall(r"`([^`]+)`", field_cell), strict=False))
    return mapped


@pytest.mark.parametrize("heading", SECTIONS)
def test_each_documented_default_map_is_the_vendors(heading):
    provider, settings = SECTIONS[heading]
    assert documented_map(section(heading)) == vendor_for(provider).defaults(settings)


def test_the_employee_fields_are_the_ones_a_field_map_may_name():
    paragraph = VENDORS.split("The employee fields are ", 1)[1].split(". Each vendor", 1)[0]
    assert tuple(re.findall(r"`([^`]+)`", paragraph)) == EMPLOYEE_FIELDS


def test_the_documents_shown_have_the_fields_the_api_answers():
    connection, run = (json.loads(block.replace("…", "x")) for block in JSON_BLOCK.findall(GUIDE))
    assert set(connection) == CONNECTION_DOCUMENT
    assert set(run) == RUN_DOCUMENT


def test_the_statuses_and_error_codes_named_exist():
    named = set(re.findall(r"`([a-z_]+)`", GUIDE))
    codes = {code.value for code in HrmsErrorCode}
    assert {"queued", "running", "completed", "failed", "needs_confirmation"} <= named
    assert set(API_STATUSES) <= named
    for code in ("run_in_progress", "connection_inactive", "run_not_awaiting_confirmation", "url_not_allowed"):
        assert code in named and code in codes
    assert {"invalid_schedule", "unknown_provider"} <= codes
