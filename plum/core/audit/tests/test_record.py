import datetime
import decimal
import uuid

import pytest
from django.db import transaction

from plum.core import audit
from plum.core.actor import Actor
from plum.core.models import AuditEntry, OutboxEvent
from plum.core.outbox import Event

ORG = uuid.UUID("00000000-0000-0000-0000-0000000000a1")


def client_actor() -> Actor:
    return Actor(ORG, kind="api_client", label="client:abc", client_id=7, client_key="abc", name="HR system")


def test_changes_between_gives_the_differing_fields_json_safe():
    before = {"name": "Ann", "since": datetime.date(2024, 1, 2), "budget": decimal.Decimal("1.50"), "same": 1}
    after = {"name": "Anne", "since": datetime.date(2024, 2, 1), "budget": decimal.Decimal("1.50"), "same": 1}
    assert audit.changes_between(before, after) == {"name": ["Ann", "Anne"], "since": ["2024-01-02", "2024-02-01"]}


def test_changes_between_a_field_on_one_side_only_is_none_on_the_other():
    assert audit.changes_between({"a": 1}, {"b": uuid.UUID(int=1)}) == {
        "a": [1, None],
        "b": [None, "00000000-0000-0000-0000-000000000001"],
    }


def test_created_gives_every_field_as_null_then_value():
    assert audit.created({"employee_id": "E1", "at": datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.UTC)}) == {
        "employee_id": [None, "E1"],
        "at": [None, "2024-01-02T03:04:00+00:00"],
    }


@pytest.mark.parametrize(
    "key",
    ["secret", "client_secret", "signing_secret", "code", "PIN", "token", "access_token", "password", "secret_sealed"],
)
def test_secret_ish_keys_never_appear_at_any_depth(key):
    nested = {"name": "x", key: "s3cret", "inner": {key: "s3cret", "list": [{key: "s3cret", "ok": 1}]}}
    assert audit.created(nested) == {"name": [None, "x"], "inner": [None, {"list": [{"ok": 1}]}]}
    assert audit.changes_between({key: "a"}, {key: "b"}) == {}


def test_counts_shape():
    assert audit.counts({"total": 3, "credited": 2}) == {"counts": [None, {"total": 3, "credited": 2}]}


@pytest.mark.django_db
def test_record_writes_one_row_with_the_actor_and_no_request_outside_one():
    with transaction.atomic():
        audit.record(
            actor=client_actor(),
            action="employee.created",
            object_type="employee",
            object_id="E1",
            changes={"first_name": [None, "Ann"], "token": [None, "t"]},
        )
    entry = AuditEntry.objects.get()
    assert (entry.organisation_id, entry.actor_kind, entry.actor_id, entry.actor_name) == (
        ORG,
        "client",
        "abc",
        "HR system",
    )
    assert (entry.action, entry.object_type, entry.object_id) == ("employee.created", "employee", "E1")
    assert entry.changes == {"first_name": [None, "Ann"]}
    assert (entry.ip, entry.request_id) == (None, None)


@pytest.mark.django_db
def test_record_takes_the_request_context():
    with audit.request_context(request_id="req-1", ip="10.0.0.9"), transaction.atomic():
        audit.record(actor=Actor.staff(ORG, 5, "staff:ann"), action="x.y", object_type="x", object_id="1")
    entry = AuditEntry.objects.get()
    assert (entry.actor_kind, entry.actor_id, entry.actor_name, entry.ip, entry.request_id) == (
        "staff",
        "5",
        "staff:ann",
        "10.0.0.9",
        "req-1",
    )


@pytest.mark.django_db
def test_system_actor_has_no_id():
    with transaction.atomic():
        audit.record(actor=Actor.system(ORG, "plum_programme_topup"), action="x.y", object_type="x", object_id="1")
    assert list(AuditEntry.objects.values_list("actor_kind", "actor_id", "actor_name")) == [
        ("system", None, "plum_programme_topup")
    ]


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused_and_writes_nothing():
    with pytest.raises(RuntimeError):
        audit.record(actor=client_actor(), action="x.y", object_type="x", object_id="1")
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_record_event_writes_the_event_and_the_entry_together():
    with transaction.atomic():
        audit.record_event(
            actor=client_actor(),
            event=Event("employee.updated", "employee", "E1", {"employee_id": "E1"}),
            changes={"email": ["a@x.io", "b@x.io"]},
        )
    assert list(OutboxEvent.objects.values_list("event_type", "aggregate_id")) == [("employee.updated", "E1")]
    assert list(AuditEntry.objects.values_list("action", "object_type", "object_id", "changes")) == [
        ("employee.updated", "employee", "E1", {"email": ["a@x.io", "b@x.io"]})
    ]


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_entry():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit.record(actor=client_actor(), action="x.y", object_type="x", object_id="1")
        1 / 0  # noqa: B018
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_inside_suppressed_record_writes_nothing_but_record_event_still_emits():
    with transaction.atomic():
        with audit.suppressed():
            audit.record(actor=client_actor(), action="x.y", object_type="x", object_id="1")
            audit.record_event(actor=client_actor(), event=Event("employee.updated", "employee", "E1", {}))
        audit.record(actor=client_actor(), action="x.z", object_type="x", object_id="2")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["x.z"]
    assert OutboxEvent.objects.count() == 1
