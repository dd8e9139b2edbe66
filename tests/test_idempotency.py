"""The Idempotency-Key contract (docs/api.md): replay, reuse refused, in flight, scoped to the client."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from plum.api import idempotency
from plum.api.models import IdempotencyRecord
from plum.core.models import OutboxEvent
from tests.conftest import employee_payload
from users.models import Employee

URL = "/api/v1/employees/"


def post(client, body, key):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_same_body_replays_the_first_answer(tenant):
    api = tenant.api()
    first = post(api, employee_payload("E1"), "key-1")
    again = post(api, employee_payload("E1"), "key-1")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content  # byte for byte: the fields in their first order too
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Employee.objects.filter(organisation=tenant.organisation).count() == 1
    assert OutboxEvent.objects.filter(organisation_id=tenant.organisation.id).count() == 1


def test_an_error_answer_is_replayed_too(tenant):
    api = tenant.api()
    post(api, employee_payload("E1"), "first")
    refused = post(api, employee_payload("E1"), "dup")
    replayed = post(api, employee_payload("E1"), "dup")

    assert refused.status_code == replayed.status_code == 409
    assert replayed.json() == refused.json()
    assert replayed["Content-Type"] == "application/problem+json"
    assert replayed["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_refused_and_changes_nothing(tenant):
    api = tenant.api()
    post(api, employee_payload("E1"), "key-1")
    before = list(Employee.objects.values_list("employee_id", flat=True))

    response = post(api, employee_payload("E2"), "key-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert list(Employee.objects.values_list("employee_id", flat=True)) == before


def test_a_key_still_in_flight_answers_409(tenant):
    api = tenant.api()
    body = employee_payload("E1")
    response = post(api, body, "busy")  # complete one so we know the fingerprint of this body
    IdempotencyRecord.objects.filter(key="busy").update(status="in_progress", response_body=None)

    retried = post(api, body, "busy")

    assert response.status_code == 201
    assert retried.status_code == 409
    assert retried.json()["code"] == "request_in_progress"


def test_a_stale_in_flight_key_is_taken_over(tenant, settings):
    """A request whose process died keeps its key in progress; after the stale period it may run again."""
    api = tenant.api()
    IdempotencyRecord.objects.create(
        client_id=tenant.client.pk,
        key="orphan",
        fingerprint="x",
        status="in_progress",
        created_at=timezone.now() - settings.PLUM_IDEMPOTENCY_STALE_AFTER - timedelta(seconds=1),
    )
    response = post(api, employee_payload("E1"), "orphan")
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get(key="orphan").status == "completed"


def test_two_clients_with_one_key_do_not_see_each_others_answers(tenant, make_tenant):
    other_client = make_tenant("acme-b")
    alpha, beta = tenant.api(), other_client.api()

    first = post(alpha, employee_payload("A1"), "shared-key")
    second = post(beta, employee_payload("B1"), "shared-key")

    assert first.status_code == second.status_code == 201
    assert second.json()["employee_id"] == "B1"
    assert "Idempotent-Replayed" not in second


def test_keys_are_validated(tenant):
    api = tenant.api()
    response = post(api, employee_payload("E1"), "k" * 256)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Employee.objects.exists()


def test_a_server_error_frees_the_key(tenant, monkeypatch):
    api = tenant.api()
    api.raise_request_exception = False

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("users.services.employee_create", explode)
    failed = post(api, employee_payload("E1"), "retry-me")
    monkeypatch.undo()
    retried = post(api, employee_payload("E1"), "retry-me")

    assert failed.status_code == 500
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


def test_a_request_that_outlived_its_claim_leaves_the_next_owners_answer_alone(tenant, settings, monkeypatch):
    """The first request runs past the stale period; a retry takes the key over and answers. The first
    one's late end (here a refusal: the retry created the employee) must not overwrite that answer."""
    from users import services

    api, create, answers, calls = tenant.api(), services.employee_create, [], []

    def slow_create(**kwargs):
        calls.append(1)
        if len(calls) == 1:  # the first request, still running when its claim goes stale
            settings.PLUM_IDEMPOTENCY_STALE_AFTER = timedelta(0)
            answers.append(post(api, employee_payload("E1"), "slow"))
            settings.PLUM_IDEMPOTENCY_STALE_AFTER = timedelta(minutes=10)
        return create(**kwargs)

    monkeypatch.setattr("users.services.employee_create", slow_create)
    late = post(api, employee_payload("E1"), "slow")
    replay = post(api, employee_payload("E1"), "slow")

    assert (answers[0].status_code, late.status_code) == (201, 409)
    assert (replay.status_code, replay.content) == (201, answers[0].content)
    assert Employee.objects.filter(organisation=tenant.organisation).count() == 1


def test_old_keys_are_purged(tenant, settings):
    IdempotencyRecord.objects.create(
        client_id=1,
        key="old",
        fingerprint="x",
        status="completed",
        created_at=timezone.now() - settings.PLUM_IDEMPOTENCY_TTL - timedelta(minutes=1),
    )
    IdempotencyRecord.objects.create(client_id=1, key="new", fingerprint="x", created_at=timezone.now())
    assert idempotency.idempotency_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def _parallel_posts(tenant, count: int) -> list:
    """`count` threads, each with its own connection, released together by a barrier."""
    clients = [tenant.api() for _ in range(count)]
    barrier = threading.Barrier(count)
    answers = [None] * count

    def worker(i):
        try:
            barrier.wait()
            response = post(clients[i], employee_payload("RACE-1"), "one-key")
            answers[i] = (response.status_code, response.json().get("code"), response.get("Idempotent-Replayed"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_100_parallel_posts_with_one_key_create_exactly_one_employee(tenant):
    answers = _parallel_posts(tenant, 100)

    created = [a for a in answers if a[0] == 201 and a[2] is None]
    replayed = [a for a in answers if a[0] == 201 and a[2] == "true"]
    in_flight = [a for a in answers if a[0] == 409 and a[1] == "request_in_progress"]
    assert len(created) == 1
    assert len(created) + len(replayed) + len(in_flight) == 100, answers
    assert Employee.objects.filter(employee_id="RACE-1").count() == 1
    assert OutboxEvent.objects.filter(event_type="employee.created").count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_naive_exists_then_insert_claim_lets_requests_run_twice(tenant, monkeypatch):
    """The harness detects the race: with an exists()-then-insert claim, several requests run the create."""

    def naive_claim(client_id, key, fingerprint):
        if IdempotencyRecord.objects.filter(client_id=client_id, key=key).exists():
            return None
        time.sleep(0.05)  # the gap every check-then-act has, made wide enough to see
        record = IdempotencyRecord.objects.create(
            client_id=client_id, key=f"{key}-{time.monotonic_ns()}", fingerprint=fingerprint, created_at=timezone.now()
        )
        return record.created_at

    monkeypatch.setattr(idempotency, "_claim", naive_claim)
    answers = _parallel_posts(tenant, 20)

    ran_create = [a for a in answers if a[1] == "employee_exists" or (a[0] == 201 and a[2] is None)]
    assert len(ran_create) > 1
