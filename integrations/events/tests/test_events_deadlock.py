"""Two events of one employee whose limited rules overlap cannot wait for each other in a circle: every
limit slot is taken before any credit locks the wallet. The interleaving that deadlocks a slot-then-credit
loop is forced with real threads and connections; the naive variant shows the harness catches it."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from integrations.events.services import events as event_service
from integrations.events.tests.factories import EVENTS, event_body, make_rule, make_world
from points.tests.factories import balance

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
TAKE_LIMIT_SLOT, REWARD = event_service.take_limit_slot, event_service._reward  # the real ones
LIMIT = {"count": 10, "per": "ever"}


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0


def _race(tenant, monkeypatch) -> dict[str, int]:
    """Event "both" matches rules A and B, event "b" only B, for the same employee. "b" takes B's slot and
    holds it until "both" is stuck waiting on a lock; then "b" credits. Answers each event's status."""
    make_world(tenant)
    make_rule(tenant, "A", conditions=[{"field": "data.rating", "op": "eq", "value": 5}], limit=LIMIT)
    rule_b = make_rule(tenant, "B", conditions=[], limit=LIMIT)
    b_holds_its_slot = threading.Event()

    def take_limit_slot(rule, employee_pk, period):
        taken = TAKE_LIMIT_SLOT(rule, employee_pk, period)
        if threading.current_thread().name == "b" and str(rule.id) == str(rule_b.id):
            b_holds_its_slot.set()
            for _ in range(200):  # until "both" waits on a lock (B's slot, or the wallet), 10 s at most
                if _waiting_on_a_lock():
                    break
                threading.Event().wait(0.05)
        return taken

    monkeypatch.setattr(event_service, "take_limit_slot", take_limit_slot)
    token, answers = tenant.token(), {}

    def post(name, body):
        client = APIClient()
        client.raise_request_exception = False
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        answers[name] = client.post(EVENTS, body, format="json").status_code
        connection.close()

    b = threading.Thread(target=post, name="b", args=("b", event_body("only-b", data={"rating": 3})))
    both = threading.Thread(target=post, name="both", args=("both", event_body("a-and-b")))
    b.start()
    assert b_holds_its_slot.wait(10)
    both.start()
    for thread in (b, both):
        thread.join(60)
    return answers


def test_overlapping_limited_rules_of_one_employee_never_deadlock(make_tenant, monkeypatch):
    tenant = make_tenant()

    answers = _race(tenant, monkeypatch)

    assert answers == {"b": 201, "both": 201}
    assert balance(tenant) == 3 * 500


def test_naive_variant_a_slot_taken_just_before_its_credit_deadlocks(make_tenant, monkeypatch):
    """Each rule's slot taken right before its own credit: "both" holds the wallet and waits for B's slot,
    "b" holds B's slot and waits for the wallet; PostgreSQL breaks the circle by failing one (a 500)."""
    tenant = make_tenant()
    monkeypatch.setattr(event_service, "_take_slot", lambda rule, event: "later")

    def reward(actor, event, rule, points, slot, *, savepoint):
        period = event_service.limit_period(rule.limit_per, event.occurred_at)
        slot = period if event_service.take_limit_slot(rule, event.employee.pk, period) else ""  # the wrapped one
        return REWARD(actor, event, rule, points, slot, savepoint=savepoint)

    monkeypatch.setattr(event_service, "_reward", reward)

    answers = _race(tenant, monkeypatch)

    assert sorted(answers.values()) == [201, 500]
