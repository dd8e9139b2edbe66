"""Every hook endpoint call refuses: no token, an expired token, a token without integrations:manage, and a
token of another organisation; none of them changes anything of the victim's. REST is read by
tests/test_access_matrix.py's coverage check. (/hooks/<key>/ itself takes a signature, not a token:
test_hook_receive.py.)"""

import pytest

from integrations.events.models import HookEndpoint, HookReceipt
from plum.core.keys import new_webhook_secret, seal
from plum.core.scopes import Scope
from plum.testing.access import CALLERS, caller

MANAGE = Scope.INTEGRATIONS_MANAGE
BASE = "/api/v1/integrations/hook-endpoints/"
MAPPING = {"event_id": "/id", "type": "=kpi.threshold_crossed", "employee_id": "/employee"}

# name -> (method, path ("{endpoint}": the victim's), body or None, scope, names the victim's object)
REST = {
    "hook_endpoints.list": ("get", BASE, None, MANAGE, False),
    "hook_endpoints.create": ("post", BASE, {"name": "Intruder", "mapping": MAPPING}, MANAGE, False),
    "hook_endpoints.retrieve": ("get", BASE + "{endpoint}/", None, MANAGE, True),
    "hook_endpoints.partial_update": ("patch", BASE + "{endpoint}/", {"name": "Mallory"}, MANAGE, True),
    "hook_endpoints.destroy": ("delete", BASE + "{endpoint}/", None, MANAGE, True),
    "hook_endpoints.rotate_secret": ("post", BASE + "{endpoint}/rotate-secret/", None, MANAGE, True),
}


def victim_state(organisation_id) -> tuple:
    endpoints = list(HookEndpoint.objects.filter(organisation_id=organisation_id).order_by("pk").values_list())
    return endpoints, HookReceipt.objects.filter(endpoint__organisation_id=organisation_id).count()


@pytest.fixture
def victim(make_tenant):
    tenant = make_tenant("victim")
    organisation_id = tenant.organisation.pk
    endpoint = HookEndpoint.objects.create(
        organisation_id=organisation_id,
        name="victim",
        endpoint_key="victim-key-0000000000000000000000",
        mapping=MAPPING,
        secret_sealed=seal(new_webhook_secret(), organisation_id),
    )
    return tenant, endpoint


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("call", sorted(REST))
def test_rest_refuses(call, who, victim, make_tenant):
    tenant, endpoint = victim
    method, path, body, _, names_victim = REST[call]
    client, on_victim, elsewhere = caller(who, tenant, make_tenant, MANAGE)
    before = victim_state(tenant.organisation.pk)
    response = getattr(client, method)(path.format(endpoint=endpoint.pk), body, format="json")
    expected = on_victim if names_victim else elsewhere
    if expected is None:  # another organisation listing or creating its own: never sees the victim's
        assert response.status_code in (200, 201)
        assert "victim" not in response.content.decode()
    else:
        assert response.status_code == expected, response.content
        if expected == 404:
            assert response.json()["code"] == "hook_endpoint_not_found"
    assert victim_state(tenant.organisation.pk) == before
