"""PostgreSQL restarts under load, the real system in its own processes (gunicorn, a Celery worker with beat,
Redis) against a dedicated server of the suite's major version (15 or the embedded 16):

1. a 10,000-item points batch and a 2,000-recipient voucher campaign each have both chunks in flight
   (items claimed and rows written, held by the test's lock on the budget) when the server is stopped (`-m fast`);
   while it is down, API calls answer 503 problem+json `database_unavailable` with Retry-After, and
   /readyz answers 503 naming the database; then it starts again;
2. once webhook deliveries are flowing to a receiver on 127.0.0.1, a second restart.

Workers reconnect by themselves (their tasks are sent again, plum.celery.PlumTask), and in the end every
item is credited once, every recipient has one voucher, and every event reached the receiver: webhooks are
at least once (docs/outbound-webhooks.md), so a send cut by the restart may come again, with the same
webhook-id and body. The checkers are then shown to catch what naive code would leave (loss, a double
credit, a second voucher, a lost event, a resend under a new webhook-id).
"""

import time
from dataclasses import dataclass, replace

import psycopg
import pytest
import requests
from django.conf import settings

from integrations.webhooks.tests.test_deliveries_support import Receiver
from plum.tests.restart_support import EMPLOYEES, System, wait_until

pytestmark = pytest.mark.slow
ITEMS = 10_000
IN_FLIGHT_CHUNKS = 4  # the batch's two chunks of 5,000 and the campaign's two of 1,000
DELIVERIES = EMPLOYEES + 2  # voucher.issued for each voucher, points_batch.completed, campaign.completed


def suite_server_major() -> int:
    db = settings.DATABASES["default"]
    params = {"host": db["HOST"], "port": db.get("PORT") or 5432, "user": db["USER"], "dbname": "postgres"}
    with psycopg.connect(**params, password=db.get("PASSWORD") or None) as connection:
        return connection.info.server_version // 10000


@pytest.fixture
def receiver():
    server = Receiver(200)
    yield server
    server.close()


@pytest.fixture
def system(receiver, tmp_path):
    started = System.start(suite_server_major(), receiver.url, tmp_path)
    yield started
    started.close()


class Api:
    def __init__(self, system: System):
        self.base, self.session = system.web_url, requests.Session()
        self.session.headers["Authorization"] = f"Bearer {system.seeded['token']}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, body: dict) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=30)

    def ready(self) -> requests.Response:
        return requests.get(self.base + "/readyz", timeout=30)


def chunks_in_flight(system: System) -> int:
    """Sessions that wrote rows and wait for a lock: chunks held by the budget's lock or by each other."""
    return system.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'plum' AND wait_event_type = 'Lock'"
        " AND backend_xid IS NOT NULL"
    )[0][0]


def hold_the_budget(system: System) -> psycopg.Connection:
    """A session that locks the programme's budget shards, which every chunk of both jobs draws from: each
    chunk claims its items, writes, and then waits here until the restart ends it."""
    holder = psycopg.connect(system.cluster.url("plum"))
    assert holder.execute("SELECT id FROM points_account WHERE kind = 'budget' FOR UPDATE").fetchall()
    return holder


def assert_database_unavailable(response: requests.Response, retry_after: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Retry-After"] == retry_after
    assert response.json() == {
        "type": "urn:plum:error:database_unavailable",
        "title": "Service unavailable",
        "status": 503,
        "detail": response.json()["detail"],
        "code": "database_unavailable",
        "errors": [],
    }


def outage(system: System, api: Api, seconds: float) -> list[requests.Response]:
    """Stop the server, call the API for `seconds` (a GET and a POST with the token, /readyz), start it."""
    system.cluster.stop("fast")
    answers, deadline = [], time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline or n < 2:
        answers.append(api.get("/api/v1/employees/"))
        body = {"request_id": f"outage-{n}", "employee_id": "E00001", "points": 5, "programme": "KUDOS"}
        answers.append(api.post("/api/v1/points/requests/", body))
        ready = api.ready()
        assert ready.status_code == 503 and ready.json()["checks"]["database"] == "unreachable", ready.text
        n += 1
        time.sleep(0.2)
    system.cluster.start()
    return answers


@dataclass(frozen=True)
class Evidence:
    """What the database and the receiver hold at the end."""

    batch: tuple  # status, total, processed, credited
    credits: list  # (request_id, ledger transaction) of the batch's credited requests
    wallet_points: int
    campaign: tuple  # status, total, processed, issued
    voucher_employees: list
    deliveries: list  # (event_id, state) of the subscription
    received: list  # (webhook-id, body) in order of arrival


def gather(system: System, receiver: Receiver) -> Evidence:
    return Evidence(
        batch=system.query("SELECT status, total, processed, credited FROM points_pointsbatch")[0],
        credits=system.query(
            "SELECT r.request_id, r.transaction_id FROM points_pointsrequest r JOIN points_ledgertransaction t"
            " ON t.id = r.transaction_id WHERE r.request_id LIKE 'r-%%' AND r.status = 'credited'"
        ),
        wallet_points=system.query("SELECT COALESCE(SUM(balance), 0) FROM points_account WHERE kind = 'wallet'")[0][0],
        campaign=system.query("SELECT status, total, processed, issued FROM vouchers_campaign")[0],
        voucher_employees=[row[0] for row in system.query("SELECT employee_id FROM vouchers_voucher")],
        deliveries=system.query("SELECT event_id::text, state FROM integrations_webhooks_delivery"),
        received=[(got.headers["webhook-id"], got.body) for got in list(receiver.received)],
    )


def batch_requests() -> list[dict]:
    return [
        {"request_id": f"r-{n}", "employee_id": f"E{n % EMPLOYEES:05d}", "points": 1 + n % 7, "programme": "KUDOS"}
        for n in range(ITEMS)
    ]


def assert_exactly_once(evidence: Evidence, requests_sent: list[dict]) -> None:
    assert evidence.batch == ("completed", ITEMS, ITEMS, ITEMS)
    request_ids = [request_id for request_id, _ in evidence.credits]
    assert sorted(request_ids) == sorted(r["request_id"] for r in requests_sent)  # each item once
    assert len({transaction for _, transaction in evidence.credits}) == ITEMS  # one ledger transaction each
    assert evidence.wallet_points == sum(r["points"] for r in requests_sent)

    assert evidence.campaign == ("completed", EMPLOYEES, EMPLOYEES, EMPLOYEES)
    assert len(evidence.voucher_employees) == len(set(evidence.voucher_employees)) == EMPLOYEES

    delivered = {event_id for event_id, _ in evidence.deliveries}
    assert (
        sorted(state for _, state in evidence.deliveries)
        == ["delivered"] * DELIVERIES
        == ["delivered"] * len(delivered)
    )
    bodies = {}
    for webhook_id, body in evidence.received:
        assert bodies.setdefault(webhook_id, body) == body  # a resend is the same event under the same id
    assert set(bodies) == delivered  # none lost, nothing unknown


def test_a_database_restart_mid_batch_campaign_and_relay_loses_and_doubles_nothing(system, receiver):
    api, retry_after = Api(system), "1"  # PLUM_DATABASE_RETRY_AFTER_SECONDS of the system's processes
    wait_until(lambda: _ready(api), 60, "the web process", system)
    wait_until(lambda: not system.query("SELECT 1 FROM core_outboxevent WHERE published_at IS NULL"), 60,
               "the seeding's events relayed", system)  # fmt: skip

    holder = hold_the_budget(system)
    sent = batch_requests()
    assert api.post("/api/v1/points/batches/", {"batch_id": "restart", "requests": sent}).status_code == 202
    campaign = {"campaign_id": "restart", "name": "Restart", "product_id": system.seeded["product_id"]}
    campaign |= {"denomination": 10, "programme": "KUDOS", "filter": {}}
    assert api.post("/api/v1/vouchers/campaigns/", campaign).status_code == 202
    wait_until(lambda: chunks_in_flight(system) == IN_FLIGHT_CHUNKS, 60, "every chunk in flight", system)

    # nothing of either job is committed yet: the restart ends every chunk halfway
    assert system.query("SELECT status, processed FROM points_pointsbatch") == [("processing", 0)]
    assert system.query("SELECT status, processed FROM vouchers_campaign") == [("processing", 0)]
    answers = outage(system, api, seconds=3)  # ends the holder's session too
    holder.close()
    assert len(answers) >= 4
    for answer in answers:
        assert_database_unavailable(answer, retry_after)
    wait_until(lambda: _ready(api), 30, "ready again", system)

    def deliveries_flowing():
        states = dict(system.query("SELECT state, count(*) FROM integrations_webhooks_delivery GROUP BY state"))
        return states.get("delivered", 0) >= 200 and states.get("pending", 0) >= 500

    wait_until(deliveries_flowing, 90, "webhook deliveries under way", system)
    outage(system, api, seconds=1)
    wait_until(lambda: _ready(api), 30, "ready again", system)

    def all_done():
        done = system.query(
            "SELECT (SELECT count(*) FROM integrations_webhooks_delivery WHERE state = 'delivered'),"
            " (SELECT status FROM points_pointsbatch), (SELECT status FROM vouchers_campaign)"
        )[0]
        return done == (DELIVERIES, "completed", "completed")

    wait_until(all_done, 90, "every item, voucher and delivery done", system)
    assert api.get("/api/v1/employees/").status_code == 200
    evidence = gather(system, receiver)
    assert_exactly_once(evidence, sent)
    assert "the database is unavailable" in system.output("worker")  # its tasks were sent again, not failed

    # The checkers catch what naive code would leave behind.
    lost_chunk = replace(evidence, credits=evidence.credits[5_000:])  # a chunk marked done before its commit
    credited_twice = replace(evidence, credits=[*evidence.credits, (evidence.credits[0][0], "another")])
    second_voucher = replace(evidence, voucher_employees=[*evidence.voucher_employees, evidence.voucher_employees[0]])
    lost_event = replace(evidence, received=[r for r in evidence.received if r[0] != evidence.received[0][0]])
    new_id_on_resend = replace(evidence, received=[*evidence.received, ("msg_resent", evidence.received[0][1])])
    for naive in (lost_chunk, credited_twice, second_voucher, lost_event, new_id_on_resend):
        with pytest.raises(AssertionError):
            assert_exactly_once(naive, sent)


def _ready(api: Api) -> bool:
    try:
        return api.ready().status_code == 200
    except requests.ConnectionError:
        return False
