"""plum_webhooks_deliver: what a worker with beat does, once, in this process (a machine without Redis)."""

import pytest
from django.core.management import call_command

from integrations.webhooks.models import Delivery
from integrations.webhooks.tests import test_deliveries_support as support
from integrations.webhooks.tests.test_deliveries_support import emit, make_subscription, refused_url

receiver = support.receiver  # the shared fixture

pytestmark = pytest.mark.django_db(transaction=True)  # the sends run after the dispatcher's commit


def test_the_command_relays_and_sends_what_is_due(tenant, receiver, settings, capsys):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    up, _ = make_subscription(tenant.organisation.id, receiver(200).url)
    down, _ = make_subscription(tenant.organisation.id, refused_url())
    emit(tenant.organisation.id, count=2)

    call_command("plum_webhooks_deliver")

    assert capsys.readouterr().out.strip() == "Relayed 2 outbox events into 4 deliveries; sent: 2 delivered, 2 failed."
    assert sorted(Delivery.objects.values_list("subscription", "state", "attempts")) == sorted(
        [(up.pk, "delivered", 1)] * 2 + [(down.pk, "failed", 1)] * 2
    )


def test_with_nothing_due_it_says_so(tenant, capsys):
    call_command("plum_webhooks_deliver")

    assert capsys.readouterr().out.strip() == "Relayed 0 outbox events into 0 deliveries; sent: none due."
