"""The acceptance rule of points requests is one definition: the SQL function points_request_decision
(called by the one-statement credit) and points.ledger.acceptance.decision (the general path and
batches) answer alike over the whole matrix."""

import itertools

import pytest

from plum.core.db import fetchone
from points.errors import PointsErrorCode
from points.ledger import acceptance

pytestmark = pytest.mark.django_db
MAX = 1000

PROGRAMME_STATUSES = [None, "active", "inactive"]
EMPLOYEE_STATUSES = [None, "active", "inactive"]
THRESHOLDS = [None, 1, MAX, 501]
POINTS = [-1, 0, 1, 499, 500, 501, MAX, MAX + 1, 2**31]


def _in_sql(programme_status, threshold, employee_status, points) -> str:
    return fetchone(
        "SELECT points_request_decision(%s, %s, %s, %s, %s)",
        [programme_status, MAX, threshold, employee_status, points],
    )[0]


def test_sql_and_python_decide_every_case_alike():
    cases = list(itertools.product(PROGRAMME_STATUSES, THRESHOLDS, EMPLOYEE_STATUSES, POINTS))
    python = [
        str(acceptance.decision(programme_status=p, max_points=MAX, approval_threshold=t, employee_status=e, points=n))
        for p, t, e, n in cases
    ]
    sql = [_in_sql(*case) for case in cases]

    assert python == sql
    assert set(python) == {
        "credited",
        "pending_approval",
        *(
            str(code)
            for code in (
                PointsErrorCode.PROGRAMME_NOT_FOUND,
                PointsErrorCode.PROGRAMME_INACTIVE,
                PointsErrorCode.EMPLOYEE_NOT_FOUND,
                PointsErrorCode.EMPLOYEE_INACTIVE,
                PointsErrorCode.POINTS_OUT_OF_RANGE,
            )
        ),
    }


@pytest.mark.parametrize(
    ("threshold", "points", "expected"),
    [(None, MAX, "credited"), (501, 500, "credited"), (501, 501, "pending_approval"), (1, 1, "pending_approval")],
)
def test_the_threshold_is_inclusive_and_empty_means_never(threshold, points, expected):
    assert _in_sql("active", threshold, "active", points) == expected
    assert (
        acceptance.decision(
            programme_status="active",
            max_points=MAX,
            approval_threshold=threshold,
            employee_status="active",
            points=points,
        )
        == expected
    )
