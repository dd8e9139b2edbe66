"""Under /api/, /oauth/, /scim/ and /graphql/ every error is problem+json, DEBUG on or off: never Django's
debug page (which lists every route) nor a traceback. The admin and / keep Django's own pages."""

import logging

import pytest
from django.test import Client, override_settings

from plum.api.tests.problem_urls import FAILING_PATHS, SecretFailure
from tests.support import assert_problem

FAILING_URLS = "plum.api.tests.problem_urls"
DEBUG_ON_AND_OFF = pytest.mark.parametrize("debug", [True, False], ids=["DEBUG", "no DEBUG"])
UNKNOWN_API_PATHS = [
    "/api/v1/nothing-here/",
    "/api/v2/employees/",
    "/api/",
    "/oauth/",
    "/oauth/authorize/",
    "/scim/",
    "/graphql/nothing/",
]


def assert_no_internals(response) -> None:
    text = response.content.decode()
    for leak in ("hunter2", "SecretFailure", "Traceback", "<html", "employees/"):
        assert leak not in text, leak


@DEBUG_ON_AND_OFF
@pytest.mark.parametrize("path", UNKNOWN_API_PATHS)
def test_an_unknown_api_path_is_a_problem_404(db, debug, path):
    with override_settings(DEBUG=debug):
        got, posted = Client().get(path), Client().post(path, {"x": "1"})

    body = assert_problem(got, 404, "not_found")
    assert body["detail"] == "There is nothing here."
    assert_no_internals(got)
    assert_problem(posted, 404, "not_found")


@DEBUG_ON_AND_OFF
def test_a_wrong_method_is_a_problem_405_that_keeps_allow(tenant, debug):
    with override_settings(DEBUG=debug, ROOT_URLCONF=FAILING_URLS):
        plain_django = Client().get("/api/v1/post-only/")
        token = Client().get("/oauth/token/")
        rest = tenant.api().delete("/api/v1/employees/")

    for response in (plain_django, rest):
        assert_problem(response, 405, "method_not_allowed")
    # the token endpoint's problem carries RFC 6749's `error` as well
    assert (token.status_code, token["Content-Type"], token.json()["code"]) == (
        405,
        "application/problem+json",
        "method_not_allowed",
    )
    assert (plain_django["Allow"], token["Allow"]) == ("POST", "POST")
    assert_no_internals(plain_django)


@DEBUG_ON_AND_OFF
@pytest.mark.parametrize("path", FAILING_PATHS)
def test_a_failure_is_a_logged_problem_500_without_internals(db, caplog, debug, path):
    with override_settings(DEBUG=debug, ROOT_URLCONF=FAILING_URLS), caplog.at_level(logging.ERROR, "django.request"):
        response = Client(raise_request_exception=False).get(path)

    body = assert_problem(response, 500, "internal_error")
    assert body["detail"] == "Something went wrong on our side; it has been logged."
    assert_no_internals(response)
    logged = [r for r in caplog.records if r.name == "django.request" and r.levelno == logging.ERROR]
    assert [(r.getMessage(), r.exc_info[0]) for r in logged] == [(f"Internal Server Error: {path}", SecretFailure)]


@DEBUG_ON_AND_OFF
def test_outside_the_api_django_answers_with_its_own_pages(db, debug):
    with override_settings(DEBUG=debug, ROOT_URLCONF=FAILING_URLS):
        missing = Client().get("/nothing-here")
        failing = Client(raise_request_exception=False).get("/explode/")

    assert (missing.status_code, missing["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert (failing.status_code, failing["Content-Type"]) == (500, "text/html; charset=utf-8")
    # the debug pages where DEBUG is on; the plain ones, without internals, where it is off
    assert (b"SecretFailure" in failing.content, b"hunter2" in failing.content) == (debug, debug)


@DEBUG_ON_AND_OFF
def test_the_admin_keeps_djangos_404_page(admin_client, debug):
    with override_settings(DEBUG=debug):
        response = admin_client.get("/admin/users/no-such-model/")

    assert (response.status_code, response["Content-Type"]) == (404, "text/html; charset=utf-8")


def test_the_root_redirects_to_the_api_docs(db):
    response = Client().get("/")

    assert (response.status_code, response["Location"]) == (302, "/api/v1/docs/")
    assert Client().get(response["Location"]).status_code == 200


def test_graphql_keeps_its_own_json_errors(tenant):
    response = tenant.api().post("/graphql/", "{", content_type="application/json")

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["bad_request"]
