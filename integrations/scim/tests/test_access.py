"""Who may call /scim/v2: a token with the scope `scim`, on its own organisation only. Every refusal is a SCIM
Error and changes nothing."""

import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from integrations.scim.api import urls
from integrations.scim.tests.conftest import (
    ENTERPRISE,
    Scim,
    assert_error,
    created,
    group_body,
    nothing_changes,
    user_body,
)
from plum.core.scopes import ALL_SCOPES, Scope
from users.models import Employee

PATCH = [{"op": "replace", "path": "title", "value": "Intruder"}]


@pytest.fixture
def victim(scim) -> dict:
    user = created(scim, user_body("bjensen@example.com", employee_number="E1", title="Analyst"))
    group = created(scim, group_body("Sales", user["id"]))
    return {"user": user, "group": group}


def calls(victim) -> list[tuple[str, str, object]]:
    user, group = f"/Users/{victim['user']['id']}", f"/Groups/{victim['group']['id']}"
    return [
        ("get", user, None),
        ("put", user, user_body("mine@example.com")),
        ("patch", user, PATCH),
        ("delete", user, None),
        ("get", group, None),
        ("put", group, group_body("Mine")),
        ("patch", group, [{"op": "remove", "path": "members"}]),
        ("delete", group, None),
    ]


def everything(victim) -> list[tuple[str, str, object]]:
    """Every SCIM endpoint and method (checked against the URLconf below)."""
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    return [
        *calls(victim),
        ("get", "/Users", None),
        ("post", "/Users", user_body("new@example.com")),
        ("post", "/Users/.search", search),
        ("get", "/Groups", None),
        ("post", "/Groups", group_body("New")),
        ("post", "/Groups/.search", search),
        ("post", "/.search", search),
        ("get", "/ServiceProviderConfig", None),
        ("get", "/ResourceTypes", None),
        ("get", "/ResourceTypes/User", None),
        ("get", "/Schemas", None),
        ("get", f"/Schemas/{ENTERPRISE}", None),
    ]


def test_the_matrix_covers_every_scim_endpoint(victim):
    views = {pattern.callback.cls for pattern in urls.urlpatterns if hasattr(pattern.callback, "cls")}
    routed = {
        (view.__name__, m) for view in views for m in view.http_method_names if m != "options" and hasattr(view, m)
    }
    covered = set()
    for method, path, _ in everything(victim):
        match = resolve("/scim/v2" + path)
        covered.add((match.func.cls.__name__, method))
    assert covered == routed


def call(scim: Scim, method: str, path: str, body):
    return getattr(scim, method)(path) if body is None else getattr(scim, method)(path, body)


def test_the_same_user_name_lives_in_two_organisations(scim, other_scim):
    mine = created(scim, user_body("bjensen@example.com", employee_number="E1"))
    theirs = created(other_scim, user_body("BJENSEN@example.com", employee_number="E1"))

    assert mine["id"] != theirs["id"]
    assert Employee.objects.filter(employee_id="E1").count() == 2


def test_another_organisations_users_and_groups_are_404_and_untouched(victim, other_scim):
    for method, path, body in calls(victim):
        with nothing_changes():
            response = call(other_scim, method, path, body)
        assert_error(response, 404)


def test_lists_and_filters_never_show_another_organisation(victim, other_scim):
    for path in ("/Users", "/Groups"):
        assert other_scim.get(path).json()["totalResults"] == 0
    assert other_scim.get("/Users", {"filter": 'userName eq "bjensen@example.com"'}).json()["totalResults"] == 0
    search = other_scim.post("/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]})
    assert search.json()["totalResults"] == 0


def test_a_token_without_the_scope_scim_is_403(tenant, victim):
    without = Scim(tenant.api(scopes=[s for s in ALL_SCOPES if s != Scope.SCIM]))

    for method, path, body in everything(victim):
        with nothing_changes():
            response = call(without, method, path, body)
        assert_error(response, 403)


@pytest.mark.parametrize("credentials", [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz", "expired"])
def test_no_valid_token_is_401_with_a_bearer_challenge(tenant, victim, credentials):
    client = APIClient()
    if credentials == "expired":
        credentials = f"Bearer {tenant.token([Scope.SCIM], expired=True)}"
    if credentials:
        client.credentials(HTTP_AUTHORIZATION=credentials)

    for method, path, body in everything(victim):
        with nothing_changes():
            response = call(Scim(client), method, path, body)
        assert_error(response, 401)
        assert response["WWW-Authenticate"] == 'Bearer realm="plum"'


def test_a_disabled_client_is_401(tenant, scim, victim):
    tenant.client.is_active = False
    tenant.client.save(update_fields=["is_active"])

    assert_error(scim.get("/Users"), 401)
