"""Programmes over REST: list with budget balances, create, idempotency and validation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plum.core.scopes import Scope
from points.models import Account, Programme
from points.tests.factories import PROGRAMMES, make_programme, points_nothing_changes
from tests.support import assert_problem


def test_list_shows_each_programme_with_its_budget(api, tenant, other_tenant):
    make_programme(tenant, "SPOT", budget=1_000, approval_threshold=500, points_validity_days=30)
    make_programme(tenant, "ANNUAL", max_points_per_request=50, status="inactive")
    make_programme(other_tenant, "THEIRS", budget=7)

    response = api.get(PROGRAMMES)

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "code": "ANNUAL",
                "name": "ANNUAL awards",
                "budget_balance": 0,
                "approval_threshold": None,
                "max_points_per_request": 50,
                "points_validity_days": 365,
                "status": "inactive",
            },
            {
                "code": "SPOT",
                "name": "SPOT awards",
                "budget_balance": 1_000,
                "approval_threshold": 500,
                "max_points_per_request": 100_000,
                "points_validity_days": 30,
                "status": "active",
            },
        ],
    }


def test_list_pages_by_code_and_costs_the_same_queries_for_2_and_40(api, tenant):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(PROGRAMMES, {"page_size": 500}).status_code == 200
        return len(captured)

    for n in range(2):
        make_programme(tenant, f"P{n:02d}", budget=10)
    few = page_queries()
    for n in range(2, 40):
        make_programme(tenant, f"P{n:02d}", budget=10)
    assert page_queries() == few

    first = api.get(PROGRAMMES, {"page_size": 30}).json()
    second = api.get(first["next"]).json()
    assert [p["code"] for p in first["results"] + second["results"]] == [f"P{n:02d}" for n in range(40)]
    assert second["next"] is None


def test_create_answers_201_with_the_programme_and_makes_its_budget(api, tenant):
    response = api.post(
        PROGRAMMES,
        {"code": "SPOT", "name": " Spot awards ", "approval_threshold": 5_000, "points_validity_days": 90},
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {
        "code": "SPOT",
        "name": "Spot awards",
        "budget_balance": 0,
        "approval_threshold": 5_000,
        "max_points_per_request": 100_000,
        "points_validity_days": 90,
        "status": "active",
    }
    programme = Programme.objects.get(organisation=tenant.organisation, code="SPOT")
    assert Account.objects.filter(programme=programme, kind="budget").count() == programme.budget_shards == 8


def test_create_with_an_idempotency_key_replays_the_first_answer(api, tenant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "prog-1"}
    first = api.post(PROGRAMMES, {"code": "SPOT", "name": "Spot"}, format="json", **headers)
    with points_nothing_changes():
        again = api.post(PROGRAMMES, {"code": "SPOT", "name": "Spot"}, format="json", **headers)
        other = api.post(PROGRAMMES, {"code": "SPOT", "name": "Other"}, format="json", **headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(other, 422, "idempotency_key_reused")


def test_create_an_existing_code_answers_409(api, tenant, other_tenant):
    make_programme(tenant, "SPOT")
    make_programme(other_tenant, "OTHER")
    with points_nothing_changes():
        response = api.post(PROGRAMMES, {"code": "SPOT", "name": "Again"}, format="json")
    assert_problem(response, 409, "programme_exists", [("code", "programme_exists")])

    assert api.post(PROGRAMMES, {"code": "OTHER", "name": "Mine too"}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, [("code", "required"), ("name", "required")]),
        ({"code": "has space", "name": "X"}, [("code", "invalid")]),
        ({"code": "C" * 33, "name": "X"}, [("code", "invalid")]),
        ({"code": "OK", "name": "  "}, [("name", "invalid")]),
        ({"code": "OK", "name": "a\x00b"}, [("name", "invalid")]),
        ({"code": "OK", "name": "X", "approval_threshold": 0}, [("approval_threshold", "invalid")]),
        ({"code": "OK", "name": "X", "max_points_per_request": "10"}, [("max_points_per_request", "invalid")]),
        ({"code": "OK", "name": "X", "points_validity_days": True}, [("points_validity_days", "invalid")]),
        ({"code": "OK", "name": "X", "status": "paused"}, [("status", "invalid")]),
        ({"code": "OK", "name": "X", "budget": 100}, [("budget", "unknown_field")]),
    ],
)
def test_create_refuses_invalid_input_with_400(api, payload, errors):
    with points_nothing_changes():
        response = api.post(PROGRAMMES, payload, format="json")
    assert_problem(response, 400, "validation_error", errors)


def test_create_refuses_a_name_postgresql_cannot_store(api):
    with points_nothing_changes():
        response = api.post(PROGRAMMES, '{"code": "OK", "name": "a\\ud800b"}', content_type="application/json")
    assert_problem(response, 400, "validation_error", [("name", "invalid")])


def test_create_refuses_a_body_that_is_not_an_object(api):
    with points_nothing_changes():
        response = api.post(PROGRAMMES, ["SPOT"], format="json")
    assert_problem(response, 400, "malformed_request")


def test_scopes(tenant):
    reader, writer = tenant.api([Scope.POINTS_READ]), tenant.api([Scope.POINTS_WRITE])
    assert reader.get(PROGRAMMES).status_code == 200
    with points_nothing_changes():
        assert_problem(reader.post(PROGRAMMES, {"code": "X", "name": "X"}, format="json"), 403, "insufficient_scope")
    assert_problem(writer.get(PROGRAMMES), 403, "insufficient_scope")
    assert writer.post(PROGRAMMES, {"code": "X", "name": "X"}, format="json").status_code == 201
