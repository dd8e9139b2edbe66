"""Batches in-process: a big batch credited exactly, item outcomes equal to single requests, the budget
running out mid-chunk, chunks that fail roll back whole and are retried, replays and conflicts."""

import pytest

from plum.core.actor import Actor
from plum.core.errors import DomainError
from points.commands import PointsBatchCommand, PointsRequestCommand, ProgrammeCommand
from points.models import Account, PointsBatch, PointsBatchItem, PointsRequest
from points.selectors import wallet_get
from points.services import (
    ChunkFailed,
    points_batch_create,
    points_batch_process,
    points_batch_retry,
    points_request_submit,
    programme_create,
)
from points.services import batch_credit as batch_credit_module
from points.services.batches import MAX_FAILURES
from points.tests.batches_support import (
    assert_each_request_once,
    assert_exactly_once,
    assert_ledger_proven,
    batch_tables,
    counts,
    credits,
    events,
    expected_wallets,
    make_org,
    wallets,
)
from users.commands import EmployeeDeactivate
from users.services import employee_deactivate


def batch_command(batch_id, requests) -> PointsBatchCommand:
    return PointsBatchCommand.parse({"batch_id": batch_id, "requests": requests})


def outcomes(batch) -> list[tuple]:
    return list(
        PointsBatchItem.objects.filter(batch=batch)
        .order_by("index")
        .values_list("index", "status", "error_code", "error_field")
    )


def test_a_batch_of_10000_is_credited_exactly(tenant):
    org = make_org(tenant, employees=1500)
    requests = credits(org, 10_000)
    batch = org.batch("big", requests)

    assert counts(batch)["status"] == "queued"
    assert points_batch_process(batch.pk) is False

    assert_exactly_once(org, batch, requests)
    # balance_after of each request follows its wallet's credits in the batch's order
    first = PointsRequest.objects.filter(batch_id=batch.pk, employee__employee_id="E00000").order_by("request_id")
    assert sorted(first.values_list("balance_after", flat=True)) == [
        sum(r["points"] for r in requests[: n + 1 : 1500]) for n in range(0, 10_000, 1500)
    ]


def test_each_item_gets_the_outcome_of_a_single_request(tenant):
    org = make_org(tenant, employees=3, approval_threshold=500, max_points_per_request=1000)
    actor = org.actor
    old = {"request_id": "old", "employee_id": "E00000", "points": 5, "programme": "KUDOS"}
    points_request_submit(actor=actor, command=PointsRequestCommand.parse(old))
    employee_deactivate(actor=actor, command=EmployeeDeactivate.parse({"employee_id": "E00002"}))
    programme_create(actor=actor, command=ProgrammeCommand.parse({"code": "OFF", "name": "Off", "status": "inactive"}))
    good = {"employee_id": "E00000", "points": 10, "programme": "KUDOS"}
    requests = [
        {"request_id": "a", **good},
        {"request_id": "b", **good, "employee_id": "NOPE"},
        {"request_id": "c", **good, "employee_id": "E00002"},
        {"request_id": "d", **good, "programme": "NOPE"},
        {"request_id": "e", **good, "programme": "OFF"},
        {"request_id": "f", **good, "points": 1001},
        {"request_id": "g", **good, "points": 0},
        {"request_id": "h", **good, "points": 500},
        {"request_id": "old", "employee_id": "E00000", "points": 5, "programme": "KUDOS"},
        {"request_id": "old", **good},
        {"request_id": "a", **good},
        {"request_id": "a", **good, "points": 11},
        {"request_id": "i", **good, "colour": "red"},
        {"employee_id": "E00000", "points": 1, "programme": "KUDOS"},
        "not an object",
        {"request_id": "j", **good, "points": "10"},
    ]
    batch = org.batch("mixed", requests)
    points_batch_process(batch.pk)

    assert outcomes(batch) == [
        (0, "credited", "", ""),
        (1, "rejected", "employee_not_found", "employee_id"),
        (2, "rejected", "employee_inactive", "employee_id"),
        (3, "rejected", "programme_not_found", "programme"),
        (4, "rejected", "programme_inactive", "programme"),
        (5, "rejected", "points_out_of_range", "points"),
        (6, "rejected", "points_out_of_range", "points"),
        (7, "pending_approval", "", ""),
        (8, "replayed", "", ""),
        (9, "rejected", "request_id_conflict", "request_id"),
        (10, "replayed", "", ""),
        (11, "rejected", "request_id_conflict", "request_id"),
        (12, "rejected", "unknown_field", "colour"),
        (13, "rejected", "required", "request_id"),
        (14, "rejected", "invalid", ""),
        (15, "rejected", "invalid", "points"),
    ]
    # the same bodies sent one by one get the same codes
    for index in (1, 2, 3, 4, 5, 6):
        body = {**requests[index], "request_id": f"single-{index}"}
        with pytest.raises(DomainError) as refused:
            points_request_submit(actor=actor, command=PointsRequestCommand.parse(body))
        assert str(refused.value.code) == outcomes(batch)[index][2]
    items = {i.index: i for i in PointsBatchItem.objects.filter(batch=batch)}
    old = PointsRequest.objects.get(request_id="old")
    assert items[8].points_request_id == old.pk and items[10].points_request_id == items[0].points_request_id
    assert items[1].error_message == "No employee 'NOPE'."
    assert PointsRequest.objects.get(pk=items[7].points_request_id).status == "pending_approval"
    assert PointsRequest.objects.filter(batch_id=batch.pk).count() == 2
    assert counts(batch) | {"status": "completed"} == {
        "status": "completed",
        "total": 16,
        "processed": 16,
        "credited": 1,
        "pending_approval": 1,
        "rejected": 12,
        "replayed": 2,
    }
    assert wallets(org) == {"E00000": 15}
    assert_ledger_proven(org)
    assert events("points_request.pending_approval") == [str(items[7].points_request_id)]


def test_when_the_budget_runs_out_items_are_paid_in_order_while_it_lasts(tenant):
    org = make_org(tenant, employees=10, budget=1000)
    requests = [{**r, "points": p} for r, p in zip(credits(org, 6), [300, 300, 500, 300, 100, 50], strict=True)]
    batch = org.batch("tight", requests)
    points_batch_process(batch.pk)

    # 300 + 300 paid, 500 does not fit in the 400 left, 300 and 100 do, then 50 finds nothing
    assert [(s, code) for _, s, code, _ in outcomes(batch)] == [
        ("credited", ""),
        ("credited", ""),
        ("rejected", "budget_exhausted"),
        ("credited", ""),
        ("credited", ""),
        ("rejected", "budget_exhausted"),
    ]
    assert sum(wallets(org).values()) == 1000
    budget = Account.objects.filter(kind="budget", organisation_id=org.organisation_id)
    assert sum(budget.values_list("balance", flat=True)) == 0
    assert PointsRequest.objects.filter(batch_id=batch.pk).count() == 4
    assert_ledger_proven(org)


def test_a_chunk_failing_mid_way_rolls_back_whole_and_is_retried(tenant, monkeypatch):
    org = make_org(tenant, employees=40)
    requests = credits(org, 300)
    batch = org.batch("flaky", requests)
    before = batch_tables()
    real_emit = batch_credit_module.outbox_copy_json

    def failing_emit(**events):
        real_emit(**events)  # the chunk's requests, lots and ledger rows are in by now
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(batch_credit_module, "outbox_copy_json", failing_emit)
    with pytest.raises(ChunkFailed) as failed:
        points_batch_process(batch.pk, chunk_size=100)

    assert (failed.value.failures, failed.value.final) == (1, False)
    after = batch_tables()
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"batches"}  # only the batch's failure count: the chunk left nothing behind
    batch.refresh_from_db()
    assert (batch.status, batch.failures, batch.processed) == ("processing", 1, 0)
    assert batch.last_error == "RuntimeError: disk on fire"

    monkeypatch.setattr(batch_credit_module, "outbox_copy_json", real_emit)
    points_batch_process(batch.pk, chunk_size=100)
    assert counts(batch)["credited"] == 300
    assert batch.failures == 0  # a chunk that commits resets the count of failures in a row
    assert wallets(org) == expected_wallets(requests)
    assert_ledger_proven(org)
    assert_each_request_once(batch)


def test_a_chunk_that_keeps_failing_fails_the_batch_until_staff_retry_it(tenant, monkeypatch):
    org = make_org(tenant, employees=5)
    batch = org.batch("broken", credits(org, 20))
    monkeypatch.setattr(batch_credit_module, "fingerprint", lambda clean: 1 / 0)
    for attempt in range(1, MAX_FAILURES + 1):
        with pytest.raises(ChunkFailed) as failed:
            points_batch_process(batch.pk)
        assert (failed.value.failures, failed.value.final) == (attempt, attempt == MAX_FAILURES)
    assert counts(batch)["status"] == "failed"
    assert points_batch_process(batch.pk) is False  # a failed batch is left alone
    assert counts(batch)["processed"] == 0

    monkeypatch.undo()
    staff = Actor.staff(tenant.organisation.id, 1, "staff:ops")
    assert points_batch_retry(actor=staff, batch_uuid=batch.pk).status == "processing"
    points_batch_process(batch.pk)
    assert counts(batch)["status"] == "completed" and counts(batch)["credited"] == 20


def test_a_second_delivery_after_the_first_does_nothing(tenant):
    org = make_org(tenant, employees=5)
    batch = org.batch("twice", credits(org, 50))
    points_batch_process(batch.pk)
    before = batch_tables()

    assert points_batch_process(batch.pk) is False
    assert batch_tables() == before


def test_same_batch_id_replays_and_other_requests_conflict(tenant, other_tenant):
    org = make_org(tenant, employees=5)
    requests = credits(org, 10)
    first = points_batch_create(actor=org.actor, command=batch_command("B-1", requests))
    before = batch_tables()

    again = points_batch_create(actor=org.actor, command=batch_command("B-1", requests))
    assert (again.batch.pk, again.replayed, again.http_status, first.http_status) == (first.batch.pk, True, 200, 202)
    with pytest.raises(DomainError) as conflict:
        points_batch_create(actor=org.actor, command=batch_command("B-1", requests[:9]))
    assert (str(conflict.value.code), conflict.value.http_status) == ("batch_id_conflict", 409)
    assert batch_tables() == before
    # another organisation may use the same batch_id
    elsewhere = points_batch_create(
        actor=Actor.system(other_tenant.organisation.id), command=batch_command("B-1", requests)
    )
    assert elsewhere.batch.pk != first.batch.pk and PointsBatch.objects.count() == 2


@pytest.mark.parametrize(
    ("batch_id", "requests", "errors"),
    [
        (None, [{}], [("batch_id", "required")]),
        ("has space", [{}], [("batch_id", "invalid")]),
        ("x" * 129, [{}], [("batch_id", "invalid")]),
        ("ok", None, [("requests", "required")]),
        ("ok", [], [("requests", "invalid")]),
        ("ok", {"a": 1}, [("requests", "invalid")]),
        ("ok", [{}] * 100_001, [("requests", "invalid")]),
        (
            "ok",
            [{"reason": "nul \x00"}, {"reason": "a literal \\u0000 is text"}, {"metadata": {"k": ["\ud800"]}}],
            [("requests[0]", "invalid"), ("requests[2]", "invalid")],
        ),
    ],
)
def test_a_malformed_batch_is_refused_whole(tenant, batch_id, requests, errors):
    actor = Actor.system(tenant.organisation.id)
    before = batch_tables()
    with pytest.raises(DomainError) as refused:
        points_batch_create(actor=actor, command=batch_command(batch_id, requests))
    assert (str(refused.value.code), refused.value.http_status) == ("validation_error", 400)
    assert [(e["field"], e["code"]) for e in refused.value.errors] == errors
    assert batch_tables() == before


@pytest.mark.parametrize("chunk_size", [1, 2, 5000])
def test_repeats_of_one_request_id_get_the_in_order_answer_whatever_the_chunk(tenant, chunk_size):
    org = make_org(tenant, employees=3)
    refused = {"request_id": "e", "employee_id": "NOPE", "points": 5, "programme": "KUDOS"}
    credited = {"request_id": "e", "employee_id": "E00002", "points": 5, "programme": "KUDOS"}
    batch = org.batch("repeats", [refused, credited, refused])

    points_batch_process(batch.pk, chunk_size=chunk_size)

    assert outcomes(batch) == [
        (0, "rejected", "employee_not_found", "employee_id"),
        (1, "credited", "", ""),
        (2, "rejected", "request_id_conflict", "request_id"),
    ]
    assert wallets(org) == {"E00002": 5}


def test_an_item_missing_several_fields_names_them_all(tenant):
    org = make_org(tenant, employees=1)
    batch = org.batch("missing", [{"request_id": "q"}])
    points_batch_process(batch.pk)
    item = PointsBatchItem.objects.get(batch=batch)
    assert (item.error_code, item.error_field, item.error_message) == (
        "required",
        "employee_id",
        "employee_id: This field is required.; programme: This field is required.; points: This field is required.",
    )


def test_a_float_too_large_for_digits_is_refused_like_a_single_requests(tenant):
    org = make_org(tenant, employees=1)
    body = {"request_id": "f", "employee_id": "E00000", "points": 1e308, "programme": "KUDOS"}
    with pytest.raises(DomainError) as single:
        points_request_submit(actor=org.actor, command=PointsRequestCommand.parse(body))
    batch = org.batch("floats", [body, {**body, "request_id": "g", "points": 10.0}])
    points_batch_process(batch.pk)

    assert [(e["field"], e["code"]) for e in single.value.errors] == [("points", "invalid")]
    assert outcomes(batch) == [(0, "rejected", "invalid", "points"), (1, "rejected", "invalid", "points")]
    assert wallets(org) == {}


def test_a_wallet_opened_for_an_item_the_budget_refused_has_not_moved(tenant):
    org = make_org(tenant, employees=2, budget=1000)
    items = [
        {"request_id": "x", "employee_id": "E00001", "points": 600, "programme": "KUDOS"},
        {"request_id": "z", "employee_id": "E00000", "points": 500, "programme": "KUDOS"},
    ]
    batch = org.batch("short", items)
    points_batch_process(batch.pk)

    assert outcomes(batch)[1] == (1, "rejected", "budget_exhausted", "")
    assert wallet_get(actor=org.actor, employee_id="E00000") == {
        "employee_id": "E00000",
        "balance": 0,
        "expiring": [],
        "updated_at": None,
    }
