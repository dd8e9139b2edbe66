"""The OpenAPI links lead from each create to the calls that follow it, and name real operations."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

EXPECTED = {
    "points_requests_create": {
        "points_requests_retrieve",
        "points_requests_approve_create",
        "points_requests_reject_create",
        "points_requests_reverse_create",
    },
    "points_batches_create": {"points_batches_retrieve", "points_batches_items_list"},
    "points_uploads_create": {"points_uploads_retrieve", "points_uploads_confirm_create"},
    "vouchers_orders_create": {"vouchers_orders_retrieve", "vouchers_retrieve", "vouchers_cancel_create"},
    "vouchers_retrieve": {"vouchers_retrieve", "vouchers_cancel_create"},
    "vouchers_campaigns_create": {"vouchers_campaigns_retrieve", "vouchers_campaigns_recipients_list"},
    "employees_create": {
        "employees_retrieve",
        "employees_partial_update",
        "employees_deactivate_create",
        "wallets_retrieve",
    },
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    return {
        operation["operationId"]: (path, operation)
        for path, item in schema["paths"].items()
        for operation in item.values()
    }


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def body_field(schema, response_schema, pointer: str):
    """The schema of the field a `$response.body#/a/0/b` pointer names, or None."""
    node = resolve(schema, response_schema)
    for step in pointer.split("/")[1:]:
        node = resolve(schema, node)
        node = node["items"] if step.isdigit() else node.get("properties", {}).get(step)
        if node is None:
            return None
    return resolve(schema, node)


def test_each_create_links_to_what_follows_it_on_every_success(schema):
    by_id = operations(schema)
    for source, targets in EXPECTED.items():
        _, operation = by_id[source]
        successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        assert successes, source
        for code, response in successes.items():
            linked = {link["operationId"] for link in response.get("links", {}).values()}
            assert linked == targets, (source, code)


def test_every_link_names_a_real_operation_and_fills_its_path_parameters_from_the_body(schema):
    by_id = operations(schema)
    checked = 0
    for source, (_, operation) in by_id.items():
        for code, response in operation["responses"].items():
            for name, link in response.get("links", {}).items():
                target_path, _ = by_id[link["operationId"]]  # KeyError: no such operation
                assert set(link["parameters"]) == set(re.findall(r"{(\w+)}", target_path)), (source, name)
                content = response["content"]["application/json"]["schema"]
                for expression in link["parameters"].values():
                    assert expression.startswith("$response.body#/"), (source, name)
                    field = body_field(schema, content, expression.removeprefix("$response.body#"))
                    assert field is not None and field["type"] == "string", (source, code, name, expression)
                checked += 1
    assert checked >= sum(len(targets) for targets in EXPECTED.values())


def test_links_stay_off_error_answers(schema):
    for _, operation in operations(schema).values():
        for code, response in operation["responses"].items():
            if not code.startswith("2"):
                assert "links" not in response
