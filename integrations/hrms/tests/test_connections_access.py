"""Every HRMS endpoint refuses: no token, an expired token, a token without integrations:manage, and a token
of another organisation (404 for the victim's connection or run); none of them changes anything of the
victim's. REST is read by tests/test_access_matrix.py's coverage check (there is no GraphQL field)."""

import pytest

from integrations.hrms import services
from integrations.hrms.commands import ConnectionCreate
from integrations.hrms.models import Connection, Run
from integrations.hrms.tests.factories import HRMS
from plum.core.actor import Actor
from plum.core.models import OutboxEvent
from plum.core.scopes import Scope
from plum.testing.access import CALLERS, caller

MANAGE = Scope.INTEGRATIONS_MANAGE
# A public address: the outbound guard takes it without a network (creating one never calls it).
NEW = {
    "provider": "successfactors",
    "base_url": "https://93.184.215.14/",
    "settings": {"company_id": "X"},
    "credentials": {"username": "u", "password": "p"},
}
CONNECTION, RUN = HRMS + "{connection}/", HRMS + "{connection}/runs/{run}/"

# name -> (method, path, body or None, scope, names the victim's object)
REST = {
    "hrms.list": ("get", HRMS, None, MANAGE, False),
    "hrms.create": ("post", HRMS, NEW, MANAGE, False),
    "hrms.retrieve": ("get", CONNECTION, None, MANAGE, True),
    "hrms.partial_update": ("patch", CONNECTION, {"active": False}, MANAGE, True),
    "hrms.destroy": ("delete", CONNECTION, None, MANAGE, True),
    "hrms.sync": ("post", CONNECTION + "sync/", None, MANAGE, True),
    "hrms.runs.list": ("get", CONNECTION + "runs/", None, MANAGE, True),
    "hrms.runs.retrieve": ("get", RUN, None, MANAGE, True),
    "hrms.runs.confirm": ("post", RUN + "confirm/", None, MANAGE, True),
}
GRAPHQL = {}


def victim_state(organisation_id) -> tuple:
    return (
        list(Connection.objects.filter(organisation_id=organisation_id).order_by("pk").values()),
        list(Run.objects.filter(organisation_id=organisation_id).order_by("pk").values()),
        OutboxEvent.objects.filter(organisation_id=organisation_id).count(),
    )


@pytest.fixture
def victim(make_tenant):
    tenant = make_tenant("victim")
    actor = Actor.system(tenant.organisation.pk, "tests")
    connection = services.connection_create(actor=actor, command=ConnectionCreate.parse(NEW))
    run = Run.objects.create(
        organisation_id=tenant.organisation.pk,
        connection=connection,
        trigger="api",
        mode="full",
        status="needs_confirmation",
    )
    return tenant, connection, run


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("call", sorted(REST))
def test_rest_refuses(call, who, victim, make_tenant):
    tenant, connection, run = victim
    method, path, body, _, names_victim = REST[call]
    client, on_victim, elsewhere = caller(who, tenant, make_tenant, MANAGE)
    before = victim_state(tenant.organisation.pk)
    response = getattr(client, method)(path.format(connection=connection.pk, run=run.pk), body, format="json")
    expected = on_victim if names_victim else elsewhere
    if expected is None:  # another organisation listing or creating its own: never sees the victim's
        assert response.status_code in (200, 201), response.content
        assert str(connection.pk) not in response.content.decode()
    else:
        assert response.status_code == expected, response.content
        if expected == 404:
            assert response.json()["code"] == "connection_not_found"
    assert victim_state(tenant.organisation.pk) == before
