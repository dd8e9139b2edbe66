"""Every REST route takes only the query parameters it documents: an unknown, repeated or unparsable one is
a 400 naming it, so a typo never answers the whole list (docs/api.md, Lists and query parameters)."""

import re

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from integrations.chat.models import Channel, Notification, SlackTeam
from integrations.events.models import Event, HookEndpoint, Reward, Rule
from integrations.hrms.models import Connection, Run, RunPage
from integrations.webhooks.models import Delivery, DeliveryAttempt, Subscription
from plum.api.query import known_query_parameters
from points.tests.batches_support import batch_tables
from points.tests.factories import points_state
from tests.strict_world import make_world, rest_routes
from tests.support import assert_problem, seed
from vouchers.tests.expected import vouchers_state

GETS = rest_routes("get")
WRITES = rest_routes("post") + rest_routes("patch") + rest_routes("delete")
PAGE = {"results", "next", "previous"}
ANY_ID = "00000000-0000-4000-8000-000000000000"
BAD_PAGE_SIZES = ["abc", "0", "-1", "1.5", "", "1e3", " 5", "+5", "٣"]


@pytest.fixture
def world(tenant):
    return make_world(tenant)


def everything() -> dict:
    integrations = (
        Rule,
        Event,
        Reward,
        HookEndpoint,
        Subscription,
        Delivery,
        DeliveryAttempt,
        Connection,
        Run,
        RunPage,
        Channel,
        Notification,
        SlackTeam,
    )
    tables = {model.__name__: list(model.objects.order_by("pk").values_list()) for model in integrations}
    return {**points_state(), **vouchers_state(), **batch_tables(), **tables}


def test_the_walk_finds_every_route_including_the_pages_of_one_object():
    names = {route.name for route in GETS}
    assert {"employee-list", "business-unit-list", "cost-centre-list", "programme-list"} <= names
    assert {"points-request-list", "points-batch-list", "voucher-product-list", "voucher-order-list"} <= names
    assert {"voucher-list", "voucher-campaign-list", "points-upload-detail", "voucher-detail"} <= names
    assert {"wallet-transactions", "points-batch-items", "voucher-campaign-recipients"} <= names
    assert {"report-points", "report-vouchers", "report-budget"} <= names


@pytest.mark.parametrize("route", GETS, ids=lambda r: r.label)
def test_a_get_answers_200_and_refuses_an_unknown_parameter(api, world, route):
    url = route.url(world)
    assert api.get(url).status_code == 200

    for name in ("colour", "format", "Status", "page"):
        response = api.get(url, {name: "json"})
        body = assert_problem(response, 400, "validation_error", [(name, "unknown_parameter")])
        assert body["errors"][0]["message"] == "Unknown query parameter."


@pytest.mark.parametrize("route", GETS, ids=lambda r: r.label)
def test_page_size_must_be_a_whole_number_from_1_where_a_page_is_answered(api, world, route):
    url = route.url(world)
    answered = api.get(url)
    answers_a_page = answered["Content-Type"] == "application/json" and set(answered.json()) == PAGE

    if not answers_a_page:  # one object: no page, so no page parameters
        for name in ("page_size", "cursor"):
            assert_problem(api.get(url, {name: "5"}), 400, "validation_error", [(name, "unknown_parameter")])
        return
    for value in BAD_PAGE_SIZES:
        assert_problem(api.get(url, {"page_size": value}), 400, "validation_error", [("page_size", "invalid")])
    one = api.get(url, {"page_size": "1"})
    assert (one.status_code, len(one.json()["results"]) <= 1) == (200, True)
    assert api.get(url, {"page_size": "100000"}).status_code == 200
    assert api.get(url, {"page_size": "9" * 5000}).status_code == 200  # more digits than int() takes


@pytest.mark.parametrize("route", WRITES, ids=lambda r: r.label)
def test_a_write_refuses_an_unknown_parameter_and_changes_nothing(api, world, route):
    url = route.url(world) + "?dry_run=true"
    before = everything()

    response = getattr(api, route.method)(url, {}, format="json")

    assert_problem(response, 400, "validation_error", [("dry_run", "unknown_parameter")])
    assert everything() == before


def test_page_size_above_500_is_capped(api, tenant):
    seed(
        tenant,
        [
            {"employee_id": f"P{n:04d}", "email": f"p{n}@example.com", "first_name": "P", "last_name": "Q"}
            for n in range(501)
        ],
    )

    page = api.get("/api/v1/employees/", {"page_size": "100000"}).json()

    assert [e["employee_id"] for e in page["results"]] == [f"P{n:04d}" for n in range(500)]
    rest = api.get(page["next"]).json()
    assert ([e["employee_id"] for e in rest["results"]], rest["next"]) == (["P0500"], None)


@pytest.mark.parametrize(
    "path, query",
    [
        ("/api/v1/points/requests/", {"created_since": "yesterday"}),  # a date
        ("/api/v1/points/requests/", {"status": "paid"}),  # a choice
        ("/api/v1/vouchers/", {"product_id": "42"}),  # an id
        ("/api/v1/vouchers/", {"expires_before": "2024-02-30T00:00:00Z"}),
        ("/api/v1/vouchers/products/", {"country": "a\x00b"}),
        ("/api/v1/employees/", {"updated_since": "2024-06-01T25:00:00Z"}),
        ("/api/v1/points/batches/", {"status": "done"}),
        ("/api/v1/reports/points.csv", {"from": "2024-02-30"}),
        ("/api/v1/reports/points.csv", {"group_by": "month,colour"}),
        ("/api/v1/reports/vouchers.csv", {"country": "fr"}),
        ("/api/v1/reports/budget.csv", {"programme": "x" * 65}),
    ],
    ids=lambda value: "&".join(value) if isinstance(value, dict) else value,
)
def test_a_filter_value_that_does_not_parse_is_400_naming_it(api, path, query):
    (name,) = query
    assert_problem(api.get(path, query), 400, "validation_error", [(name, "invalid")])


def test_a_parameter_given_twice_is_400(api):
    response = api.get("/api/v1/points/requests/?status=credited&status=pending_approval")
    assert_problem(response, 400, "validation_error", [("status", "repeated_parameter")])


def test_documented_parameters_of_one_object_are_taken(api, world):
    assert api.get(f"/api/v1/vouchers/{world['voucher']}/", {"reveal": "false"}).status_code == 200
    assert api.get("/api/v1/points/batches/", {"status": "completed"}).status_code == 200


def test_the_openapi_document_lists_exactly_the_parameters_each_operation_takes():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    checked = 0
    for path, operations in schema["paths"].items():
        if path in ("/api/v1/schema/", "/api/v1/docs/"):
            continue
        match = resolve(re.sub(r"\{\w+\}", ANY_ID, path))  # an id that fits every lookup
        if not hasattr(match.func, "actions"):  # not a viewset (POST /hooks/{key}/): it takes no query parameter
            assert all(p["in"] != "query" for op in operations.values() for p in op.get("parameters", [])), path
            continue
        for method, operation in operations.items():
            view = match.func.cls(**match.func.initkwargs)
            view.action = match.func.actions[method]
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            assert documented == known_query_parameters(view), f"{method.upper()} {path}"
            checked += 1
    assert checked == len(GETS) + len(WRITES)
