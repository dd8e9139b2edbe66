"""Every error path answers RFC 9457 problem+json with the status docs/api.md gives."""

import threading
import time

import pytest
from django.core.cache import caches
from django.test import Client

from plum.api import throttling
from points.tests.ledger_support import run_parallel
from tests.conftest import employee_payload
from tests.support import assert_problem
from users.models import Employee


def test_no_token_is_401_with_a_challenge():
    response = Client().get("/api/v1/employees/")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="plum"'


def test_a_garbage_token_is_401(db):
    response = Client().get("/api/v1/employees/", HTTP_AUTHORIZATION="Bearer nope")
    assert_problem(response, 401, "invalid_token")


def test_missing_scope_is_403(tenant):
    response = tenant.api(scopes=["points:read"]).get("/api/v1/employees/")
    assert_problem(response, 403, "insufficient_scope")


def test_unknown_url_is_404_problem(tenant):
    assert_problem(tenant.api().get("/api/v1/nothing-here/"), 404, "not_found")
    outside_the_api = Client().get("/nothing-here")  # Django's own page, as for the admin (plum/api/tests)
    assert (outside_the_api.status_code, outside_the_api["Content-Type"]) == (404, "text/html; charset=utf-8")


def test_unknown_employee_is_404(tenant):
    body = assert_problem(tenant.api().get("/api/v1/employees/NOPE/"), 404, "employee_not_found")
    assert body["detail"] == "No employee 'NOPE' in this organisation."


def test_wrong_method_is_405(tenant):
    assert_problem(tenant.api().put("/api/v1/employees/E1/", {}, format="json"), 405, "method_not_allowed")
    assert_problem(tenant.api().delete("/api/v1/employees/E1/"), 405, "method_not_allowed")


def test_malformed_json_is_400_and_changes_nothing(tenant):
    response = tenant.api().post("/api/v1/employees/", '{"employee_id": ', content_type="application/json")
    assert_problem(response, 400, "malformed_request")
    assert not Employee.objects.exists()


def test_a_json_body_that_is_not_an_object_is_400(tenant):
    response = tenant.api().post("/api/v1/employees/", "[1, 2]", content_type="application/json")
    assert_problem(response, 400, "malformed_request")


def test_wrong_media_type_is_415(tenant):
    response = tenant.api().post("/api/v1/employees/", "employee_id=E1", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")
    assert not Employee.objects.exists()


def test_an_oversize_body_is_413_before_it_is_read(tenant):
    body = '{"employee_id": "' + "x" * (1024 * 1024) + '"}'
    response = tenant.api().post("/api/v1/employees/", body, content_type="application/json")
    assert_problem(response, 413, "payload_too_large")
    assert not Employee.objects.exists()


def test_throttled_calls_get_429_with_retry_after(tenant, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "client": "2/min"},
    }
    api = tenant.api()
    statuses = [api.get("/api/v1/employees/").status_code for _ in range(3)]
    refused = api.get("/api/v1/employees/")

    assert statuses == [200, 200, 429]
    assert_problem(refused, 429, "throttled")
    assert 1 <= int(refused["Retry-After"]) <= 61


def test_a_throttled_client_is_let_through_again_in_the_next_window(tenant, settings, monkeypatch):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "client": "1/min"},
    }
    window_start = (time.time() // 60 + 1) * 60
    monkeypatch.setattr(throttling.time, "time", lambda: window_start + 5)
    api = tenant.api()
    assert api.get("/api/v1/employees/").status_code == 200
    refused = api.get("/api/v1/employees/")
    monkeypatch.setattr(throttling.time, "time", lambda: window_start + 60)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "56"  # 55 s left in the window, rounded up
    assert api.get("/api/v1/employees/").status_code == 200


def test_throttling_is_per_client(tenant, other_tenant, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "client": "1/min"},
    }
    assert tenant.api().get("/api/v1/employees/").status_code == 200
    assert tenant.api().get("/api/v1/employees/").status_code == 429
    assert other_tenant.api().get("/api/v1/employees/").status_code == 200


def test_rate_counters_on_redis_count_every_parallel_call_once_and_expire(settings):
    if not settings.REDIS_URL:
        pytest.skip("without REDIS_URL the counters live in process memory (Django's locmem cache)")
    key = "throttle:test:parallel"
    results = run_parallel([lambda: throttling._count(key, 60)] * 200, workers=16)

    assert sorted(results) == list(range(1, 201))
    assert caches["default"].get(key) == 200  # the cache reads the counter as before
    stored = caches["default"].make_and_validate_key(key)
    assert 0 < caches["default"]._cache.get_client(stored).ttl(stored) <= 61


def test_the_counter_harness_sees_lost_updates_of_a_read_then_write_counter(settings):
    """The naive variant: every thread reads the count, then all write it back plus one."""
    read_by_all = threading.Barrier(8)

    def naive_count():
        count = caches["default"].get("throttle:test:naive", 0)
        read_by_all.wait(10)
        caches["default"].set("throttle:test:naive", count + 1)

    run_parallel([naive_count] * 8, workers=8)

    assert caches["default"].get("throttle:test:naive") == 1  # seven updates lost


def test_validation_errors_list_every_field(tenant):
    response = tenant.api().post(
        "/api/v1/employees/", {"employee_id": "E1", "email": "nope", "country": "XX", "shoe_size": 9}, format="json"
    )
    body = assert_problem(
        response,
        400,
        "validation_error",
        errors=[
            ("shoe_size", "unknown_field"),
            ("email", "invalid"),
            ("country", "invalid"),
            ("first_name", "required"),
            ("last_name", "required"),
        ],
    )
    assert body["detail"] == "The input is not valid."
    assert not Employee.objects.exists()


def test_an_unexpected_failure_is_a_problem_500_without_internals(tenant, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("users.selectors.employee_get", explode)
    api = tenant.api()
    api.raise_request_exception = False
    response = api.get("/api/v1/employees/E1/")
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.content.decode()
    assert body["detail"] == "Something went wrong on our side; it has been logged."


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_need_no_token(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_reports_each_dependency(db, settings):
    body = Client().get("/readyz").json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == ("ok" if settings.REDIS_URL else "in-process")


def test_readyz_answers_503_when_the_broker_is_unreachable(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "unreachable"}}


def test_created_employee_round_trips(tenant):
    assert tenant.api().post("/api/v1/employees/", employee_payload("E1"), format="json").status_code == 201


def test_deeply_nested_json_is_400_not_a_crash(tenant):
    body = "[" * 100_000 + "]" * 100_000
    response = tenant.api().post("/api/v1/employees/sync/", body, content_type="application/json")
    assert_problem(response, 400, "malformed_request")


def test_a_lone_surrogate_echoed_in_an_error_is_escaped(tenant):
    body = '{"mode": "upsert", "employees": [], "\\ud800": 1}'
    response = tenant.api().post("/api/v1/employees/sync/", body, content_type="application/json")
    problem = assert_problem(response, 400, "validation_error", errors=[("\ud800", "unknown_field")])
    assert problem["errors"][0]["message"] == "Unknown field."


def test_a_garbled_cursor_is_400(tenant):
    response = tenant.api().get("/api/v1/employees/?cursor=garbage")
    body = assert_problem(response, 400, "validation_error", errors=[("cursor", "invalid")])
    assert body["errors"][0]["message"] == "Invalid cursor."


def test_api_docs_are_public_and_self_hosted(db):
    page = Client().get("/api/v1/docs/")
    assert page.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in page.content
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "oauth2" in schema.json()["components"]["securitySchemes"]
