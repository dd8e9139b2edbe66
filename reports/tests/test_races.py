"""The fold under real concurrency: threads with their own PostgreSQL connections, released together by a
barrier, credit points through the real service while several folds run at once. Rollup + unfolded deltas
must equal the ledger exactly. A naive fold (read the deltas, add them, then delete them, with no claim)
run the same way double counts: the harness sees it."""

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from plum.core.db import fetchone
from points.models import PointsRequest
from points.tests.factories import make_programme, seed_employees, submit
from points.tests.ledger_support import run_parallel
from reports import services
from reports.models import PointsDaily, PointsDelta
from reports.services.fold import KEYS, MEASURES

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
EMPLOYEES = [f"E{n}" for n in range(6)]


@pytest.fixture
def world(make_tenant):
    tenant = make_tenant()
    for index, employee_id in enumerate(EMPLOYEES):
        seed_employees(tenant, employee_id, business_unit=("SALES", "ENG")[index % 2])
    make_programme(tenant, "P1", budget=10**6)
    return tenant


def awarded_in_reports() -> int:
    rolled = PointsDaily.objects.aggregate(total=Sum("awarded"))["total"] or 0
    waiting = PointsDelta.objects.aggregate(total=Sum("awarded"))["total"] or 0
    return rolled + waiting


def credited() -> int:
    return PointsRequest.objects.filter(status="credited").aggregate(total=Sum("points"))["total"] or 0


def test_parallel_credits_and_concurrent_folds_match_the_ledger_exactly(world):
    def credit(n):
        return lambda: submit(world, request_id=f"r{n}", employee_id=EMPLOYEES[n % len(EMPLOYEES)], points=n + 1)

    def fold():
        return services.points_deltas_fold(chunk=2)  # small claims: many rounds, folds interleave

    jobs = []
    for n in range(36):
        jobs.append(credit(n))
        if n % 3 == 0:
            jobs.append(fold)

    results = run_parallel(jobs, workers=6)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert credited() == sum(range(1, 37))
    assert awarded_in_reports() == credited()  # before the last fold: rollup + deltas
    assert services.reports_reconcile() == []
    services.points_deltas_fold()
    assert PointsDelta.objects.count() == 0
    assert awarded_in_reports() == credited()
    assert services.reports_reconcile() == []


_COLUMNS = KEYS + MEASURES
_NAIVE_READ = f"SELECT id, {', '.join(_COLUMNS)} FROM reports_pointsdelta ORDER BY id"
_NAIVE_ADD = f"""
INSERT INTO reports_pointsdaily AS r ({", ".join(_COLUMNS)}) VALUES ({", ".join(["%s"] * len(_COLUMNS))})
ON CONFLICT ON CONSTRAINT reports_daily_key DO UPDATE SET {", ".join(f"{m} = r.{m} + excluded.{m}" for m in MEASURES)}
"""


def naive_fold() -> int:
    """Read the deltas, add each to the rollup, delete what was read: no claim, no SKIP LOCKED."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_NAIVE_READ)
        rows = cursor.fetchall()
        fetchone("SELECT pg_sleep(0.2)", [])  # the gap between the read and the write, wide enough to see
        for row in rows:
            cursor.execute(_NAIVE_ADD, list(row[1:]))
        cursor.execute("DELETE FROM reports_pointsdelta WHERE id = ANY(%s)", [[row[0] for row in rows]])
    return len(rows)


def test_a_naive_fold_run_concurrently_double_counts(world):
    for n in range(6):
        submit(world, request_id=f"r{n}", employee_id=EMPLOYEES[n], points=10)
    assert awarded_in_reports() == credited() == 60

    results = run_parallel([naive_fold] * 3, workers=3)

    assert results[0] > 0 and results == [results[0]] * 3  # each read the same deltas before any delete
    assert PointsDelta.objects.count() == 0
    assert awarded_in_reports() == 60 * 3  # every fold added the same deltas
    assert "rollup" in {issue.area for issue in services.reports_reconcile()}
