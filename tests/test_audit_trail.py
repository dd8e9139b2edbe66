"""Every write of the access matrices, made by the victim organisation's own client, leaves exactly one audit
entry about the object it names or creates, by that client, with the request's id and address; its replay
(the same Idempotency-Key) and a refused call leave none. GraphQL mutations and staff's admin actions too.

A call that starts a job (a batch, an upload's confirmation, a campaign, an HRMS run) has its one entry; the
job's completion, a task, writes its own entry as the system (with eager tasks it runs inside the call)."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.urls import resolve

from integrations.chat.tests import test_channels_access as chat_access
from integrations.events.tests import test_events_access as events_access
from integrations.events.tests import test_hook_endpoints_access as hook_endpoints_access
from integrations.hrms.models import Run
from integrations.hrms.tests import test_connections_access as hrms_access
from integrations.webhooks.tests import test_deliveries_access as deliveries_access
from integrations.webhooks.tests import test_subscriptions_access as webhooks_access
from plum.core.models import AuditEntry
from points.models import PointsRequest, Programme
from tests import test_access_matrix as matrix
from tests import test_points_batches_access as batches_access
from tests import test_vouchers_access as vouchers_access
from tests.conftest import graphql
from users.models import ApiClient
from vouchers.models import Product
from vouchers.tests.factories import add_stock


def _ids_of(*names):
    return lambda world: (world[0], {name: getattr(obj, "pk", obj) for name, obj in zip(names, world[1:], strict=True)})


# module -> how its victim fixture's world reads as (tenant, the path's placeholders)
WORLDS = {
    matrix: lambda tenant: (tenant, {}),
    batches_access: lambda world: world,
    vouchers_access: lambda world: world,
    events_access: lambda world: (world[0], {"event": "victim-event", "rule": world[1].pk}),
    hook_endpoints_access: _ids_of("endpoint"),
    webhooks_access: _ids_of("subscription"),
    deliveries_access: _ids_of("subscription", "delivery"),
    hrms_access: _ids_of("connection", "run"),
    chat_access: _ids_of("channel"),
}
MODULE_NAMES = {module: module.__name__.rsplit(".", 1)[-1] for module in WORLDS}
AUDITED_READS = {"vouchers.reveal"}  # a reveal shows a code in full: recorded like a write


def _rest(module) -> dict:
    return module.REST_CALLS if module is matrix else module.REST


WRITES = [
    (MODULE_NAMES[module], name)
    for module in WORLDS
    for name, (method, *_rest_of_call) in sorted(_rest(module).items())
    if method != "get" or name in AUDITED_READS
]
MODULES = {name: module for module, name in MODULE_NAMES.items()}

# The exact entry of each users and points call: (action, object_type, object_id; None: the id it answered).
EXPECTED = {
    "employees.create": ("employee.created", "employee", "NEW-1"),
    "employees.partial_update": ("employee.updated", "employee", matrix.TARGET),
    "employees.deactivate": ("employee.deactivated", "employee", matrix.TARGET),
    "employees.erase": ("employee.erased", "employee", matrix.TARGET),
    "employees.sync": ("employee_sync.completed", "employee_sync", "-"),
    "programmes.create": ("programme.created", "programme", "NEW"),
    "points_requests.create": ("points_request.credited", "points_request", None),
    "points_requests.approve": ("points_request.approved", "points_request", matrix.PENDING),
    "points_requests.reject": ("points_request.rejected", "points_request", matrix.PENDING),
    "points_requests.reverse": ("points_request.reversed", "points_request", matrix.CREDITED),
    "batches.create": ("points_batch.created", "points_batch", None),
    "uploads.create": ("points_upload.created", "points_upload", None),
    "uploads.confirm": ("points_upload.confirmed", "points_upload", "{upload}"),
}

# What a call needs of the refusal matrices' worlds to succeed: (module, call) -> prepare(tenant, ids).
PREPARE = {
    ("test_vouchers_access", "orders.create"): lambda tenant, ids: add_stock(
        tenant, Product.objects.get(pk=ids["product"]), ["AUDIT-STOCK-1"]
    ),
    # a run waiting for confirmation holds its connection
    ("test_connections_access", "hrms.destroy"): lambda tenant, ids: Run.objects.filter(pk=ids["run"]).update(
        status=Run.Status.COMPLETED
    ),
}
DRY_RUNS = {"rules.test"}  # evaluates a rule against an event and writes nothing: no entry

_keys = itertools.count()


def _honours_idempotency_key(method: str, path: str) -> bool:
    match = resolve(path.split("?")[0])
    return getattr(getattr(match.func.cls, match.func.actions[method]), "idempotent", False)


def _send(module, client, name, ids, *, key: str):
    method, path, body, *_ = _rest(module)[name]
    path = path.format(**ids)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if method == "post" else {}
    if module is batches_access and body in ("file", "batch"):
        client.credentials(**client._credentials, **headers)  # its send() takes no headers
        return batches_access.send(client, method, path, body)
    if callable(body):
        body = body(ids)
    if body is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(path, body, format="json", **headers)


def _new_entries(after_id: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=after_id).order_by("id"))


def _last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _split(entries, tenant):
    """The caller's entries, and the others (which may only be job completions run by eager tasks)."""
    mine = [e for e in entries if e.actor_kind == "client" and e.actor_id == tenant.client.client_id]
    others = [e for e in entries if e not in mine]
    assert all(e.actor_kind == "system" and e.action.endswith(".completed") for e in others), [
        (e.actor_kind, e.action) for e in others
    ]
    return mine, others


@pytest.mark.parametrize(("module_name", "name"), WRITES, ids=[f"{m}:{n}" for m, n in WRITES])
def test_each_write_leaves_one_entry_and_its_replay_none(module_name, name, make_tenant):
    module = MODULES[module_name]
    world = module.victim.__wrapped__(make_tenant)
    tenant, ids = WORLDS[module](world)
    if prepare := PREPARE.get((module_name, name)):
        prepare(tenant, ids)
    client = tenant.api()
    key = f"audit-{next(_keys)}"
    before = _last_id()

    response = _send(module, client, name, ids, key=key)

    assert response.status_code < 300, response.content
    mine, _ = _split(_new_entries(before), tenant)
    if name in DRY_RUNS:
        assert mine == []
        return
    assert len(mine) == 1, [(e.action, e.object_id) for e in mine]
    entry = mine[0]
    assert entry.organisation_id == tenant.organisation.id
    assert (entry.actor_name, entry.ip, entry.request_id) == (tenant.client.name, "127.0.0.1", response["X-Request-ID"])
    assert entry.action.startswith(entry.object_type + ".")
    if name in EXPECTED:
        action, object_type, object_id = EXPECTED[name]
        object_id = response.json()["id"] if object_id is None else object_id.format(**ids)
        assert (entry.action, entry.object_type, entry.object_id) == (action, object_type, str(object_id))
    else:  # the other rooms: the object the path names, or the one the call created (a run, a delivery)
        method, path, *_ = _rest(module)[name]
        named = {str(v) for k, v in ids.items() if "{" + k + "}" in path}
        assert entry.object_id in named or entry.object_id in response.content.decode(), (entry.object_id, path)

    method, path, *_ = _rest(module)[name]
    if method == "post" and _honours_idempotency_key(method, path.format(**ids)):
        settled = _last_id()
        replay = _send(module, tenant.api(), name, ids, key=key)
        assert replay.status_code < 300 or replay.status_code == 409, replay.content
        assert _split(_new_entries(settled), tenant)[0] == []


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        (
            "/api/v1/points/requests/",
            {"request_id": "X", "employee_id": "T-1", "points": 5, "programme": "NOPE"},
            "programme_not_found",
        ),
        ("/api/v1/programmes/", {"code": "P1", "name": "Again"}, "programme_exists"),
        (f"/api/v1/points/requests/{matrix.CREDITED}/approve/", {}, "request_not_pending"),
    ],
)
def test_a_refused_call_leaves_no_entry(path, body, code, make_tenant):
    tenant = matrix.victim.__wrapped__(make_tenant)
    before = _last_id()
    response = tenant.api().post(path, body, format="json")
    assert response.status_code in (409, 422) and response.json()["code"] == code
    assert _new_entries(before) == []


def test_a_call_that_changes_nothing_leaves_no_entry(make_tenant):
    tenant = matrix.victim.__wrapped__(make_tenant)
    api = tenant.api()
    employee = api.get(f"/api/v1/employees/{matrix.TARGET}/").json()
    before = _last_id()
    same = api.patch(f"/api/v1/employees/{matrix.TARGET}/", {"first_name": employee["first_name"]}, format="json")
    assert same.status_code == 200
    assert api.post(f"/api/v1/employees/{matrix.TARGET}/deactivate/").status_code == 200
    assert api.post(f"/api/v1/employees/{matrix.TARGET}/deactivate/").status_code == 200
    assert [e.action for e in _new_entries(before)] == ["employee.deactivated"]


GRAPHQL_MUTATIONS = {
    field: document for field, (document, *_) in matrix.GRAPHQL_CALLS.items() if document.startswith("mutation")
}
GRAPHQL_EXPECTED = {
    "employeeCreate": ("employee.created", "NEW-1"),
    "employeeUpdate": ("employee.updated", matrix.TARGET),
    "employeeDeactivate": ("employee.deactivated", matrix.TARGET),
    "employeesSync": ("employee_sync.completed", "-"),
    "programmeCreate": ("programme.created", "NEW"),
    "pointsRequestCreate": ("points_request.credited", None),
    "pointsRequestApprove": ("points_request.approved", matrix.PENDING),
    "pointsRequestReject": ("points_request.rejected", matrix.PENDING),
    "pointsRequestReverse": ("points_request.reversed", matrix.CREDITED),
}


@pytest.mark.parametrize("field", sorted(GRAPHQL_MUTATIONS))
def test_each_graphql_mutation_leaves_one_entry(field, make_tenant):
    tenant = matrix.victim.__wrapped__(make_tenant)
    before = _last_id()
    status, body = graphql(tenant.api(), GRAPHQL_MUTATIONS[field])
    assert status == 200 and body["data"][field]["errors"] == [], body
    entries = _new_entries(before)
    assert [(e.actor_kind, e.actor_id) for e in entries] == [("client", tenant.client.client_id)]
    action, object_id = GRAPHQL_EXPECTED[field]
    if object_id is None:
        object_id = str(PointsRequest.objects.get(organisation=tenant.organisation, request_id="NEW-R").pk)
    assert (entries[0].action, entries[0].object_id) == (action, object_id)


@pytest.mark.parametrize("field", ["voucherOrderCreate", "voucherCancel", "voucherRedeem", "campaignCreate"])
def test_each_voucher_mutation_leaves_one_entry(field, make_tenant):
    tenant, ids = vouchers_access.victim.__wrapped__(make_tenant)
    add_stock(tenant, Product.objects.get(pk=ids["product"]), ["AUDIT-STOCK-1"])
    document = vouchers_access.GRAPHQL[field][0]
    for key in ("product_gid", "voucher_gid"):
        document = document.replace("{" + key + "}", ids[key])
    before = _last_id()
    status, body = graphql(tenant.api(), document)
    assert status == 200 and body["data"][field]["errors"] == [], body
    mine, _ = _split(_new_entries(before), tenant)
    assert len(mine) == 1 and mine[0].action.startswith(mine[0].object_type + ".")


@pytest.fixture
def staff(db, client):
    user = get_user_model().objects.create_superuser("auditor", "auditor@example.com", "pw")
    client.force_login(user)
    return client, user


def _one_staff_entry(before, user) -> AuditEntry:
    entries = _new_entries(before)
    assert [(e.actor_kind, e.actor_id, e.actor_name) for e in entries] == [("staff", str(user.pk), "staff:auditor")], [
        (e.actor_kind, e.action) for e in entries
    ]
    assert entries[0].request_id and entries[0].ip == "127.0.0.1"
    return entries[0]


def test_admin_budget_top_up_leaves_one_entry(staff, make_tenant):
    client, user = staff
    tenant = matrix.victim.__wrapped__(make_tenant)
    programme = Programme.objects.get(organisation=tenant.organisation, code="P1")
    before = _last_id()
    data = {"action": "top_up", "_selected_action": [programme.pk], "points": "250"}
    assert client.post("/admin/points/programme/", data).status_code in (200, 302)
    entry = _one_staff_entry(before, user)
    assert (entry.action, entry.object_type, entry.object_id) == ("programme.topped_up", "programme", "P1")
    assert entry.changes["budget_balance"][1] - entry.changes["budget_balance"][0] == 250


def test_admin_approval_leaves_one_entry(staff, make_tenant):
    client, user = staff
    matrix.victim.__wrapped__(make_tenant)
    before = _last_id()
    data = {"action": "approve", "_selected_action": [matrix.PENDING], "note": "ok"}
    assert client.post("/admin/points/pointsrequest/", data).status_code in (200, 302)
    entry = _one_staff_entry(before, user)
    assert (entry.action, entry.object_id) == ("points_request.approved", matrix.PENDING)
    assert entry.changes["status"] == ["pending_approval", "credited"]
    assert entry.changes["decision_note"] == ["", "ok"]


def test_admin_client_secret_rotation_leaves_one_entry_without_the_secret(staff, make_tenant):
    client, user = staff
    tenant = make_tenant("rotating")
    tenant.api()
    before = _last_id()
    data = {"action": "rotate_secret", "_selected_action": [tenant.client.pk]}
    response = client.post("/admin/users/apiclient/", data)
    assert response.status_code == 200
    entry = _one_staff_entry(before, user)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "api_client.secret_rotated",
        "api_client",
        tenant.client.client_id,
    )
    assert entry.changes == {"counts": [None, {"tokens_revoked": 1}]}  # the token make_tenant's api() made
    assert ApiClient.objects.get(pk=tenant.client.pk).client_secret != tenant.client.client_secret


def test_admin_reveal_leaves_one_entry(staff, make_tenant):
    client, user = staff
    tenant, ids = vouchers_access.victim.__wrapped__(make_tenant)
    before = _last_id()
    data = {"action": "reveal_code", "_selected_action": [ids["voucher"]]}
    assert client.post("/admin/vouchers/voucher/", data).status_code == 200
    entry = _one_staff_entry(before, user)
    assert (entry.object_type, entry.object_id) == ("voucher", ids["voucher"])
    assert vouchers_access.CODE not in str(entry.changes)


def test_the_walk_covers_every_write_of_the_matrices():
    """A new write in any matrix is walked here too (WRITES is built from them); the users and points calls
    have their exact expectation."""
    users_and_points = {n for m, n in WRITES if m in ("test_access_matrix", "test_points_batches_access")}
    assert users_and_points == set(EXPECTED)
    assert {m for m, _ in WRITES} == set(MODULES)
