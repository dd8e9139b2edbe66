"""plum_rotate_integration_key: hook, webhook, HRMS and chat secrets move onto the new key (the same engine
as the voucher key's, over the integration tables)."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.chat.models import Channel
from integrations.events.models import HookEndpoint
from integrations.hrms.models import Connection
from integrations.webhooks.models import Subscription
from plum.core.keys import new_webhook_secret, seal, secrets_in_force, unseal
from plum.management.commands.plum_rotate_integration_key import INTEGRATION_ROTATION
from plum.tests.rotation_support import NEW, OLD, before_rotation, legacy_seal, opened, step_one, stored

NOW = datetime.now(UTC)


@pytest.fixture
def secrets_under_old_key(tenant, settings):
    before_rotation(settings)
    org = tenant.organisation
    hook = HookEndpoint.objects.create(
        organisation=org,
        name="HR events",
        endpoint_key="k1",
        mapping={},
        secret_sealed=seal(new_webhook_secret(), org.id),
        previous_secret_sealed=legacy_seal(OLD, b"plum integration secret", "whsec_legacy", org.id),
        previous_secret_expires_at=NOW + timedelta(hours=1),
    )
    Subscription.objects.create(
        organisation=org, url="https://example.com/h", events=["voucher.issued"], secret_sealed=seal("whsec_s", org.id)
    )
    Connection.objects.create(
        organisation=org,
        provider="workday",
        base_url="https://hr.example.com",
        credentials_sealed=seal(json.dumps({"client_secret": "s3cret"}), org.id),
    )
    Channel.objects.create(
        organisation=org,
        kind="slack_app",
        events=["voucher.issued"],
        signing_secret_sealed=seal("signing", org.id),
        bot_token_sealed=seal("xoxb-1", org.id),
    )
    return hook


@pytest.mark.parametrize("own_key", [True, False], ids=["PLUM_INTEGRATION_KEY", "following PLUM_VOUCHER_KEY"])
def test_every_integration_secret_moves_onto_the_new_key(settings, secrets_under_old_key, own_key):
    before = opened(INTEGRATION_ROTATION)
    if own_key:
        settings.INTEGRATION_SECRET_KEY, settings.INTEGRATION_SECRET_KEY_PREVIOUS = NEW, OLD
    else:
        step_one(settings)
    out = StringIO()

    call_command("plum_rotate_integration_key", stdout=out)

    assert sum(value is not None for value in before.values()) == 6
    assert (
        "Done: 6 re-sealed (integrations_chat_channel 2, integrations_events_hookendpoint 2, "
        "integrations_hrms_connection 1, integrations_webhooks_subscription 1)" in out.getvalue()
    )
    assert opened(INTEGRATION_ROTATION, current_only=True) == before
    settings.INTEGRATION_SECRET_KEY_PREVIOUS = settings.VOUCHER_CODE_KEY_PREVIOUS = ""  # step 3
    hook = secrets_under_old_key
    hook.refresh_from_db()
    assert secrets_in_force(hook, NOW)[1] == "whsec_legacy"
    connection = Connection.objects.get()
    assert json.loads(unseal(connection.credentials_sealed, connection.organisation_id)) == {"client_secret": "s3cret"}


def test_without_the_previous_key_it_refuses_and_changes_nothing(settings, secrets_under_old_key):
    before = stored(INTEGRATION_ROTATION)
    settings.INTEGRATION_SECRET_KEY = NEW

    with pytest.raises(CommandError, match="PLUM_INTEGRATION_KEY_PREVIOUS is not set.*Nothing was changed."):
        call_command("plum_rotate_integration_key", stdout=StringIO())

    assert stored(INTEGRATION_ROTATION) == before
