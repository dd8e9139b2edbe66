"""The points half of tests/test_api_parity.py: a write described once, performed through REST or GraphQL,
and the end state both doors must leave (requests, wallets, budgets, outbox events)."""

from dataclasses import dataclass, field

from graphene.utils.str_converters import to_camel_case
from graphql_relay import to_global_id

from plum.core.models import OutboxEvent
from points import selectors, services
from points.commands import PointsRequestDecisionCommand
from points.models import PointsRequest
from points.tests.factories import make_programme, submit, system
from tests.conftest import employee_payload, graphql
from tests.support import seed

MUTATIONS = {  # action -> (mutation, REST path); every points write is a POST
    "programme": ("programmeCreate", "/api/v1/programmes/"),
    "submit": ("pointsRequestCreate", "/api/v1/points/requests/"),
    "approve": ("pointsRequestApprove", "/api/v1/points/requests/{id}/approve/"),
    "reject": ("pointsRequestReject", "/api/v1/points/requests/{id}/reject/"),
    "reverse": ("pointsRequestReverse", "/api/v1/points/requests/{id}/reverse/"),
}
EMPLOYEES = [employee_payload("E1"), employee_payload("E2", status="inactive")]
MISSING = "00000000-0000-4000-8000-000000000000"  # a request id no tenant has
# Differ between two tenants doing the same thing: ids, clocks and ledger transaction ids.
VOLATILE = {"id", "transaction_id", "credited_at", "expires_at", "decided_at", "reversed_at", "created_at"}
ERRORS = "errors { field code message }"


@dataclass(frozen=True)
class PointsScenario:
    name: str
    action: str
    body: dict = field(default_factory=dict)
    target: str | None = None  # request_id of the request acted on (approve, reject, reverse)
    given: tuple = ()  # ("programme", code, budget, fields) | ("submit", fields) | ("approve", id) | ("spend", n)
    codes: list = field(default_factory=list)
    events: list = field(default_factory=list)  # (event type, request_id)

    def setup(self, tenant) -> None:
        seed(tenant, EMPLOYEES)
        for step, *args in self.given:
            if step == "programme":
                code, budget, fields = args
                make_programme(tenant, code, budget=budget, **fields)
            elif step == "submit":
                submit(tenant, **args[0])
            elif step == "approve":
                services.points_request_approve(
                    actor=system(tenant), request_uuid=_uuid(tenant, args[0]), command=PointsRequestDecisionCommand()
                )
            elif step == "spend":
                services.points_spend(actor=system(tenant), employee_id="E1", points=args[0], reference="spend")

    def rest_step(self, tenant) -> list[dict]:
        _, path = MUTATIONS[self.action]
        response = tenant.api().post(path.format(id=_uuid(tenant, self.target)), self.body, format="json")
        body = response.json()
        if response.status_code >= 400:
            return body["errors"] or [{"field": None, "code": body["code"], "message": body["detail"]}]
        return []

    def graphql_step(self, tenant) -> list[dict]:
        name, _ = MUTATIONS[self.action]
        data = {to_camel_case(k): v for k, v in self.body.items()}  # top level only: metadata keys stay
        if self.target:
            data["id"] = to_global_id("PointsRequest", str(_uuid(tenant, self.target)))
        type_name = name[0].upper() + name[1:]
        query = f"mutation($input: {type_name}Input!) {{ {name}(input: $input) {{ {ERRORS} }} }}"
        status, body = graphql(tenant.api(), query, {"input": data})
        assert (status, "errors" in body) == (200, False), body
        return body["data"][name]["errors"]


def _uuid(tenant, request_id: str | None):
    if request_id is None:
        return None
    found = PointsRequest.objects.filter(organisation=tenant.organisation, request_id=request_id).first()
    return found.id if found else MISSING


def end_state(tenant, events_before: int) -> dict:
    actor = system(tenant)
    requests = selectors.points_request_list(actor=actor).order_by("request_id")
    events = OutboxEvent.objects.filter(organisation_id=tenant.organisation.id, aggregate_type="points_request")
    return {
        "programmes": [selectors.programme_document(p) for p in selectors.programme_list(actor=actor)],
        "requests": [stable(selectors.points_request_document(r)) for r in requests],
        "wallets": {e: selectors.wallet_get(actor=actor, employee_id=e)["balance"] for e in ("E1", "E2")},
        "events": [
            (e.event_type, e.payload["request_id"], stable(e.payload)) for e in events.order_by("id")[events_before:]
        ],
    }


def stable(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in VOLATILE}


def events_count(tenant) -> int:
    return OutboxEvent.objects.filter(organisation_id=tenant.organisation.id, aggregate_type="points_request").count()
