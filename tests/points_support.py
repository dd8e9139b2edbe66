"""Helpers for the points door tests: seeding programmes and requests, and ledger snapshots."""

from contextlib import contextmanager

from plum.core.actor import Actor
from points import selectors, services
from points.models import Account, LedgerEntry, LedgerTransaction, Lot, PointsRequest, Programme
from tests.conftest import employee_payload
from tests.support import database_state, seed

REQUESTS = "/api/v1/points/requests/"
PROGRAMMES = "/api/v1/programmes/"


def system(tenant) -> Actor:
    return Actor.system(tenant.organisation.id, label="tests")


def points_state() -> dict:
    """Every row a points write may touch, in every organisation, with the employees and the outbox."""
    return {
        **database_state(),
        "programmes": list(Programme.objects.order_by("id").values()),
        "requests": list(PointsRequest.objects.order_by("id").values()),
        "accounts": list(Account.objects.order_by("id").values()),
        "transactions": list(LedgerTransaction.objects.order_by("id").values()),
        "entries": list(LedgerEntry.objects.order_by("id").values()),
        "lots": list(Lot.objects.order_by("id").values()),
    }


@contextmanager
def points_nothing_changes():
    """`with points_nothing_changes(): ...` fails if the block changed any points, employee or outbox row."""
    before = points_state()
    yield
    assert points_state() == before


def make_programme(tenant, code="P1", budget=0, **fields) -> Programme:
    """A programme made through the service, topped up from the funding account when `budget` > 0."""
    programme = services.programme_create(actor=system(tenant), data={"code": code, "name": f"{code} awards", **fields})
    if budget:
        services.programme_topup(actor=system(tenant), programme_code=code, points=budget)
    return programme


def seed_employees(tenant, *employee_ids: str, **fields) -> None:
    seed(tenant, [employee_payload(e, **fields) for e in employee_ids])


def body(request_id="R1", employee_id="E1", points=100, programme="P1", **fields) -> dict:
    return {"request_id": request_id, "employee_id": employee_id, "points": points, "programme": programme, **fields}


def submit(tenant, **fields) -> PointsRequest:
    return services.points_request_submit(actor=system(tenant), data=body(**fields)).request


def budget(tenant, code="P1") -> int:
    return selectors.programme_get(actor=system(tenant), code=code).budget_balance


def balance(tenant, employee_id="E1") -> int:
    return selectors.wallet_get(actor=system(tenant), employee_id=employee_id)["balance"]


def iso(value) -> str | None:
    """A timestamp as the API writes it (UTC with a Z)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def request_document(request: PointsRequest) -> dict:
    """The document expected for a stored request, built field by field from the row (not the selector)."""
    request.refresh_from_db()
    return {
        "id": str(request.id),
        "request_id": request.request_id,
        "status": request.status,
        "points": request.points,
        "employee_id": request.employee.employee_id,
        "programme": request.programme.code,
        "reason": request.reason,
        "source": request.source,
        "metadata": request.metadata,
        "balance_after": request.balance_after,
        "transaction_id": str(request.transaction_id) if request.transaction_id else None,
        "credited_at": iso(request.credited_at),
        "expires_at": iso(request.expires_at),
        "decided_at": iso(request.decided_at),
        "reversed_at": iso(request.reversed_at),
        "reversal_reason": request.reversal_reason,
        "created_at": iso(request.created_at),
    }
