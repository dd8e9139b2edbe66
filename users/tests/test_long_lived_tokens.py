"""Long-lived tokens for identity providers that keep one fixed bearer token (SCIM): the command and the
admin action issue them, only for scopes the client is allowed, and they die with the client."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from users.models import ApiClient

SCIM_USERS = "/scim/v2/Users"


def issue(client_id: str, *args: str) -> dict:
    out = StringIO()
    call_command("plum_token_issue", client_id, *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def caller(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_the_command_issues_a_scim_token_for_a_year(tenant):
    issued = issue(tenant.client.client_id)

    stored = AccessToken.objects.get(token=issued["access_token"])
    assert (stored.application_id, stored.scope, issued["scope"]) == (tenant.client.pk, "scim", "scim")
    assert timedelta(days=364, hours=23) < stored.expires - timezone.now() <= timedelta(days=365)
    assert caller(issued["access_token"]).get(SCIM_USERS).status_code == 200
    assert caller(issued["access_token"]).get("/api/v1/employees/").status_code == 403  # scim only


def test_the_token_stops_working_when_the_client_is_disabled(tenant):
    token = issue(tenant.client.client_id, "--days", "30")["access_token"]
    ApiClient.objects.filter(pk=tenant.client.pk).update(is_active=False)

    assert caller(token).get(SCIM_USERS).status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--days", "0"), "days"),
        (("--days", "731"), "days"),
        (("--scopes", "scim nonsense"), "Unknown scopes: nonsense"),
    ],
)
def test_bad_arguments_issue_nothing(tenant, args, message):
    before = AccessToken.objects.count()
    with pytest.raises(CommandError, match=message):
        issue(tenant.client.client_id, *args)
    assert AccessToken.objects.count() == before


def test_a_scope_the_client_is_not_allowed_is_refused(make_tenant):
    reader = make_tenant("readers", scopes=["employees:read"])
    before = AccessToken.objects.count()
    with pytest.raises(CommandError, match="The client is not allowed: scim"):
        issue(reader.client.client_id)
    assert AccessToken.objects.count() == before


def test_an_unknown_client_is_refused(db):
    with pytest.raises(CommandError, match="No API client 'nobody'"):
        issue("nobody")


def test_the_admin_action_shows_the_token_once(admin_client, tenant):
    response = admin_client.post(
        "/admin/users/apiclient/", {"action": "issue_scim_token", "_selected_action": [tenant.client.pk]}
    )
    token = re.search(r'<code id="signing-secret">([^<]+)</code>', response.content.decode()).group(1)

    assert "Bearer token" in response.content.decode()
    assert caller(token).get(SCIM_USERS).status_code == 200
    assert token not in admin_client.get(f"/admin/users/apiclient/{tenant.client.pk}/change/").content.decode()


def test_the_admin_action_refuses_a_client_without_scim(admin_client, make_tenant):
    reader = make_tenant("readers", scopes=["employees:read"])
    before = AccessToken.objects.count()
    response = admin_client.post(
        "/admin/users/apiclient/",
        {"action": "issue_scim_token", "_selected_action": [reader.client.pk]},
        follow=True,
    )
    assert "The client is not allowed: scim" in response.content.decode()
    assert AccessToken.objects.count() == before
