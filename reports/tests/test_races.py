"""The fold under real concurrency: threads with their own PostgreSQL connections, released together by a
barrier, credit points through the real service while several folds run at once. Rollup + unfolded deltas
must equal the ledger exactly. A naive fold (read the deltas, add them, then delete them, with no claim)
run the same way double counts: the harness sees it. Likewise parallel first awards of one employee make
one recipient, where a naive look-then-count makes one per thread."""

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from plum.core.db import fetchone
from points.models import PointsRequest
from points.tests.factories import make_programme, seed_employees, submit
from points.tests.ledger_support import run_parallel
from reports import services
from reports.models import PointsDaily, PointsDelta, RecipientCount
from reports.services.fold import KEYS, MEASURES
from users.models import Employee

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


def recipient_counts(world) -> list[tuple[bool, int]]:
    org = world.organisation.id
    return sorted(RecipientCount.objects.filter(organisation_id=org).values_list("by_unit", "recipients"))


def test_parallel_first_awards_of_one_employee_make_one_recipient(world):
    jobs = [lambda n=n: submit(world, request_id=f"s{n}", employee_id="E0", points=1) for n in range(24)]

    results = run_parallel(jobs, workers=6)

    assert [r for r in results if isinstance(r, Exception)] == []
    services.points_deltas_fold()
    assert recipient_counts(world) == [(False, 1), (True, 1)]  # in all, and in E0's business unit
    assert services.reports_reconcile() == []


_NAIVE_SEEN = "SELECT count(*) FROM reports_recipientpresence WHERE employee_id = %s AND NOT by_unit"
_NAIVE_MARK = """
INSERT INTO reports_recipientpresence (organisation_id, month, by_unit, business_unit_id, employee_id)
VALUES (%s, date_trunc('month', now())::date, false, NULL, %s) ON CONFLICT DO NOTHING
"""
_NAIVE_COUNT = """
INSERT INTO reports_recipientcountdelta (organisation_id, month, by_unit, business_unit_id, recipients)
VALUES (%s, date_trunc('month', now())::date, false, NULL, 1)
"""


def test_a_naive_check_then_count_run_concurrently_counts_one_employee_many_times(world):
    """The naive variant: look for the employee, then mark and count them; every thread finds none."""
    org = world.organisation.id
    employee = Employee.objects.get(organisation=world.organisation, employee_id="E1").pk

    def naive_mark():
        with transaction.atomic(), connection.cursor() as cursor:
            seen = fetchone(_NAIVE_SEEN, [employee])[0]
            fetchone("SELECT pg_sleep(0.2)", [])
            if not seen:
                cursor.execute(_NAIVE_MARK, [org, employee])
                cursor.execute(_NAIVE_COUNT, [org])

    run_parallel([naive_mark] * 3, workers=3)

    services.points_deltas_fold()
    assert recipient_counts(world) == [(False, 3)]
    assert "recipient_counts" in {issue.area for issue in services.reports_reconcile()}
