"""Support of tests/test_points_decision_matrix.py (no tests here): the world every case starts from, the
six ways in (doors and paths) that each answer an Outcome, a normalised read-out of every row a credit
may write, and a holder of every budget shard.

Doors go through HTTP so that a change of the services under them does not touch this file; the two
paths of a single credit are reached by calling the service, in one function (submit_through_service)."""

import io
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from plum.core.actor import Actor
from plum.core.db import fetchone
from plum.core.models import OutboxEvent
from points import services
from points.commands import PointsRequestCommand
from points.errors import PointsError
from points.models import Account, LedgerEntry, LedgerTransaction, Lot, PointsRequest, Programme
from tests.conftest import employee_payload, graphql
from users.models import Employee

CREDITED, PENDING, REPLAYED, REJECTED = "credited", "pending_approval", "replayed", "rejected"
REQUESTS, BATCHES, UPLOADS = "/api/v1/points/requests/", "/api/v1/points/batches/", "/api/v1/points/uploads/"


@dataclass(frozen=True)
class Outcome:
    status: str  # credited, pending_approval, replayed or rejected
    code: str | None = None  # the error code of a rejection
    by: str = ""  # where a way in has two deciders: an upload's file check or its batch; the statement or not


@dataclass
class World:
    actor: Actor  # for the service paths
    api: object  # a REST and GraphQL client with every scope


class _RolledBack(Exception):
    pass


def each_in_a_fresh_world(make_tenant, doors, *, committed: bool = False):
    """(door, world) for each door, each world fresh and identical: the one world made here, rolled back
    to just after its making between doors; or, when other connections must see it (`committed`), a new
    organisation made alike for each door."""
    if committed:
        for door in doors:
            yield door, new_world(make_tenant)
        return
    world = new_world(make_tenant)
    for door in doors:
        try:
            with transaction.atomic():
                yield door, world
                raise _RolledBack
        except _RolledBack:
            pass


def new_world(make_tenant) -> World:
    """Every case starts here, in an organisation of its own: an active and an inactive employee, and
    KUDOS (threshold 400, maximum 500), OPEN (no threshold, maximum 500), POOR (50 points over 8 shards,
    so none pays more than 7 alone) and OFF (inactive). Made through the doors (REST and the top-up
    command), which keep their shape while the services under them change."""
    tenant = make_tenant()
    api = tenant.api()
    api.raise_request_exception = False
    employees = [employee_payload("E1"), employee_payload("E2", status="inactive")]
    synced = api.post(
        "/api/v1/employees/sync/", {"mode": "upsert", "source": "matrix", "employees": employees}, format="json"
    )
    assert synced.status_code == 200 and synced.json()["created"] == 2, synced.json()
    for code, budget, fields in (
        ("KUDOS", 8_000, {"approval_threshold": 400, "max_points_per_request": 500}),
        ("OPEN", 8_000, {"max_points_per_request": 500}),
        ("POOR", 50, {}),
        ("OFF", 0, {"status": "inactive"}),
    ):
        created = api.post("/api/v1/programmes/", {"code": code, "name": f"{code} awards", **fields}, format="json")
        assert created.status_code == 201, created.json()
        if budget:
            call_command("plum_programme_topup", tenant.organisation.slug, code, str(budget), stdout=io.StringIO())
    return World(Actor.system(tenant.organisation.id, label="tests"), api)


def through_rest(world: World, body: dict) -> Outcome:
    response = world.api.post(REQUESTS, body, format="json")
    answer = response.json()
    if response.status_code >= 400:
        expected_status = 409 if answer["code"] == "request_id_conflict" else 422
        assert response.status_code == expected_status, answer
        return Outcome(REJECTED, answer["code"])
    status = {201: answer["status"], 202: answer["status"], 200: REPLAYED}[response.status_code]
    assert response.status_code != 200 or answer["status"] == CREDITED  # a replay answers the first answer
    return Outcome(status)


CREATE = """mutation($input: PointsRequestCreateInput!) { pointsRequestCreate(input: $input) {
    replayed pointsRequest { status } errors { field code message } } }"""


def through_graphql(world: World, body: dict) -> Outcome:
    data = {"requestId": body["request_id"], "employeeId": body["employee_id"]}
    data |= {k: body[k] for k in ("points", "programme", "reason")}
    status, answer = graphql(world.api, CREATE, {"input": data})
    assert status == 200 and "errors" not in answer, answer
    payload = answer["data"]["pointsRequestCreate"]
    if payload["errors"]:
        return Outcome(REJECTED, payload["errors"][0]["code"])
    return Outcome(REPLAYED if payload["replayed"] else payload["pointsRequest"]["status"])


def through_batch(world: World, body: dict) -> Outcome:
    created = world.api.post(BATCHES, {"batch_id": f"B-{uuid.uuid4().hex}", "requests": [body]}, format="json")
    assert created.status_code == 202, created.json()
    return _batch_item_outcome(world, created.json()["id"])


def through_upload(world: World, body: dict) -> Outcome:
    columns = ("employee_id", "points", "reason", "request_id", "programme")  # no value of the cases has a comma
    text = ",".join(columns) + "\n" + ",".join(str(body[name]) for name in columns) + "\n"
    file = SimpleUploadedFile("awards.csv", text.encode(), "text/csv")
    checked = world.api.post(UPLOADS, {"file": file}, format="multipart")
    upload = checked.json()
    assert checked.status_code == 201 and upload["rows"] == 1, upload
    if upload["invalid"]:
        return Outcome(REJECTED, upload["errors"][0]["code"], by="file")
    confirmed = world.api.post(f"{UPLOADS}{upload['id']}/confirm/")
    assert confirmed.status_code == 202, confirmed.json()
    return replace(_batch_item_outcome(world, confirmed.json()["id"]), by="batch")


def _batch_item_outcome(world: World, batch_uuid: str) -> Outcome:
    run_batch_worker(batch_uuid)
    batch = world.api.get(f"{BATCHES}{batch_uuid}/").json()
    assert batch["status"] == "completed", batch
    (item,) = world.api.get(f"{BATCHES}{batch_uuid}/items/").json()["results"]
    return Outcome(item["status"], item["error"]["code"] if item["error"] else None)


def run_batch_worker(batch_uuid: str) -> None:
    """What the worker's task runs for a batch, here in this process (a test commits nothing, so no
    message went to a broker). Until none is left queued, as the worker's continuations would."""
    while services.points_batch_process(batch_uuid):
        pass


def submit_through_service(world: World, body: dict, *, general_path_only: bool) -> Outcome:
    """A single credit as every door makes it, by the service itself. It tries the one-statement function
    first (points.services.single_credit), which credits or hands the request to the general path having
    written nothing, as the service's debug log says (fast: `by` tells which). The setting
    POINTS_ONE_STATEMENT_CREDIT = False switches the statement off (general)."""
    with override_settings(POINTS_ONE_STATEMENT_CREDIT=not general_path_only), general_path_log() as handed_over:
        try:
            submitted = services.points_request_submit(actor=world.actor, command=PointsRequestCommand.parse(body))
        except PointsError as refusal:
            outcome = Outcome(REJECTED, str(refusal.code))
        else:
            outcome = Outcome(REPLAYED if submitted.replayed else str(submitted.request.status))
    if general_path_only:
        return outcome
    return Outcome(outcome.status, outcome.code, by="general path" if handed_over else "statement")


@contextmanager
def general_path_log():
    """The requests the service handed to its general path while inside, as it logs them (at debug)."""
    handed_over = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: handed_over.append(record) if "takes the general path" in record.msg else None
    logger = logging.getLogger(services.requests.__name__)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handed_over
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


DOORS = {
    "rest": through_rest,
    "graphql": through_graphql,
    "batch": through_batch,
    "upload": through_upload,
    "fast": partial(submit_through_service, general_path_only=False),
    "general": partial(submit_through_service, general_path_only=True),
}

UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
# Stored ids and clocks differ between any two runs; batch_id is the batch of the batch and upload doors.
DROPPED = {"id", "event_id", "organisation_id", "batch_id"}


def ledger_rows(world: World) -> dict[str, list[str]]:
    """The organisation's points requests, ledger transactions, entries, lots, accounts (wallets, budget
    shards, funding) and outbox events (but a batch's own), each row as sorted JSON with ids and times
    replaced by what they name: an account by its owner (a shard by its programme: which shard pays is
    random), a transaction by its kind and reference, an employee by employee_id, a programme by code."""
    org = world.actor.organisation_id
    employees = dict(Employee.objects.filter(organisation_id=org).values_list("id", "employee_id"))
    programmes = dict(Programme.objects.filter(organisation_id=org).values_list("id", "code"))
    accounts = {a.id: _account_label(a, employees, programmes) for a in Account.objects.filter(organisation_id=org)}
    transactions = {t.id: f"{t.kind}:{t.reference}" for t in LedgerTransaction.objects.filter(organisation_id=org)}
    lots = {lot.id: lot for lot in Lot.objects.filter(organisation_id=org)}
    refs = {"account_id": accounts, "employee_id": employees, "programme_id": programmes}
    refs |= {"transaction_id": transactions, "reversal_transaction_id": transactions}
    refs["lot_id"] = {pk: f"lot of {lot.points} on {accounts[lot.account_id]}" for pk, lot in lots.items()}
    requests = list(PointsRequest.objects.filter(organisation_id=org).values())
    request_ids = {str(r["id"]): r["request_id"] for r in requests}
    for r in requests:  # clocks are dropped; what they mean is kept: how long the points live
        lot = lots.get(r["lot_id"])
        r["valid_days"] = _days(r["credited_at"], r["expires_at"])
        r["expires_with_its_lot"] = None if lot is None else lot.expires_at == r["expires_at"]
    events = list(OutboxEvent.objects.filter(organisation_id=org).exclude(aggregate_type="points_batch").values())
    for e in events:
        e["aggregate_id"] = request_ids.get(e["aggregate_id"], e["aggregate_id"])
    tables = {
        "requests": requests,
        "transactions": list(LedgerTransaction.objects.filter(organisation_id=org).values()),
        "entries": list(LedgerEntry.objects.filter(transaction__organisation_id=org).values()),
        "lots": [
            {**row, "valid_days": _days(row["created_at"], row["expires_at"])}
            for row in Lot.objects.filter(organisation_id=org).values()
        ],
        "accounts": [
            {"account": accounts[pk], "balance": balance}
            for pk, balance in Account.objects.filter(organisation_id=org).values_list("id", "balance")
        ],
        "events": events,
    }
    return {name: sorted(_normalised(row, refs) for row in rows) for name, rows in tables.items()}


def _account_label(account: Account, employees: dict, programmes: dict) -> str:
    owner = employees.get(account.employee_id) or programmes.get(account.programme_id) or ""
    return f"{account.kind}:{owner}" if owner else account.kind


def _days(start, end) -> int | None:
    return None if start is None or end is None else round((end - start).total_seconds() / 86_400)


def _normalised(row: dict, refs: dict) -> str:
    named = {key: refs[key].get(value, value) if key in refs else value for key, value in row.items()}
    return json.dumps(_plain(named), sort_keys=True, default=str)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in DROPPED}
    if isinstance(value, datetime) or (isinstance(value, str) and TIME_TEXT.match(value)):
        return "<time>"
    if isinstance(value, uuid.UUID) or (isinstance(value, str) and UUID_TEXT.match(value)):
        return "<id>"
    return value


def written(before: dict, after: dict) -> dict[str, dict[str, list]]:
    """Per table, the normalised rows added and removed (a changed balance is one of each)."""
    changes = {}
    for table in after:
        added = sorted((Counter(after[table]) - Counter(before[table])).elements())
        removed = sorted((Counter(before[table]) - Counter(after[table])).elements())
        if added or removed:
            changes[table] = {"+": [json.loads(r) for r in added], "-": [json.loads(r) for r in removed]}
    return changes


def while_every_shard_is_held(world: World, credit, *, programme: str) -> tuple[Outcome, bool]:
    """Run `credit()` on a thread while another connection holds every budget shard of `programme`; let
    them go once the credit waits for a lock. Answers the credit's outcome and whether it waited, having
    written nothing another transaction can see."""
    holding, release, result, org = threading.Event(), threading.Event(), {}, world.actor.organisation_id

    def hold():
        try:
            with transaction.atomic():
                shards = Account.objects.filter(kind="budget", programme__code=programme, organisation_id=org)
                assert len(shards.select_for_update(of=("self",))) > 1
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    def run():
        try:
            result["outcome"] = credit()
        except Exception as error:  # reported by the assertion below, with its traceback
            result["error"] = error
        finally:
            connection.close()

    holder, creditor = threading.Thread(target=hold), threading.Thread(target=run)
    holder.start()
    assert holding.wait(10), "the holder never locked the shards"
    creditor.start()
    requests = PointsRequest.objects.filter(organisation_id=org)
    waited = _lock_waiters_appear() and creditor.is_alive() and not requests.exists()
    release.set()
    holder.join(30)
    creditor.join(30)
    assert "error" not in result, result
    return result["outcome"], waited


def _lock_waiters_appear() -> bool:
    """Whether, within 10 s, a session waits for a lock on points accounts (or in the one statement)."""
    for _ in range(1000):
        fetchone("SELECT pg_stat_clear_snapshot()", [])
        waiting = fetchone(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND (query LIKE %s OR query LIKE %s)",
            ["%points_account%", "%points_request_credit(%"],
        )[0]
        if waiting:
            return True
        time.sleep(0.01)
    return False
