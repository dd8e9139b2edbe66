"""A scripted history through the real services, and the expectations computed from the ledger tables
alone (plain SQL), independently of the reports' tables.

Organisation A (time zone Asia/Tokyo): credits, a pending request approved and one rejected, a reversal,
a voucher order paid by points and one cancelled (refund), a mover between business units, a credit at
23:30 UTC (the next day in Tokyo), expiry. Organisation B (UTC): credits and an order of its own."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from points import services as points_services
from points.commands import PointsRequestDecisionCommand, PointsRequestReverseCommand
from points.models import PointsRequest
from points.tests.factories import make_programme, seed_employees, submit, system
from reports.filters import POINTS_GROUPS
from users.commands import OrganisationUpdate
from users.services import organisation_update
from vouchers.tests.factories import cancel, make_catalogue, order


@dataclass
class History:
    tenant: object
    zone: str
    # employee_id -> [(since, business unit code)]: who was where when, as the script moved them
    places: dict = field(default_factory=dict)


def _seed(tenant, history: History, employee_id: str, business_unit: str, **fields) -> None:
    seed_employees(tenant, employee_id, business_unit=business_unit, **fields)
    places = history.places.setdefault(employee_id, [])
    # the first place holds from the start (the near-midnight credit is dated before the script ran)
    places.append((timezone.now() if places else datetime.min.replace(tzinfo=UTC), business_unit))


def build_history(tenant, *, zone: str, near_midnight: bool = True) -> History:
    history = History(tenant, zone)
    organisation_update(
        organisation=tenant.organisation,
        command=OrganisationUpdate(name=tenant.organisation.name, is_active=True, time_zone=zone),
    )
    actor = system(tenant)
    _seed(tenant, history, "E1", "SALES", country="FR", department="Ops", cost_centre="CC1")
    _seed(tenant, history, "E2", "ENG", country="DE", department="Build", cost_centre="CC2")
    _seed(tenant, history, "E3", "ENG", country="DE")
    make_programme(tenant, "P1", budget=20_000, approval_threshold=500)
    make_programme(tenant, "P2", budget=5_000)
    submit(tenant, request_id="a1", employee_id="E1", points=300, programme="P1")
    submit(tenant, request_id="a2", employee_id="E2", points=200, programme="P1")
    submit(tenant, request_id="a3", employee_id="E1", points=50, programme="P2")
    pending = submit(tenant, request_id="a4", employee_id="E2", points=600, programme="P1")
    points_services.points_request_approve(
        actor=actor, request_uuid=pending.pk, command=PointsRequestDecisionCommand.parse({})
    )
    rejected = submit(tenant, request_id="a5", employee_id="E3", points=700, programme="P1")
    points_services.points_request_reject(
        actor=actor, request_uuid=rejected.pk, command=PointsRequestDecisionCommand.parse({})
    )
    reversed_ = PointsRequest.objects.get(organisation=tenant.organisation, request_id="a2")
    points_services.points_request_reverse(
        actor=actor, request_uuid=reversed_.pk, command=PointsRequestReverseCommand.parse({"reason": "typo"})
    )
    catalogue = make_catalogue(tenant)
    order(tenant, order_id="o1", employee_id="E1", product=catalogue.generated, denomination=10, quantity=2)
    placed = order(tenant, order_id="o2", employee_id="E2", product=catalogue.generated, denomination=20)
    cancel(tenant, placed.order.vouchers.first().pk)
    # the mover: E1 goes to ENG; later movements count there, earlier ones stay in SALES
    _seed(tenant, history, "E1", "ENG", country="FR", department="Ops", cost_centre="CC1")
    submit(tenant, request_id="a6", employee_id="E1", points=30, programme="P1")
    order(tenant, order_id="o3", employee_id="E1", product=catalogue.generated, denomination=10)
    if near_midnight:  # 23:30 UTC yesterday: another day (and maybe month) in the organisation's zone
        late = (timezone.now() - timedelta(days=1)).replace(hour=23, minute=30, second=0, microsecond=0)
        with mock.patch("django.utils.timezone.now", return_value=late):
            submit(tenant, request_id="a7", employee_id="E3", points=40, programme="P2")
    return history


def expire_everything() -> None:
    points_services.lots_expire(now=timezone.now() + timedelta(days=10 * 365))


# Expectations from the ledger tables only.

LEDGER_WALLET_ENTRIES = """
SELECT e.amount, t.kind, t.created_at, emp.employee_id, COALESCE(cc.code, ''), emp.country, emp.department,
    (SELECT p.code FROM points_ledgerentry be JOIN points_account b ON b.id = be.account_id AND b.kind = 'budget'
     JOIN points_programme p ON p.id = b.programme_id WHERE be.transaction_id = t.id LIMIT 1)
FROM points_ledgerentry e
JOIN points_account a ON a.id = e.account_id AND a.kind = 'wallet'
JOIN points_ledgertransaction t ON t.id = e.transaction_id
JOIN users_employee emp ON emp.id = a.employee_id
LEFT JOIN users_costcentre cc ON cc.id = emp.cost_centre_id
WHERE t.organisation_id = %s
"""


def ledger_movements(history: History) -> list[dict]:
    """Every wallet entry of the organisation, with the dimensions the script says it had at that time."""
    with connection.cursor() as cursor:
        cursor.execute(LEDGER_WALLET_ENTRIES, [history.tenant.organisation.id])
        rows = cursor.fetchall()
    movements = []
    for amount, kind, created_at, employee_id, cost_centre, country, department, programme in rows:
        business_unit = [bu for since, bu in history.places[employee_id] if since <= created_at][-1]
        local = created_at.astimezone(ZoneInfo(history.zone)).date()
        movements.append(
            {
                "amount": amount,
                "kind": kind,
                "day": local,
                "employee": employee_id,
                "business_unit": business_unit,
                "cost_centre": cost_centre or None,
                "country": country or None,
                "department": department or None,
                "programme": programme if kind in ("award", "reversal") else None,
                "month": local.strftime("%Y-%m"),
            }
        )
    return movements


def expected_points(movements, group_by, keep=lambda m: True) -> list[dict]:
    """Rows ordered by their keys in the API's order of groups, no group first."""
    group_by = [name for name in POINTS_GROUPS if name in group_by]
    groups: dict[tuple, dict] = {}
    for m in filter(keep, movements):
        key = tuple(m[name] for name in group_by)
        row = groups.setdefault(key, {"awarded": 0, "reversed": 0, "redeemed": 0, "expired": 0, "recipients": set()})
        measure = {"award": "awarded", "reversal": "reversed", "spend": "redeemed", "refund": "redeemed"}.get(
            m["kind"], "expired"
        )
        row[measure] += m["amount"] if m["kind"] == "award" else -m["amount"]
        if m["kind"] == "award":
            row["recipients"].add(m["employee"])
    result = []
    for key in sorted(groups, key=lambda k: tuple((v is not None, v or "") for v in k)):
        row = groups[key]
        result.append({**dict(zip(group_by, key, strict=True)), **row, "recipients": len(row["recipients"])})
    return result


def at(when: datetime) -> mock._patch:
    return mock.patch("django.utils.timezone.now", return_value=when)
