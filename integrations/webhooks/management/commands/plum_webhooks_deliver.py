"""Relay the outbox and send every due delivery once, in this process: for a machine without Redis, where
no beat runs (make run), and for operations staff who want the queue emptied now. Safe beside workers:
the relay and the dispatcher claim rows with SKIP LOCKED, and a send checks its lease."""

from django.core.management.base import BaseCommand

from integrations.webhooks.services import deliveries, relay


class Command(BaseCommand):
    help = "Relay the outbox into webhook deliveries and send the due ones once, in this process."

    def handle(self, *args, **options):
        relayed = relay.outbox_relay(max_seconds=300.0)
        sent: dict[str, str] = {}
        deliveries.deliveries_dispatch(send=lambda ids, token: sent.update(deliveries.deliveries_send(ids, token)))
        states = sorted(sent.values())
        summary = ", ".join(f"{states.count(state)} {state}" for state in sorted(set(states))) or "none due"
        self.stdout.write(
            f"Relayed {relayed.events} outbox events into {relayed.deliveries} deliveries; sent: {summary}."
        )
