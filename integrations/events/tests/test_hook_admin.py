"""The operations staff's door to hook endpoints: made, changed, rotated and deactivated through the
service, the secret shown once on a page of its own; receipts only looked at."""

import json
import re

import pytest

from integrations.events.models import HookEndpoint, HookReceipt
from integrations.events.tests.test_hook_helpers import (
    DARWINBOX_MAPPING,
    create_endpoint,
    darwinbox_payload,
    post_hook,
    world,  # noqa: F401 (fixture)
)
from plum.core.keys import unseal
from tests.support import nothing_changes

pytestmark = pytest.mark.django_db
ADMIN = "/admin/integrations_events"
SECRET = re.compile(r'<code id="signing-secret">(whsec_[^<]+)</code>')


def secret_shown(response) -> str:
    """The secret on the page a new one is shown on, once; never in a message (a cookie would carry it)."""
    assert response.status_code == 200 and not list(response.wsgi_request._messages)
    [secret] = SECRET.findall(response.content.decode())
    return secret


def add(admin_client, tenant, mapping=DARWINBOX_MAPPING, name="Darwinbox KPI"):
    data = {"organisation": tenant.organisation.pk, "name": name, "mapping": json.dumps(mapping), "active": "on"}
    return admin_client.post(f"{ADMIN}/hookendpoint/add/", data)


def test_creating_an_endpoint_shows_its_secret_once_and_it_verifies(admin_client, tenant, world):  # noqa: F811
    response = add(admin_client, tenant)
    secret = secret_shown(response)
    endpoint = HookEndpoint.objects.get()
    assert (endpoint.name, endpoint.mapping, endpoint.active) == ("Darwinbox KPI", DARWINBOX_MAPPING, True)
    assert unseal(endpoint.secret_sealed, tenant.organisation.id) == secret
    url = f"/hooks/{endpoint.endpoint_key}/"
    assert post_hook(url, darwinbox_payload(), secret).status_code == 201
    assert url in response.content.decode()
    listed = admin_client.get(f"{ADMIN}/hookendpoint/").content.decode()
    assert url in listed and secret not in listed
    page = admin_client.get(f"{ADMIN}/hookendpoint/{endpoint.pk}/change/").content.decode()
    assert url in page and secret not in page  # once only


def test_a_bad_mapping_is_a_form_error_naming_the_field_and_adds_nothing(admin_client, tenant):
    response = add(admin_client, tenant, mapping={"event_id": "id", "type": "=t"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "mapping.event_id: A JSON pointer starts with" in page
    assert "mapping.employee_id: This field is required." in page
    assert HookEndpoint.objects.count() == 0


def test_changes_go_through_the_service(admin_client, api):
    made = create_endpoint(api)
    endpoint = HookEndpoint.objects.get()
    data = {"name": "Renamed", "mapping": json.dumps({**DARWINBOX_MAPPING, "type": "=kpi.met"})}
    response = admin_client.post(f"{ADMIN}/hookendpoint/{endpoint.pk}/change/", {**data, "active": ""})
    assert response.status_code == 302
    assert api.get(f"/api/v1/integrations/hook-endpoints/{made['id']}/").json() == {
        "id": made["id"],
        "name": "Renamed",
        "url": made["url"],
        "mapping": {**DARWINBOX_MAPPING, "type": "=kpi.met"},
        "active": False,
    }


def test_the_rotate_action_shows_the_new_secret_and_the_old_one_keeps_working(admin_client, api, world):  # noqa: F811
    made = create_endpoint(api)
    endpoint = HookEndpoint.objects.get()
    response = admin_client.post(
        f"{ADMIN}/hookendpoint/", {"action": "rotate_secret", "_selected_action": [endpoint.pk]}
    )
    secret = secret_shown(response)
    assert "Darwinbox KPI" in response.content.decode() and secret != made["secret"]
    assert post_hook(made["url"], darwinbox_payload("a"), secret).status_code == 201
    assert post_hook(made["url"], darwinbox_payload("b"), made["secret"]).status_code == 201


def test_the_deactivate_action_closes_the_address(admin_client, api, world):  # noqa: F811
    made = create_endpoint(api)
    endpoint = HookEndpoint.objects.get()
    admin_client.post(f"{ADMIN}/hookendpoint/", {"action": "deactivate", "_selected_action": [endpoint.pk]})
    assert HookEndpoint.objects.get().active is False
    assert post_hook(made["url"], darwinbox_payload(), made["secret"]).status_code == 404


@pytest.mark.parametrize("action", ["rotate_secret", "deactivate"])
def test_an_action_on_junk_changes_nothing(admin_client, api, action):
    create_endpoint(api)
    before = list(HookEndpoint.objects.values())
    with nothing_changes():
        response = admin_client.post(f"{ADMIN}/hookendpoint/", {"action": action, "_selected_action": ["junk"]})
    assert response.status_code == 302
    assert list(HookEndpoint.objects.values()) == before


def test_receipts_are_listed_and_read_only(admin_client, api, world):  # noqa: F811
    made = create_endpoint(api)
    post_hook(made["url"], darwinbox_payload(), made["secret"], webhook_id="msg_admin")
    receipt = HookReceipt.objects.get()
    assert "msg_admin" in admin_client.get(f"{ADMIN}/hookreceipt/?q=msg_admin").content.decode()
    assert admin_client.get(f"{ADMIN}/hookreceipt/{receipt.pk}/change/").status_code == 200
    assert admin_client.post(f"{ADMIN}/hookreceipt/{receipt.pk}/change/", {"webhook_id": "x"}).status_code == 403
    assert admin_client.get(f"{ADMIN}/hookreceipt/add/").status_code == 403
    assert admin_client.post(f"{ADMIN}/hookendpoint/{HookEndpoint.objects.get().pk}/delete/").status_code == 403
    assert HookReceipt.objects.get().webhook_id == "msg_admin"
