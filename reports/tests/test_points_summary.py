"""points_summary against the ledger, to the point, for a scripted history in two organisations."""

import itertools

import pytest

from points.tests.factories import budget
from reports import services
from reports.commands import POINTS_GROUPS, ReportFilter
from reports.selectors import budget_utilisation, points_summary
from reports.tests.history import build_history, expected_points, expire_everything, ledger_movements

GROUPINGS = [(), *((g,) for g in POINTS_GROUPS), ("business_unit", "month"), ("programme", "country", "month")]
GROUPINGS.append(("business_unit", "cost_centre", "country", "department", "programme", "month"))


@pytest.fixture
def histories(make_tenant):
    a = build_history(make_tenant("alpha"), zone="Asia/Tokyo")
    b = build_history(make_tenant("beta"), zone="UTC", near_midnight=False)
    expire_everything()
    return a, b


def report(history, group_by, **filters):
    return points_summary(
        organisation_id=history.tenant.organisation.id, group_by=group_by, filters=ReportFilter(**filters)
    )


def totals_row(rows):
    return rows or [{"awarded": 0, "reversed": 0, "redeemed": 0, "expired": 0, "recipients": 0}]


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_every_grouping_equals_the_ledger_before_and_after_the_fold(histories, group_by):
    for history in histories:
        movements = ledger_movements(history)
        expected = expected_points(movements, group_by)
        assert report(history, group_by) == (expected if group_by else totals_row(expected))
    services.points_deltas_fold()
    for history in histories:
        expected = expected_points(ledger_movements(history), group_by)
        assert report(history, group_by) == (expected if group_by else totals_row(expected))


def test_filters_equal_the_ledger(histories):
    alpha, _ = histories
    movements = ledger_movements(alpha)
    days = sorted({m["day"] for m in movements})
    cases = [
        ({"programme": "P1"}, lambda m: m["programme"] == "P1"),
        ({"business_unit": "SALES"}, lambda m: m["business_unit"] == "SALES"),
        ({"business_unit": "ENG"}, lambda m: m["business_unit"] == "ENG"),
        ({"country": "DE"}, lambda m: m["country"] == "DE"),
        ({"date_from": days[-1]}, lambda m: m["day"] >= days[-1]),
        ({"date_to": days[0]}, lambda m: m["day"] <= days[0]),
        ({"date_from": days[0], "date_to": days[0]}, lambda m: m["day"] == days[0]),
        ({"programme": "NOPE"}, lambda m: False),
        ({"business_unit": "NOPE"}, lambda m: False),
    ]
    services.points_deltas_fold()
    for (filters, keep), group_by in itertools.product(cases, [(), ("business_unit", "month"), ("programme",)]):
        expected = expected_points(movements, group_by, keep)
        assert report(alpha, group_by, **filters) == (expected if group_by else totals_row(expected)), filters


def test_the_mover_history_stays_where_it_happened_and_midnight_counts_in_the_local_day(histories):
    alpha, _ = histories
    by_unit = {row["business_unit"]: row for row in report(alpha, ["business_unit"])}
    # E1: 300 + 50 in SALES, then 30 in ENG after the move; E2's 200 + 600 and E3's 40 in ENG
    assert by_unit["SALES"]["awarded"] == 350 and by_unit["SALES"]["recipients"] == 1
    assert by_unit["ENG"]["awarded"] == 30 + 200 + 600 + 40 and by_unit["ENG"]["recipients"] == 3
    late = [m for m in ledger_movements(alpha) if m["employee"] == "E3" and m["kind"] == "award"]
    assert len(late) == 1
    day_rows = report(alpha, ["month"], date_from=late[0]["day"], date_to=late[0]["day"], programme="P2")
    assert day_rows[0]["awarded"] == 40  # 23:30 UTC is the next morning in Tokyo


def test_awarded_minus_reversed_redeemed_expired_is_the_change_of_the_wallets(histories):
    for history in histories:
        for filters in ({}, {"business_unit": "ENG"}, {"country": "FR"}):
            (row,) = report(history, [], **filters)
            change = sum(
                m["amount"]
                for m in ledger_movements(history)
                if all(m[{"business_unit": "business_unit", "country": "country"}[k]] == v for k, v in filters.items())
            )
            assert row["awarded"] - row["reversed"] - row["redeemed"] - row["expired"] == change


def test_budget_utilisation_remaining_is_the_budget_balance(histories):
    for history in histories:
        for code in ("P1", "P2"):
            result = budget_utilisation(organisation_id=history.tenant.organisation.id, programme_code=code)
            assert result["remaining"] == budget(history.tenant, code)
            assert result["months"][-1]["remaining"] == result["remaining"]
            assert result["budget"] == {"P1": 20_000, "P2": 5_000}[code]
    assert budget_utilisation(organisation_id=histories[0].tenant.organisation.id, programme_code="NOPE") is None


def test_reconciliation_is_quiet_when_exact(histories):
    assert services.reports_reconcile() == []
    services.points_deltas_fold()
    assert services.reports_reconcile() == []
