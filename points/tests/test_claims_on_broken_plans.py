"""Every row claim of the points app and of the job runner takes exactly what it asks for on the plans that
broke the stock claim (plum.testing.plans). The sweeper's statement of before, an UPDATE over an inline
`IN (SELECT … FOR UPDATE SKIP LOCKED)`, is the control that must fail the same test."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from plum.core.claims import check_claim_shape
from plum.core.jobs import stale_jobs
from plum.testing.plans import PLANS, force_plan, fresh_tables, stale_statistics
from points.commands import PointsRequestCommand
from points.ledger import shard_that_pays
from points.models import Account, PointsBatch, Programme
from points.services import ledger_reconcile, points_request_submit
from points.services.batches import BATCH_JOBS
from points.tests.batches_support import credits, make_org

pytestmark = pytest.mark.django_db
OLD_SWEEP_SQL = (
    "UPDATE points_pointsbatch SET progress_at = %s WHERE id IN (SELECT id FROM points_pointsbatch"
    " WHERE status IN ('queued', 'processing') AND progress_at <= %s ORDER BY progress_at LIMIT 2"
    " FOR UPDATE SKIP LOCKED) RETURNING id"
)
STALE = 6


def stale_batches_on_a_broken_plan(tenant, plan: str):
    """STALE unfinished batches without progress for an hour, on the forced plan; answers `now`."""
    fresh_tables("points_pointsbatch")
    org = make_org(tenant, employees=3)
    for n in range(STALE):
        org.batch(f"b{n}", credits(org, 2, prefix=f"b{n}"))
    now = timezone.now()
    PointsBatch.objects.update(progress_at=now - timedelta(hours=1))
    stale_statistics("points_pointsbatch")
    force_plan(plan)
    return now


def refreshed(now) -> int:
    return PointsBatch.objects.filter(progress_at=now).count()


@pytest.mark.parametrize("plan", PLANS)
def test_the_sweeper_takes_exactly_its_limit_of_stale_jobs(tenant, plan):
    now = stale_batches_on_a_broken_plan(tenant, plan)
    taken = stale_jobs("points_pointsbatch", stale_after=timedelta(minutes=2), now=now, limit=2)
    assert len(taken) == 2
    assert refreshed(now) == 2
    rest = stale_jobs("points_pointsbatch", stale_after=timedelta(minutes=2), now=now, limit=10)
    assert sorted(taken + rest) == sorted(PointsBatch.objects.values_list("id", flat=True))


@pytest.mark.parametrize("plan", PLANS)
def test_the_old_sweep_statement_takes_every_stale_job_on_the_same_plans(tenant, plan):
    """The control: a limit of 2 and all six taken."""
    now = stale_batches_on_a_broken_plan(tenant, plan)
    with connection.cursor() as cursor:
        cursor.execute(OLD_SWEEP_SQL, [now, now - timedelta(minutes=2)])
        assert len(cursor.fetchall()) == STALE
    assert refreshed(now) == STALE


@pytest.mark.parametrize("plan", PLANS)
def test_a_batch_chunk_claims_exactly_its_size(tenant, plan):
    fresh_tables("points_pointsbatch")
    org = make_org(tenant, employees=3)
    batch = org.batch("b", credits(org, 30))
    stale_statistics("points_pointsbatchitem")
    check_claim_shape(BATCH_JOBS.items.claim_sql)
    force_plan(plan)
    assert [row[1] for row in BATCH_JOBS.items.claim(batch.pk, 7)] == list(range(7))


@pytest.mark.parametrize("plan", PLANS)
def test_a_credit_picks_one_shard_that_pays(tenant, plan):
    make_org(tenant, employees=1, budget=8_000)
    programme = Programme.objects.get(code="KUDOS")
    stale_statistics("points_account")
    force_plan(plan)
    shard = shard_that_pays(programme, 500)
    assert Account.objects.get(pk=shard).programme_id == programme.pk
    assert Account.objects.get(pk=shard).balance >= 500


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("path", ["one statement", "general"])
def test_a_credit_on_the_broken_plan_takes_its_points_from_one_shard_once(tenant, plan, path, settings, caplog):
    settings.POINTS_ONE_STATEMENT_CREDIT = path == "one statement"
    caplog.set_level(logging.DEBUG, logger="points.services.requests")
    org = make_org(tenant, employees=1, budget=8_000)
    before = dict(Account.objects.filter(kind=Account.Kind.BUDGET).values_list("pk", "balance"))
    stale_statistics("points_account", "points_lot", "points_pointsrequest")
    force_plan(plan)
    body = {"request_id": "r1", "employee_id": org.employees[0], "points": 300, "programme": "KUDOS"}
    assert points_request_submit(actor=org.actor, command=PointsRequestCommand.parse(body)).request.status == "credited"
    after = dict(Account.objects.filter(kind=Account.Kind.BUDGET).values_list("pk", "balance"))
    assert [before[pk] - after[pk] for pk in before if before[pk] != after[pk]] == [300]
    assert Account.objects.get(kind=Account.Kind.WALLET).balance == 300
    assert ledger_reconcile() == []
    took_general_path = any("general path" in r.msg for r in caplog.records if r.name == "points.services.requests")
    assert took_general_path == (path == "general")  # the path named really credited
