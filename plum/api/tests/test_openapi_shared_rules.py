"""What every body, page and idempotent call share is stated in the OpenAPI document."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from plum.api.idempotency import MAX_KEY_LENGTH


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    return [(f"{m.upper()} {p}", op) for p, item in schema["paths"].items() for m, op in item.items()]


def test_every_body_refuses_unknown_fields(schema):
    bodies = {n: s for n, s in schema["components"]["schemas"].items() if n.endswith("Request")}
    assert len(bodies) >= 12
    for name, body in bodies.items():
        if "properties" in body:
            assert body["additionalProperties"] is False, name
        else:
            assert {"oneOf"} <= body.keys(), name  # one of several bodies, each refusing unknown fields


def test_a_body_with_required_fields_is_required(schema):
    schemas = schema["components"]["schemas"]
    seen = 0
    for label, operation in operations(schema):
        body = operation.get("requestBody")
        if not body:
            continue
        target = next(iter(body["content"].values()))["schema"]
        if "$ref" in target:  # else inline: a sender's own JSON (POST /hooks/{endpoint_key}/)
            target = schemas[target["$ref"].rsplit("/", 1)[-1]]
        needs_fields = target.get("required") or target.get("oneOf") or target.get("minProperties")
        assert body.get("required", False) == bool(needs_fields), label
        assert "payload_too_large" in operation["responses"]["413"]["description"], label
        seen += 1
    assert seen == 27  # HRMS connections: create and change; chat channels: create, change and test


def test_idempotent_calls_bound_the_key_and_document_its_refusals(schema):
    seen = 0
    for label, operation in operations(schema):
        keys = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        if not keys:
            continue
        assert keys[0]["in"] == "header" and keys[0]["schema"]["maxLength"] == MAX_KEY_LENGTH, label
        assert keys[0]["schema"]["minLength"] == 1, label
        assert "request_in_progress" in operation["responses"]["409"]["description"], label
        assert "idempotency_key_reused" in operation["responses"]["422"]["description"], label
        seen += 1
    # employees, programmes, points requests, batches, uploads, voucher orders, campaigns, events, rules,
    # hook endpoints, webhooks, HRMS connections, chat channels
    assert seen == 13


def test_page_size_is_a_whole_number_from_one(schema):
    sizes = [p["schema"] for _, op in operations(schema) for p in op.get("parameters", []) if p["name"] == "page_size"]
    assert len(sizes) >= 12
    assert all(s["type"] == "integer" and s["minimum"] == 1 for s in sizes)
