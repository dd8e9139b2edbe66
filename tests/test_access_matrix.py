"""Every REST endpoint and GraphQL root field refuses: no token, an expired token, a token without
the scope, and a token of another organisation; and none of them changes anything."""

from collections import defaultdict

import pytest
from django.urls import resolve
from graphql_relay import to_global_id
from rest_framework.test import APIClient

from integrations.chat.tests import test_channels_access as chat_access
from integrations.events.tests import test_events_access as events_access
from integrations.events.tests import test_hook_endpoints_access as hook_endpoints_access
from integrations.hrms.tests import test_connections_access as hrms_access
from integrations.webhooks.tests import test_deliveries_access as deliveries_access
from integrations.webhooks.tests import test_subscriptions_access as webhooks_access
from plum.api.scopes import AUTHENTICATED, PUBLIC
from plum.checks import rest_actions
from plum.core.models import OutboxEvent
from plum.core.scopes import ALL_SCOPES, Scope
from plum.schema import schema
from points.models import Account, LedgerEntry, PointsRequest
from points.tests.factories import body as points_body
from points.tests.factories import make_programme, submit
from reports.tests import test_reports_access as reports_access
from tests import test_points_batches_access as batches_access
from tests import test_vouchers_access as vouchers_access
from tests.conftest import employee_payload, graphql
from users import selectors
from users.models import Employee

READ, WRITE = Scope.EMPLOYEES_READ, Scope.EMPLOYEES_WRITE
P_READ, P_WRITE, P_APPROVE = Scope.POINTS_READ, Scope.POINTS_WRITE, Scope.POINTS_APPROVE
TARGET = "T-1"  # an employee of the organisation under attack
# The target's points requests, one waiting for approval and one credited, under fixed ids the paths can name.
PENDING, CREDITED = "0b9a9f7e-0000-4000-8000-00000000000a", "0b9a9f7e-0000-4000-8000-00000000000c"
PENDING_GID = to_global_id("PointsRequest", PENDING)
CREDITED_GID = to_global_id("PointsRequest", CREDITED)

# (method, path, body, scope, is_detail): is_detail means the path names one of the target's objects.
REST_CALLS = {
    "employees.list": ("get", "/api/v1/employees/", None, READ, False),
    "employees.create": ("post", "/api/v1/employees/", employee_payload("NEW-1"), WRITE, False),
    "employees.retrieve": ("get", f"/api/v1/employees/{TARGET}/", None, READ, True),
    "employees.partial_update": ("patch", f"/api/v1/employees/{TARGET}/", {"first_name": "Mallory"}, WRITE, True),
    "employees.deactivate": ("post", f"/api/v1/employees/{TARGET}/deactivate/", None, WRITE, True),
    "employees.sync": ("post", "/api/v1/employees/sync/", {"mode": "full", "employees": []}, WRITE, False),
    "employees.export": ("get", f"/api/v1/employees/{TARGET}/export/", None, READ, True),
    "employees.erase": ("post", f"/api/v1/employees/{TARGET}/erase/", None, Scope.EMPLOYEES_ERASE, True),
    "business_units.list": ("get", "/api/v1/business-units/", None, READ, False),
    "cost_centres.list": ("get", "/api/v1/cost-centres/", None, READ, False),
    "programmes.list": ("get", "/api/v1/programmes/", None, P_READ, False),
    "programmes.create": ("post", "/api/v1/programmes/", {"code": "NEW", "name": "New"}, P_WRITE, False),
    "points_requests.list": ("get", "/api/v1/points/requests/", None, P_READ, False),
    # Names the target's programme and employee: another organisation finds neither (programme is checked first).
    "points_requests.create": ("post", "/api/v1/points/requests/", points_body("NEW-R", TARGET), P_WRITE, True),
    "points_requests.retrieve": ("get", f"/api/v1/points/requests/{PENDING}/", None, P_READ, True),
    "points_requests.approve": ("post", f"/api/v1/points/requests/{PENDING}/approve/", None, P_APPROVE, True),
    "points_requests.reject": ("post", f"/api/v1/points/requests/{PENDING}/reject/", None, P_APPROVE, True),
    "points_requests.reverse": (
        "post",
        f"/api/v1/points/requests/{CREDITED}/reverse/",
        {"reason": "x"},
        P_WRITE,
        True,
    ),
    "wallets.retrieve": ("get", f"/api/v1/wallets/{TARGET}/", None, P_READ, True),
    "wallets.transactions": ("get", f"/api/v1/wallets/{TARGET}/transactions/", None, P_READ, True),
    "audit.list": ("get", "/api/v1/audit/", None, Scope.AUDIT_READ, False),
}
# How another organisation is refused where it is not the employees' 404 employee_not_found.
NOT_YOURS = {
    "points_requests.create": (422, "programme_not_found"),
    "points_requests.retrieve": (404, "points_request_not_found"),
    "points_requests.approve": (404, "points_request_not_found"),
    "points_requests.reject": (404, "points_request_not_found"),
    "points_requests.reverse": (404, "points_request_not_found"),
    "pointsRequestCreate": "programme_not_found",
    "pointsRequestApprove": "points_request_not_found",
    "pointsRequestReject": "points_request_not_found",
    "pointsRequestReverse": "points_request_not_found",
}
NULL_WHEN_NOT_YOURS = {"employee", "wallet"}  # single-object queries answer null for another's key

_CREATE = '{employeeId: "NEW-1", email: "n@example.com", firstName: "N", lastName: "N"}'
# root field -> (document, scope, is_detail)
GRAPHQL_CALLS = {
    "employees": ("{ employees(first: 10) { edges { node { employeeId } } } }", READ, False),
    "employee": (f'{{ employee(employeeId: "{TARGET}") {{ employeeId }} }}', READ, True),
    "employeeCreate": (f"mutation {{ employeeCreate(input: {_CREATE}) {{ errors {{ code }} }} }}", WRITE, False),
    "employeeUpdate": (
        f'mutation {{ employeeUpdate(input: {{employeeId: "{TARGET}", firstName: "M"}}) {{ errors {{ code }} }} }}',
        WRITE,
        True,
    ),
    "employeeDeactivate": (
        f'mutation {{ employeeDeactivate(input: {{employeeId: "{TARGET}"}}) {{ errors {{ code }} }} }}',
        WRITE,
        True,
    ),
    "employeesSync": (
        "mutation { employeesSync(input: {mode: full, employees: []}) { errors { code } } }",
        WRITE,
        False,
    ),
    "programmes": ("{ programmes { edges { node { code budgetBalance } } } }", P_READ, False),
    "pointsRequests": ("{ pointsRequests { edges { node { requestId employeeId } } } }", P_READ, False),
    "wallet": (f'{{ wallet(employeeId: "{TARGET}") {{ employeeId balance }} }}', P_READ, True),
    "ledgerLines": (
        f'{{ ledgerLines(employeeId: "{TARGET}") {{ edges {{ node {{ points reference }} }} }} }}',
        P_READ,
        False,  # another organisation's key lists nothing
    ),
    "programmeCreate": (
        'mutation { programmeCreate(input: {code: "NEW", name: "New"}) { errors { code } } }',
        P_WRITE,
        False,
    ),
    "pointsRequestCreate": (
        "mutation { pointsRequestCreate(input: "
        f'{{requestId: "NEW-R", employeeId: "{TARGET}", points: 100, programme: "P1"}}) {{ errors {{ code }} }} }}',
        P_WRITE,
        True,
    ),
    "pointsRequestApprove": (
        f'mutation {{ pointsRequestApprove(input: {{id: "{PENDING_GID}"}}) {{ errors {{ code }} }} }}',
        P_APPROVE,
        True,
    ),
    "pointsRequestReject": (
        f'mutation {{ pointsRequestReject(input: {{id: "{PENDING_GID}"}}) {{ errors {{ code }} }} }}',
        P_APPROVE,
        True,
    ),
    "pointsRequestReverse": (
        f'mutation {{ pointsRequestReverse(input: {{id: "{CREDITED_GID}", reason: "x"}}) {{ errors {{ code }} }} }}',
        P_WRITE,
        True,
    ),
}


def target_state(organisation_id):
    employees = [
        selectors.employee_document(e)
        for e in Employee.objects.filter(organisation_id=organisation_id).select_related(
            "business_unit", "cost_centre", "manager"
        )
    ]
    events = list(
        OutboxEvent.objects.filter(organisation_id=organisation_id).order_by("id").values_list("id", flat=True)
    )
    points = (
        list(PointsRequest.objects.filter(organisation_id=organisation_id).order_by("id").values()),
        list(Account.objects.filter(organisation_id=organisation_id).order_by("id").values("id", "balance")),
        LedgerEntry.objects.filter(account__organisation_id=organisation_id).count(),
    )
    return employees, events, points


@pytest.fixture
def victim(make_tenant):
    victim = make_tenant("victim")
    api = victim.api()
    assert (
        api.post(
            "/api/v1/employees/", employee_payload(TARGET, business_unit="BU-V", cost_centre="CC-V"), format="json"
        ).status_code
        == 201
    )
    make_programme(victim, "P1", budget=1_000, approval_threshold=500)
    for request_id, points, fixed_id in (("V-PENDING", 600, PENDING), ("V-CREDITED", 100, CREDITED)):
        created = submit(victim, request_id=request_id, employee_id=TARGET, points=points)
        PointsRequest.objects.filter(pk=created.pk).update(id=fixed_id)
    return victim


def callers(victim, make_tenant, scope):
    """The four refused callers: label -> (client, expected REST status)."""
    anonymous = APIClient()
    without_scope = victim.api(scopes=[s for s in ALL_SCOPES if s != scope])
    return {
        "no_token": (anonymous, 401),
        "expired_token": (victim.api(expired=True), 401),
        "missing_scope": (without_scope, 403),
        "other_organisation": (make_tenant("intruder").api(), None),
    }


def rest_call(client, method, path, body):
    return getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)


@pytest.mark.parametrize("caller", ["no_token", "expired_token", "missing_scope", "other_organisation"])
@pytest.mark.parametrize("name", sorted(REST_CALLS))
def test_rest_refuses(name, caller, victim, make_tenant):
    method, path, body, scope, is_detail = REST_CALLS[name]
    client, expected_status = callers(victim, make_tenant, scope)[caller]
    before = target_state(victim.organisation.id)

    response = rest_call(client, method, path, body)

    if expected_status is not None:
        assert response.status_code == expected_status
        assert response["Content-Type"] == "application/problem+json"
        assert (
            response.json()["code"]
            == {401: ("not_authenticated", "invalid_token"), 403: ("insufficient_scope",)}[expected_status][
                0 if caller != "expired_token" else 1
            ]
        )
    elif is_detail:
        assert (response.status_code, response.json()["code"]) == NOT_YOURS.get(name, (404, "employee_not_found"))
    else:  # a list or create acts on the caller's own organisation: nothing of the victim's shows
        assert response.status_code < 300
        assert TARGET not in response.content.decode()
        assert "BU-V" not in response.content.decode() and "CC-V" not in response.content.decode()
    assert target_state(victim.organisation.id) == before


@pytest.mark.parametrize("caller", ["no_token", "expired_token", "missing_scope", "other_organisation"])
@pytest.mark.parametrize("field", sorted(GRAPHQL_CALLS))
def test_graphql_refuses(field, caller, victim, make_tenant):
    document, scope, is_detail = GRAPHQL_CALLS[field]
    client, expected_status = callers(victim, make_tenant, scope)[caller]
    before = target_state(victim.organisation.id)

    status, body = graphql(client, document)

    if expected_status == 401:
        assert status == 401
    elif expected_status == 403:
        assert status == 200
        assert [e["extensions"]["code"] for e in body["errors"]] == ["insufficient_scope"]
        assert body["data"] == {field: None}
    else:
        assert status == 200 and "errors" not in body
        result = body["data"][field]
        if field in NULL_WHEN_NOT_YOURS:
            assert result is None
        elif is_detail:
            assert [e["code"] for e in result["errors"]] == [NOT_YOURS.get(field, "employee_not_found")]
        assert TARGET not in str(body)
    assert target_state(victim.organisation.id) == before


# The other rooms' matrices (test_*_access.py): REST paths name their objects as {placeholders}.
ACCESS_MATRICES = (
    batches_access,
    vouchers_access,
    events_access,
    hook_endpoints_access,
    webhooks_access,
    deliveries_access,
    hrms_access,
    chat_access,
    reports_access,
)


def test_rest_matrix_covers_every_endpoint():
    """Every route is in this matrix or in one of ACCESS_MATRICES."""
    ids = defaultdict(lambda: "00000000-0000-0000-0000-000000000000")
    calls = [(m, p) for m, p, *_ in REST_CALLS.values()]
    for matrix in ACCESS_MATRICES:
        calls += [(m, p.format_map(ids).split("?")[0]) for m, p, *_ in matrix.REST.values()]
    covered = set()
    for method, path in calls:
        match = resolve(path)
        covered.add((match.func.cls.__name__, match.func.actions[method]))
    routed = {
        (cls.__name__, action)
        for _, cls, action in rest_actions()
        if getattr(cls, "required_scopes", None) not in (PUBLIC,)
        and cls.required_scopes != {"get": AUTHENTICATED, "post": AUTHENTICATED}
        and not cls.__module__.startswith("integrations.scim.")  # integrations/scim/tests/test_access.py
    }
    assert covered == routed


def test_graphql_matrix_covers_every_root_field():
    graphql_schema = schema.graphql_schema
    root_fields = set(graphql_schema.query_type.fields) | set(graphql_schema.mutation_type.fields)
    covered = set(GRAPHQL_CALLS).union(*(getattr(matrix, "GRAPHQL", {}) for matrix in ACCESS_MATRICES))
    assert covered == root_fields
