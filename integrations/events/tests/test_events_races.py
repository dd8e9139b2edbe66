"""Events under real concurrency: threads with their own PostgreSQL connections, released together by a
barrier. Each guarantee is shown with a naive variant the same harness catches."""

import threading

import pytest
from rest_framework.test import APIClient

from integrations.events.models import Event, Reward, RuleUsage
from integrations.events.services import events as event_service
from integrations.events.tests.factories import EVENTS, event_body, make_rule, make_world
from plum.core.db import fetchone
from points.models import PointsRequest
from points.tests.factories import balance
from points.tests.ledger_support import run_parallel

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
TAKE_LIMIT_SLOT = event_service.take_limit_slot  # the real one, which the tests wrap


def poster(tenant):
    """A POST of one body from a thread: its own client (and so its own connection)."""
    token = tenant.token()

    def post(body):
        client = APIClient()
        client.raise_request_exception = False
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.post(EVENTS, body, format="json")

    return post


def test_40_parallel_posts_of_one_event_credit_once(make_tenant):
    tenant = make_tenant()
    make_world(tenant)
    make_rule(tenant)
    post = poster(tenant)

    answers = run_parallel([lambda: post(event_body()) for _ in range(40)], workers=40)

    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1
    assert set(statuses) <= {200, 201, 409}
    assert all(a.json()["code"] == "request_in_progress" for a in answers if a.status_code == 409)
    first = next(a.json() for a in answers if a.status_code == 201)
    assert all(a.json() == first for a in answers if a.status_code == 200)
    assert (Event.objects.count(), Reward.objects.count(), PointsRequest.objects.count()) == (1, 1, 1)
    assert balance(tenant) == 500


INSERT_EVENT = event_service._insert
WITHOUT_ON_CONFLICT = event_service._RECEIVE.replace("ON CONFLICT (organisation_id, event_id) DO NOTHING", "")


def _naive_insert(event, employee_id):
    """Look, then insert: what event_receive must never do."""
    if Event.objects.filter(organisation_id=event.organisation_id, event_id=event.event_id).exists():
        return INSERT_EVENT(event, employee_id)  # found: a replay
    fetchone("SELECT pg_sleep(0.01)", [])  # the gap every look-then-insert has, made wide enough to see
    return INSERT_EVENT(event, employee_id, WITHOUT_ON_CONFLICT)


def test_naive_look_then_insert_fails_the_parallel_posts(make_tenant, monkeypatch):
    """The harness detects the race: the same 40 posts with exists() then INSERT end in server errors."""
    tenant = make_tenant()
    make_world(tenant)
    make_rule(tenant)
    post = poster(tenant)
    monkeypatch.setattr(event_service, "_insert", _naive_insert)

    answers = run_parallel([lambda: post(event_body()) for _ in range(40)], workers=40)

    assert 500 in {a.status_code for a in answers}
    assert PointsRequest.objects.count() == 1  # the unique event_id still saved the wallet


def _race_for_the_last_slot(tenant, monkeypatch, slot) -> list:
    """Two earlier events used 2 of the rule's 3; two new events arrive at the limit together."""
    make_world(tenant)
    make_rule(tenant, limit={"count": 3, "per": "month"})
    post = poster(tenant)
    for n in range(2):
        assert post(event_body(f"early-{n}")).status_code == 201
    barrier = threading.Barrier(2)
    monkeypatch.setattr(event_service, "take_limit_slot", lambda *args: slot(barrier, *args))
    answers = run_parallel([lambda n=n: post(event_body(f"racing-{n}")) for n in range(2)], workers=2)
    assert [a.status_code for a in answers] == [201, 201]
    return sorted(a.json()["rewards"][0]["status"] for a in answers)


def _locked_slot(barrier, rule, employee_pk, period):
    barrier.wait(timeout=30)  # both events reach the limit before either counts
    return TAKE_LIMIT_SLOT(rule, employee_pk, period)


def test_two_events_racing_for_the_last_allowed_reward_one_gets_it(make_tenant, monkeypatch):
    tenant = make_tenant()

    statuses = _race_for_the_last_slot(tenant, monkeypatch, _locked_slot)

    assert statuses == ["credited", "refused"]
    assert list(RuleUsage.objects.values_list("count", flat=True)) == [3]
    assert Reward.objects.filter(code="limit_reached").count() == 1
    assert balance(tenant) == 1500


def _naive_slot(barrier, rule, employee_pk, period):
    """Count the rewards given, then decide: what a limit must never be."""
    given = Reward.objects.filter(rule_id=rule.id, event__employee_id=employee_pk).exclude(status="refused").count()
    barrier.wait(timeout=30)
    return given < rule.limit_count


def test_naive_counted_limit_gives_the_last_reward_twice(make_tenant, monkeypatch):
    tenant = make_tenant()

    statuses = _race_for_the_last_slot(tenant, monkeypatch, _naive_slot)

    assert statuses == ["credited", "credited"]
    assert balance(tenant) == 2000  # one reward past the limit
