"""Campaigns through real Celery worker processes and the machine's Redis: a worker killed with SIGKILL
mid-campaign and Redis flushed mid-campaign both end with every recipient holding exactly one voucher."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count, Sum

from plum.core.jobs import run_job
from plum.core.models import OutboxEvent
from points.models import Account, LedgerEntry, LedgerTransaction
from points.services import ledger_reconcile
from points.tests import worker_support
from points.tests.batches_support import make_org
from points.tests.worker_support import chunk_in_flight, needs_redis, wait_until
from vouchers import services
from vouchers.commands import CampaignCreate
from vouchers.models import Campaign, CampaignRecipient, StockCode, Voucher
from vouchers.services.jobs import CAMPAIGN_JOBS
from vouchers.tests.factories import add_stock, make_catalogue

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
broker, workers = worker_support.broker, worker_support.workers  # the shared fixtures
RECIPIENTS = 5000
BUDGET = 2_000_000


def events(event_type: str) -> list[str]:
    return list(OutboxEvent.objects.filter(event_type=event_type).order_by("id").values_list("aggregate_id", flat=True))


def launch(tenant, product, denomination: int):
    """A campaign for every employee, paid by KUDOS; answers it and the points one voucher costs."""
    org = make_org(tenant, employees=RECIPIENTS, budget=BUDGET)
    data = {"campaign_id": "thanks", "name": "Thanks", "product_id": str(product.pk), "denomination": denomination}
    command = CampaignCreate.parse({**data, "programme": "KUDOS", "filter": {}})
    campaign = services.campaign_create(actor=org.actor, command=command).campaign
    return campaign, product.points_for(denomination)


def counters(campaign) -> dict:
    campaign.refresh_from_db()
    fields = ("status", "total", "processed", "issued", "out_of_stock", "employee_inactive", "budget_exhausted")
    return {f: getattr(campaign, f) for f in fields}


def processed(campaign) -> int:
    return Campaign.objects.values_list("processed", flat=True).get(pk=campaign.pk)


def assert_consistent(campaign, cost: int) -> None:
    """At any committed moment: counters = recipient outcomes = vouchers, and the budget paid exactly those."""
    c = counters(campaign)
    outcomes = Counter(CampaignRecipient.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert c["processed"] == sum(n for status, n in outcomes.items() if status != "queued")
    for status in ("issued", "out_of_stock", "employee_inactive", "budget_exhausted"):
        assert c[status] == outcomes.get(status, 0), status
    vouchers = Voucher.objects.filter(recipient__campaign=campaign)
    assert vouchers.count() == c["issued"] == vouchers.values("recipient").distinct().count()
    assert vouchers.filter(recipient__status="issued").count() == c["issued"]
    assert vouchers.values("employee").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    drawn = BUDGET - _budget(campaign)
    assert drawn == c["issued"] * cost == campaign.points_drawn
    payments = LedgerTransaction.objects.filter(kind="spend", reference=f"campaign {campaign.campaign_id}")
    sink = Account.objects.get(organisation_id=campaign.organisation_id, kind="redemption")
    paid = LedgerEntry.objects.filter(transaction__in=payments, account=sink).aggregate(s=Sum("amount"))["s"] or 0
    assert paid == drawn
    assert sorted(events("voucher.issued")) == sorted(str(pk) for pk in vouchers.values_list("pk", flat=True))
    assert ledger_reconcile() == []


def _budget(campaign) -> int:
    shards = Account.objects.filter(programme_id=campaign.programme_id, kind="budget")
    return shards.aggregate(s=Sum("balance"))["s"]


def assert_every_recipient_once(campaign, cost: int) -> None:
    assert counters(campaign) == {
        "status": "completed",
        "total": RECIPIENTS,
        "processed": RECIPIENTS,
        "issued": RECIPIENTS,
        "out_of_stock": 0,
        "employee_inactive": 0,
        "budget_exhausted": 0,
    }
    per_employee = Voucher.objects.filter(recipient__campaign=campaign).values("employee").annotate(n=Count("id"))
    assert Counter(row["n"] for row in per_employee) == {1: RECIPIENTS}
    assert_consistent(campaign, cost)
    assert events("campaign.completed") == [str(campaign.pk)]


@needs_redis
def test_worker_killed_mid_campaign_then_a_new_worker_issues_each_voucher_once(tenant, broker, workers):
    cat = make_catalogue(tenant)
    add_stock(tenant, cat.stock, [f"SKY-{n:05d}" for n in range(RECIPIENTS + 200)])
    campaign, cost = launch(tenant, cat.stock, 25)
    broker.flushdb()  # drop the messages sent on commit: this test sends its own, in smaller chunks
    for _ in range(2):  # delivered twice: both pool processes share the campaign
        run_job.apply_async(args=[CAMPAIGN_JOBS.name, str(campaign.pk)], kwargs={"chunk_size": 100})

    first = workers("first")
    wait_until(lambda: processed(campaign) >= 1000, 60, "the first worker to get going", first)
    wait_until(chunk_in_flight, 10, "a chunk transaction that has written rows", first)
    first.kill()
    # PostgreSQL ends the dead worker's sessions: open chunks roll back, a COMMIT already sent completes.
    wait_until(lambda: not chunk_in_flight(), 10, "the killed worker's transactions to end")
    done_at_kill = processed(campaign)

    time.sleep(1.0)  # and then nothing moves any more
    assert done_at_kill < RECIPIENTS and processed(campaign) == done_at_kill
    assert counters(campaign)["status"] == "processing"
    assert_consistent(campaign, cost)  # the chunk in flight left nothing behind, not even a claimed code
    assert StockCode.objects.filter(status="issued").count() == done_at_kill
    assert events("campaign.completed") == []

    second = workers("second")
    time.sleep(1.0)
    assert processed(campaign) == done_at_kill  # the killed worker's messages stay unacknowledged in Redis
    assert services.campaigns_sweep(stale_after=timedelta(seconds=1)) == [campaign.pk]
    wait_until(lambda: counters(campaign)["status"] == "completed", 60, "the second worker to finish", second)

    assert_every_recipient_once(campaign, cost)
    issued = Voucher.objects.filter(recipient__campaign=campaign).values_list("stock_code_id", flat=True)
    assert set(issued) == set(StockCode.objects.filter(status="issued").values_list("pk", flat=True))
    assert StockCode.objects.filter(status="available").count() == 200


@needs_redis
def test_redis_flushed_mid_campaign_the_sweeper_recovers_it(tenant, broker, workers):
    cat = make_catalogue(tenant)
    campaign, cost = launch(tenant, cat.generated, 10)
    assert services.campaign_process(campaign.pk, chunk_size=1000, max_seconds=0) is True  # one chunk, as a worker
    assert broker.llen("celery") == 2  # the messages sent on commit, waiting for a worker
    broker.flushdb()  # Redis restarted without persistence: the messages are gone

    worker = workers("after-flush")
    time.sleep(2.0)
    assert processed(campaign) == 1000 and counters(campaign)["status"] == "processing"
    assert services.campaigns_sweep(stale_after=timedelta(hours=1)) == []  # not stale yet: left alone
    assert services.campaigns_sweep(stale_after=timedelta(seconds=1)) == [campaign.pk]
    wait_until(lambda: counters(campaign)["status"] == "completed", 60, "the worker to finish", worker)

    assert_every_recipient_once(campaign, cost)
    assert Voucher.objects.filter(recipient__campaign=campaign).values("code_hash").distinct().count() == RECIPIENTS
