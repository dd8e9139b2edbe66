"""POST /oauth/token/: client credentials, scopes limited to what the organisation allowed, throttled."""

import base64

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken

from plum.core.scopes import Scope
from tests.conftest import token_request
from users import services
from users.commands import ApiClientUpdate, OrganisationUpdate


def client_change(tenant, is_active: bool, scopes=None) -> ApiClientUpdate:
    return ApiClientUpdate(name="x", allowed_scopes=scopes or tenant.client.allowed_scopes, is_active=is_active)


organisation_off = OrganisationUpdate(name="x", is_active=False)


@pytest.fixture
def limited(make_tenant):
    return make_tenant("limited", scopes=[Scope.EMPLOYEES_READ, Scope.POINTS_READ])


@pytest.mark.parametrize("basic", [True, False])
def test_a_client_gets_a_bearer_token_with_its_allowed_scopes(limited, basic):
    response = token_request(limited.client.client_id, limited.client_secret, basic=basic)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert sorted(body["scope"].split()) == ["employees:read", "points:read"]
    listed = Client().get("/api/v1/employees/", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert listed.status_code == 200


def test_a_subset_of_scopes_can_be_asked_for(limited):
    response = token_request(limited.client.client_id, limited.client_secret, scope="employees:read")
    assert response.json()["scope"] == "employees:read"
    token = AccessToken.objects.get()
    assert token.scope == "employees:read"


def test_a_scope_the_client_was_not_allowed_is_an_error_never_granted(limited):
    response = token_request(limited.client.client_id, limited.client_secret, scope="employees:read employees:write")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["error"] == "invalid_scope"
    assert response.json()["code"] == "invalid_scope"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [("right", "wrong"), ("unknown-client", "whatever"), ("", "")],
)
def test_bad_credentials_get_401_and_no_token(limited, client_id, secret):
    client_id = limited.client.client_id if client_id == "right" else client_id
    response = token_request(client_id, secret)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in response
    assert not AccessToken.objects.exists()


def test_only_the_client_credentials_grant_is_accepted(limited):
    response = token_request(limited.client.client_id, limited.client_secret, grant="password")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert not AccessToken.objects.exists()


def test_the_secret_is_stored_hashed(limited):
    limited.client.refresh_from_db()
    assert limited.client_secret not in limited.client.client_secret
    assert limited.client.client_secret.startswith("plum_client_pbkdf2$")


def test_rotation_revokes_the_old_secret_and_its_tokens(limited):
    old_token = limited.token()
    issued = services.api_client_rotate_secret(client=limited.client)

    assert token_request(limited.client.client_id, limited.client_secret).status_code == 401
    assert token_request(limited.client.client_id, issued.client_secret).status_code == 200
    assert Client().get("/api/v1/employees/", HTTP_AUTHORIZATION=f"Bearer {old_token}").status_code == 401


def test_a_disabled_client_or_organisation_cannot_call(limited):
    token = limited.token()
    services.api_client_update(client=limited.client, command=client_change(limited, is_active=False))
    assert Client().get("/api/v1/employees/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    services.api_client_update(client=limited.client, command=client_change(limited, is_active=True))
    services.organisation_update(organisation=limited.organisation, command=organisation_off)
    assert Client().get("/api/v1/employees/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_a_scope_taken_away_stops_working_in_tokens_already_issued(limited):
    token = limited.token(scopes=["employees:read", "points:read"])
    services.api_client_update(client=limited.client, command=client_change(limited, True, ["points:read"]))
    response = Client().get("/api/v1/employees/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403


def test_token_requests_are_throttled_per_client_before_hashing(limited, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token_client": "3/min",
            "token_address": "100/min",
        },
    }
    answers = [token_request(limited.client.client_id, "wrong", address=f"10.0.0.{i}").status_code for i in range(5)]

    assert answers == [401, 401, 401, 429, 429]
    refused = token_request(limited.client.client_id, limited.client_secret, address="10.0.0.99")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused.json()["code"] == "throttled"


def test_token_requests_are_throttled_per_address(limited, make_tenant, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token_client": "100/min",
            "token_address": "2/min",
        },
    }
    answers = [token_request(f"sprayed-{i}", "x", address="10.9.9.9").status_code for i in range(4)]

    assert answers == [401, 401, 429, 429]
    assert token_request(limited.client.client_id, limited.client_secret, address="10.9.9.8").status_code == 200


def test_a_disabled_client_or_organisation_gets_no_token(limited):
    services.api_client_update(client=limited.client, command=client_change(limited, is_active=False))
    refused = token_request(limited.client.client_id, limited.client_secret)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_client")

    services.api_client_update(client=limited.client, command=client_change(limited, is_active=True))
    services.organisation_update(organisation=limited.organisation, command=organisation_off)
    refused = token_request(limited.client.client_id, limited.client_secret, basic=False)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_client")
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("scope", ["", "  ", " points:read   employees:read "])
def test_an_empty_scope_counts_as_none_and_extra_spaces_as_nothing(limited, scope):
    response = token_request(limited.client.client_id, limited.client_secret, scope=scope)
    assert response.status_code == 200
    assert sorted(response.json()["scope"].split()) == ["employees:read", "points:read"]


def test_the_token_endpoint_answers_problems_for_other_methods_and_two_clients(limited, make_tenant):
    get = Client().get("/oauth/token/")
    assert (get.status_code, get["Content-Type"], get["Allow"]) == (405, "application/problem+json", "POST")
    assert get.json()["code"] == "method_not_allowed"

    other = make_tenant("other")
    raw = base64.b64encode(f"{limited.client.client_id}:{limited.client_secret}".encode()).decode()
    two = Client().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "client_id": other.client.client_id},
        HTTP_AUTHORIZATION=f"Basic {raw}",
    )
    assert (two.status_code, two.json()["code"]) == (400, "invalid_request")
    assert not AccessToken.objects.exists()
