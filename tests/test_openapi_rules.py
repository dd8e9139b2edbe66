"""The request schemas state what the services enforce: every bound the schema gives is checked against the
service's own shape check, so the two cannot drift apart.

For each body field: a value at each bound the schema allows passes the service, one just past it is refused
on that field; every enum value passes and another value is refused; a required field left out is refused;
null passes where the schema allows it; a default is what the service takes when the field is left out.
"""

import json
import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from integrations.chat.commands import ChannelChanges, ChannelCreate, ChannelTestOptions
from integrations.events.commands import EventCommand, RuleCommand, RulePatchCommand, RuleTestCommand
from integrations.events.commands.hooks import HookEndpointChanges, HookEndpointCreate
from integrations.hrms.commands import ConnectionChanges, ConnectionCreate
from integrations.webhooks.commands import SubscriptionChanges, SubscriptionCreate
from plum.core.actor import Actor
from plum.core.errors import DomainError, ValidationFailed
from points.commands import (
    METADATA_MAX_BYTES,
    METADATA_VALUE_MAX_LENGTH,
    PointsBatchCommand,
    PointsRequestCommand,
    PointsRequestDecisionCommand,
    PointsRequestReverseCommand,
    ProgrammeCommand,
)
from users.commands import EmployeeChanges, EmployeeCreate, EmployeesSync
from vouchers.commands import REFERENCE_PATTERN, CampaignCreate, VoucherOrderPlace, VoucherRedeem, reference_ok

PRODUCT = str(uuid.uuid4())
ORDER = {"order_id": "o-1", "employee_id": "E1", "product_id": PRODUCT, "denomination": 10}
CAMPAIGN = {"campaign_id": "c-1", "name": "Launch", "product_id": PRODUCT, "denomination": 10, "programme": "P"}


def refused(call) -> set:
    """The fields a service's shape check refuses (ValidationFailed, or a DomainError naming its field)."""
    try:
        result = call()
    except ValidationFailed as exc:
        return {e["field"] for e in exc.errors}
    except DomainError as exc:
        return {e["field"] for e in exc.errors} or {exc.field}
    if isinstance(result, set):  # already the refused fields (a nested body)
        return result
    return {e["field"] for e in result[1]} if isinstance(result, tuple) else set()


# component -> (a valid body, the service's check of a body)
BODIES = {
    "EmployeeCreateRequest": (
        {"employee_id": "E1", "email": "a@example.com", "first_name": "A", "last_name": "B"},
        lambda b, _: lambda: EmployeeCreate.parse(b),
    ),
    "PatchedEmployeeChangesRequest": ({}, lambda b, _: lambda: EmployeeChanges.parse(b)),
    "EventCommandRequest": (
        {"event_id": "e-1", "type": "t", "employee_id": "E1", "occurred_at": "2026-12-07T09:30:00Z"},
        lambda b, _: lambda: EventCommand.parse(b),
    ),
    "RuleCommandRequest": (
        {"name": "N", "event_type": "t", "points": 1, "programme": "P"},
        lambda b, _: lambda: RuleCommand.parse(b),
    ),
    "PatchedRulePatchCommandRequest": ({}, lambda b, _: lambda: RulePatchCommand.parse(b)),
    "RuleTestCommandRequest": ({"type": "t", "employee_id": "E1"}, lambda b, _: lambda: RuleTestCommand.parse(b)),
    "HookEndpointCreateRequest": (
        {"name": "N", "mapping": {"event_id": "/id", "type": "=t", "employee_id": "/e"}},
        lambda b, _: lambda: HookEndpointCreate.parse(b),
    ),
    "PatchedHookEndpointChangesRequest": ({}, lambda b, _: lambda: HookEndpointChanges.parse(b)),
    "SubscriptionCreateRequest": (
        {"url": "https://93.184.215.14/hook", "events": ["voucher.issued"]},
        lambda b, _: lambda: SubscriptionCreate.parse(b),
    ),
    "PatchedSubscriptionChangesRequest": ({}, lambda b, _: lambda: SubscriptionChanges.parse(b)),
    "ConnectionCreateRequest": (
        {"provider": "successfactors", "base_url": "https://93.184.215.14/", "credentials": {"username": "u"}},
        lambda b, _: lambda: ConnectionCreate.parse(b),
    ),
    "PatchedConnectionChangesRequest": ({}, lambda b, _: lambda: ConnectionChanges.parse(b)),
    "ChannelCreateRequest": (
        {"kind": "slack_webhook", "events": ["voucher.issued"], "webhook_url": "https://93.184.215.14/s"},
        lambda b, _: lambda: ChannelCreate.parse(b),
    ),
    "PatchedChannelChangesRequest": ({}, lambda b, _: lambda: ChannelChanges.parse(b)),
    "ChannelTestOptionsRequest": ({}, lambda b, _: lambda: ChannelTestOptions.parse(b)),
    "EmployeesSyncRequest": ({"mode": "upsert", "employees": []}, lambda b, _: lambda: EmployeesSync.parse(b)),
    "ProgrammeCommandRequest": ({"code": "P", "name": "N"}, lambda b, _: lambda: ProgrammeCommand.parse(b)),
    "PointsRequestCommandRequest": (
        {"request_id": "r-1", "employee_id": "E1", "points": 1, "programme": "P"},
        lambda b, _: lambda: PointsRequestCommand.parse(b),
    ),
    "PointsRequestDecisionCommandRequest": ({}, lambda b, _: lambda: PointsRequestDecisionCommand.parse(b)),
    "PointsRequestReverseCommandRequest": ({}, lambda b, _: lambda: PointsRequestReverseCommand.parse(b)),
    "PointsBatchCommandRequest": (
        {"batch_id": "b-1", "requests": [{}]},
        lambda b, _: lambda: PointsBatchCommand.parse(b),
    ),
    "VoucherOrderPlaceRequest": (
        {**ORDER, "funding": "programme", "programme": "P"},
        lambda b, _: lambda: VoucherOrderPlace.parse(b),
    ),
    "CampaignCreateRequest": ({**CAMPAIGN, "recipients": ["E1"]}, lambda b, _: lambda: CampaignCreate.parse(b)),
    "VoucherRedeemRequest": ({"code": "ABCD-1234"}, lambda b, _: lambda: VoucherRedeem.parse(b)),
}
# Bounds a business rule (422 points_out_of_range) enforces rather than the shape check: the programme's range.
BUSINESS_BOUNDS = {
    ("PointsRequestCommandRequest", "points", "maximum"),
    ("PointsRequestCommandRequest", "points", "minimum"),
}
# A campaign names its recipients or a filter: either one missing is reported on `recipients`.
REPORTED_AS = {("CampaignFilterInputRequest", "filter"): "recipients"}
# Strings that any of the schema's patterns may match: each one a pattern allows must pass the service.
PROBES = ["a", "Z9", "E.1_2@x:y+z-w", "!~", "a~b", "0", "A" * 32, "x" * 64, "-a", " a", "a b", "é"]


@pytest.fixture(scope="module")
def schemas():
    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


@pytest.fixture
def check(db):
    actor = Actor.system(uuid.uuid4(), label="schema rules")

    def run(component: str, body: dict):
        return refused(BODIES[component][1](body, actor))

    return run


def cases(schemas):
    for component in BODIES:
        schema = schemas[component]
        for name, field in schema["properties"].items():
            while "allOf" in field:
                field = {**schemas[field["allOf"][0]["$ref"].rsplit("/", 1)[-1]], **field}
                del field["allOf"]
            yield component, BODIES[component][0], name, field, name in schema.get("required", ())


def text(field, length: int) -> str:
    return "a" * length if "pattern" not in field or re.search(field["pattern"], "a") else "1" * length


def test_every_request_body_is_checked_here(schemas):
    bodies = {n for n, s in schemas.items() if n.endswith("Request") and "properties" in s}
    assert bodies - {"UploadInputRequest"} == set(BODIES)  # an upload's file is checked row by row


def test_string_lengths_and_patterns_are_the_services(schemas, check):
    seen = 0
    for component, base, name, field, _ in cases(schemas):
        if field.get("type") != "string" or "enum" in field or "format" in field:
            continue
        longest = field.get("maxLength")
        assert longest, (component, name)
        assert name not in check(component, {**base, name: text(field, longest)}), (component, name, longest)
        assert name in check(component, {**base, name: text(field, longest + 1)}), (component, name, longest + 1)
        if field.get("minLength") == 1:
            assert name in check(component, {**base, name: ""}), (component, name)
        for probe in PROBES:
            if "pattern" in field and re.search(field["pattern"], probe) and len(probe) <= longest:
                assert name not in check(component, {**base, name: probe}), (component, name, probe)
        seen += 1
    assert seen >= 30


def test_number_bounds_are_the_services(schemas, check):
    seen = 0
    for component, base, name, field, _ in cases(schemas):
        if field.get("type") != "integer":
            continue
        assert "minimum" in field and "maximum" in field, (component, name)
        for bound, step in (("minimum", -1), ("maximum", 1)):
            assert name not in check(component, {**base, name: field[bound]}), (component, name, bound)
            if (component, name, bound) not in BUSINESS_BOUNDS:
                assert name in check(component, {**base, name: field[bound] + step}), (component, name, bound)
        seen += 1
    assert seen >= 7


def test_points_above_any_programme_maximum_cannot_be_allowed(schemas):
    maximum = schemas["PointsRequestCommandRequest"]["properties"]["points"]["maximum"]
    too_many = {"code": "P", "name": "N", "max_points_per_request": maximum + 1}
    assert refused(lambda: ProgrammeCommand.parse(too_many)) == {"max_points_per_request"}


def test_enums_are_the_services(schemas, check):
    seen = 0
    for component, base, name, field, _ in cases(schemas):
        if "enum" not in field:
            continue
        for value in field["enum"]:
            assert name not in check(component, {**base, name: value}), (component, name, value)
            assert len(value) >= field.get("minLength", 0), (component, name, value)  # the schema allows it too
        assert name in check(component, {**base, name: "not-one-of-them"}), (component, name)
        seen += 1
    assert seen >= 5


def test_required_fields_and_nulls_are_the_services(schemas, check):
    required_seen = nullable_seen = 0
    for component, base, name, field, required in cases(schemas):
        without = {k: v for k, v in base.items() if k != name}
        if required:
            assert REPORTED_AS.get((component, name), name) in check(component, without), (component, name)
            required_seen += 1
        elif field.get("nullable"):
            assert name not in check(component, {**base, name: None}), (component, name)
            nullable_seen += 1
    assert required_seen >= 24 and nullable_seen >= 15


def test_defaults_are_what_the_services_take(schemas):
    programme = ProgrammeCommand.parse({"code": "P", "name": "N"}).model_dump()
    for name, field in schemas["ProgrammeCommandRequest"]["properties"].items():
        if "default" in field:
            assert programme[name] == field["default"], name
    quantity = schemas["VoucherOrderPlaceRequest"]["properties"]["quantity"]["default"]
    assert VoucherOrderPlace.parse({**ORDER, "funding": "points"}).quantity == quantity


def test_list_bounds_are_the_services(schemas, check):
    seen = 0
    for component, base, name, field, _ in cases(schemas):
        if field.get("type") != "array" or "maxItems" not in field:
            continue
        item = "E1" if field["items"].get("type") == "string" else {}
        numbered = [f"E{n}" for n in range(field["maxItems"] + 1)] if item == "E1" else None
        longest = numbered[:-1] if numbered else [item] * field["maxItems"]
        too_many = numbered if numbered else [item] * (field["maxItems"] + 1)
        assert name not in check(component, {**base, name: longest}), (component, name)
        assert name in check(component, {**base, name: too_many}), (component, name)
        if field.get("minItems") == 1:
            assert name in check(component, {**base, name: []}), (component, name)
        if field.get("uniqueItems"):
            assert check(component, {**base, name: ["E1", "E1"]}) == {f"{name}[1]"}
        seen += 1
    # batch requests, campaign recipients, sync employees, a rule's conditions and a channel's approvers
    # (create, PATCH)
    assert seen == 7


def test_the_largest_metadata_the_schema_allows_fits_the_service(schemas):
    metadata = schemas["PointsRequestCommandRequest"]["properties"]["metadata"]
    worst = {"\x01" * 38 + f"{n:02d}": "\x01" * METADATA_VALUE_MAX_LENGTH for n in range(metadata["maxProperties"])}
    assert len(json.dumps(worst, ensure_ascii=False)) <= METADATA_MAX_BYTES
    body = {"request_id": "r-1", "employee_id": "E1", "points": 1, "programme": "P", "metadata": worst}
    assert PointsRequestCommand.parse(body).metadata == worst


def test_the_reference_pattern_is_the_vouchers_services_rule():
    probes = [chr(c) for c in range(0x80)] + ["é", "a" * 128, "a" * 129, "", "a b", "~!"]
    assert [bool(re.fullmatch(REFERENCE_PATTERN, p)) for p in probes] == [reference_ok(p) for p in probes]
