"""factory_boy factories and builders for the points app's tests, and the read-outs they compare.

Programmes are made and funded through the services (a budget is ledger rows, never a stored number);
employees come from users/tests/factories.py, or through the sync service where a test compares the
events an HR feed leaves (`seed_employees`).
"""

from contextlib import contextmanager

import factory

from plum.core.actor import Actor
from points import selectors, services
from points.commands import PointsRequestCommand, ProgrammeCommand, ProgrammeTopupCommand
from points.models import Account, LedgerEntry, LedgerTransaction, Lot, PointsRequest, Programme
from tests.conftest import employee_payload
from tests.support import database_state, seed
from users.tests.factories import OrganisationFactory

REQUESTS = "/api/v1/points/requests/"
PROGRAMMES = "/api/v1/programmes/"


def system(tenant_or_organisation) -> Actor:
    organisation = getattr(tenant_or_organisation, "organisation", tenant_or_organisation)
    return Actor.system(organisation.id, label="tests")


def topup(organisation, code: str, points: int):
    command = ProgrammeTopupCommand.parse({"programme": code, "points": points})
    return services.programme_topup(actor=system(organisation), command=command)


class ProgrammeFactory(factory.Factory):
    """A programme made by programme_create, its budget funded by programme_topup when `budget` > 0."""

    class Meta:
        model = ProgrammeCommand

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.LazyAttribute(lambda programme: f"{programme.code} awards")
    budget = 0

    @classmethod
    def _create(cls, model_class, organisation, budget=0, **fields) -> Programme:
        programme = services.programme_create(actor=system(organisation), command=model_class.parse(fields))
        if budget:
            topup(organisation, programme.code, budget)
        return programme

    _build = _create


def make_programme(tenant, code="P1", budget=0, **fields) -> Programme:
    return ProgrammeFactory(organisation=tenant.organisation, code=code, budget=budget, **fields)


def seed_employees(tenant, *employee_ids: str, **fields) -> None:
    seed(tenant, [employee_payload(e, **fields) for e in employee_ids])


def body(request_id="R1", employee_id="E1", points=100, programme="P1", **fields) -> dict:
    return {"request_id": request_id, "employee_id": employee_id, "points": points, "programme": programme, **fields}


def submit(tenant, **fields) -> PointsRequest:
    command = PointsRequestCommand.parse(body(**fields))
    return services.points_request_submit(actor=system(tenant), command=command).request


# Read-outs the assertions compare.


def budget(tenant, code="P1") -> int:
    return selectors.programme_get(actor=system(tenant), code=code).budget_balance


def balance(tenant, employee_id="E1") -> int:
    return selectors.wallet_get(actor=system(tenant), employee_id=employee_id)["balance"]


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
