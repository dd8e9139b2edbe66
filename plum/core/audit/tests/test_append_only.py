import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from plum.core.audit.purge import erase_values, purge_expired
from plum.core.audit.tasks import purge_audit_task
from plum.core.models import AuditEntry

ORG = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
OTHER = uuid.UUID("00000000-0000-0000-0000-0000000000b2")
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def entry(*, at=NOW, organisation_id=ORG, object_id="E1", changes=None) -> AuditEntry:
    return AuditEntry.objects.create(
        organisation_id=organisation_id,
        at=at,
        actor_kind="system",
        actor_name="test",
        action="employee.updated",
        object_type="employee",
        object_id=object_id,
        changes=changes or {},
    )


def snapshot():
    return sorted(AuditEntry.objects.values_list("id", "at", "object_id", "changes"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditentry SET changes = '{}'",
        "UPDATE core_auditentry SET object_id = 'X'",
        "DELETE FROM core_auditentry",
    ],
)
def test_plain_update_and_delete_are_refused(statement):
    entry(changes={"email": [None, "ann@example.com"]})
    before = snapshot()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert snapshot() == before


@pytest.mark.django_db
def test_orm_delete_is_refused():
    row = entry()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        row.delete()
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db
def test_the_bypass_setting_does_not_let_an_update_touch_other_columns():
    entry()
    before = snapshot()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('plum.audit_bypass', 'erase', true)")
        cursor.execute("UPDATE core_auditentry SET object_id = 'X'")
    assert snapshot() == before


@pytest.mark.django_db
def test_purge_deletes_only_entries_older_than_the_retention():
    old = [entry(at=NOW - datetime.timedelta(days=d), object_id=f"old{d}") for d in (401, 450, 900)]
    kept = [entry(at=NOW - datetime.timedelta(days=d), object_id=f"kept{d}") for d in (0, 10, 399)]
    assert len(old) == 3
    assert purge_expired(retention_days=400, now=NOW) == 3
    assert sorted(AuditEntry.objects.values_list("object_id", flat=True)) == sorted(e.object_id for e in kept)


@pytest.mark.django_db
def test_purge_uses_the_setting(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    entry(at=timezone.now() - datetime.timedelta(days=31), object_id="old")
    entry(at=timezone.now() - datetime.timedelta(days=29), object_id="kept")
    assert purge_expired() == 1
    assert list(AuditEntry.objects.values_list("object_id", flat=True)) == ["kept"]


@pytest.mark.django_db
def test_after_a_purge_plain_deletes_are_refused_again():
    entry(at=NOW - datetime.timedelta(days=500), object_id="old")
    entry(object_id="kept")
    with transaction.atomic():
        purge_expired(retention_days=400, now=NOW)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry")
    assert list(AuditEntry.objects.values_list("object_id", flat=True)) == ["kept"]


@pytest.mark.django_db
def test_erase_replaces_personal_values_at_any_depth_in_one_organisation_only():
    personal = {"email": [None, "ann@example.com"], "inner": [{"names": ["Ann", "Bob"]}, None], "n": [1, 2]}
    mine = entry(changes=personal)
    theirs = entry(organisation_id=OTHER, changes=personal)
    untouched = entry(changes={"email": ["bob@example.com", None]})
    with transaction.atomic():
        changed = erase_values(
            organisation_id=ORG, replacements={"ann@example.com": "erased-1@erased.invalid", "Ann": "erased"}
        )
    assert changed == 1
    mine.refresh_from_db()
    assert mine.changes == {
        "email": [None, "erased-1@erased.invalid"],
        "inner": [{"names": ["erased", "Bob"]}, None],
        "n": [1, 2],
    }
    theirs.refresh_from_db()
    untouched.refresh_from_db()
    assert (theirs.changes, untouched.changes) == (personal, {"email": ["bob@example.com", None]})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET changes = '{}'")


@pytest.mark.django_db
def test_the_beat_task_purges_by_the_setting(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    entry(at=timezone.now() - datetime.timedelta(days=45), object_id="old")
    entry(at=timezone.now(), object_id="kept")
    assert purge_audit_task.apply().get() == 1
    assert list(AuditEntry.objects.values_list("object_id", flat=True)) == ["kept"]
