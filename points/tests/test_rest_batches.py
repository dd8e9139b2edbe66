"""Batches through both doors: REST (202 at once, status, items, replay, conflict, limits, scopes, tenancy)
and GraphQL (pointsBatchCreate and the batch queries)."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import from_global_id

from points.services import points_batch_process
from points.tests.batches_support import BATCHES, batch_tables, credits, make_org
from tests.conftest import graphql
from tests.support import assert_problem


def process(response):
    points_batch_process(response.json()["id"])


def test_create_answers_202_at_once_then_status_and_items_tell_the_outcome(api, tenant):
    org = make_org(tenant, employees=5)
    requests = [*credits(org, 3), {**credits(org, 1)[0], "request_id": "bad", "employee_id": "NOPE"}]
    created = api.post(BATCHES, {"batch_id": "B-1", "requests": requests}, format="json")

    assert created.status_code == 202
    body = created.json()
    assert body == {"id": body["id"], "batch_id": "B-1", "status": "queued", "total": 4}
    assert api.get(f"{BATCHES}{body['id']}/").json()["processed"] == 0  # nothing credited in the request
    process(created)

    status = api.get(f"{BATCHES}{body['id']}/").json()
    assert {k: status[k] for k in ("status", "total", "processed", "credited", "pending_approval", "rejected")} == {
        "status": "completed",
        "total": 4,
        "processed": 4,
        "credited": 3,
        "pending_approval": 0,
        "rejected": 1,
    }
    assert status["errors"] == [
        {
            "index": 3,
            "row": None,
            "request_id": "bad",
            "field": "employee_id",
            "code": "employee_not_found",
            "message": "No employee 'NOPE'.",
        }
    ]
    items = api.get(f"{BATCHES}{body['id']}/items/?page_size=2").json()
    assert [(i["index"], i["status"]) for i in items["results"]] == [(0, "credited"), (1, "credited")]
    request = api.get(f"/api/v1/points/requests/{items['results'][0]['points_request_id']}/")
    assert request.status_code == 200 and request.json()["request_id"] == "r-0"
    rest = api.get(items["next"]).json()
    assert [(i["index"], i["status"], i["error"]) for i in rest["results"]] == [
        (2, "credited", None),
        (3, "rejected", {"field": "employee_id", "code": "employee_not_found", "message": "No employee 'NOPE'."}),
    ]
    rejected = api.get(f"{BATCHES}{body['id']}/items/?status=rejected").json()["results"]
    assert [i["index"] for i in rejected] == [3]
    listed = api.get(f"{BATCHES}?status=completed").json()["results"]
    assert [b["id"] for b in listed] == [body["id"]]


def test_same_batch_id_replays_200_and_other_requests_answer_409(api, tenant):
    org = make_org(tenant, employees=5)
    payload = {"batch_id": "B-1", "requests": credits(org, 3)}
    first = api.post(BATCHES, payload, format="json").json()
    before = batch_tables()

    again = api.post(BATCHES, payload, format="json")
    assert (again.status_code, again.json()) == (200, first)
    conflict = api.post(BATCHES, {**payload, "requests": credits(org, 2)}, format="json")
    assert_problem(conflict, 409, "batch_id_conflict", [("batch_id", "batch_id_conflict")])
    assert batch_tables() == before


def test_idempotency_key_replays_the_first_answer(api, tenant):
    org = make_org(tenant, employees=2)
    payload = {"batch_id": "B-2", "requests": credits(org, 2)}
    first = api.post(BATCHES, payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = api.post(BATCHES, payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (202, 202, "true")
    assert again.json() == first.json()


def test_malformed_bodies_are_refused_and_change_nothing(api, tenant):
    before = batch_tables()
    assert_problem(
        api.post(BATCHES, {"requests": [{}]}, format="json"), 400, "validation_error", [("batch_id", "required")]
    )
    assert_problem(
        api.post(BATCHES, {"batch_id": "x", "requests": [], "extra": 1}, format="json"),
        400,
        "validation_error",
        [("extra", "unknown_field")],
    )
    assert_problem(api.post(BATCHES, [1, 2], format="json"), 400, "malformed_request")
    too_big = api.generic(
        "POST", BATCHES, "x", content_type="application/json", CONTENT_LENGTH=str(48 * 1024 * 1024 + 1)
    )
    assert_problem(too_big, 413, "payload_too_large")
    assert batch_tables() == before


def test_a_big_batch_is_accepted_in_one_request(api, tenant):
    org = make_org(tenant, employees=10)
    body = json.dumps({"batch_id": "big", "requests": credits(org, 20_000)})
    assert len(body) > 1024 * 1024  # above the default body limit of other calls
    response = api.generic("POST", BATCHES, body, content_type="application/json")
    assert response.status_code == 202 and response.json()["total"] == 20_000


def test_scopes_and_tenancy(tenant, other_tenant):
    org = make_org(tenant, employees=2)
    reader = tenant.api(scopes=["points:read"])
    assert_problem(
        reader.post(BATCHES, {"batch_id": "x", "requests": credits(org, 1)}, format="json"), 403, "insufficient_scope"
    )
    batch = org.batch("mine", credits(org, 1))
    writer = tenant.api(scopes=["points:write"])
    assert_problem(writer.get(f"{BATCHES}{batch.pk}/"), 403, "insufficient_scope")
    stranger = other_tenant.api()
    for url in (f"{BATCHES}{batch.pk}/", f"{BATCHES}{batch.pk}/items/", f"{BATCHES}not-a-uuid/"):
        assert_problem(stranger.get(url), 404, "points_batch_not_found")
    assert stranger.get(BATCHES).json()["results"] == []


def test_items_list_runs_a_fixed_number_of_queries(api, tenant):
    org = make_org(tenant, employees=5)
    batch = org.batch("q", credits(org, 200))
    points_batch_process(batch.pk)
    with CaptureQueriesContext(connection) as small:
        api.get(f"{BATCHES}{batch.pk}/items/?page_size=5")
    with CaptureQueriesContext(connection) as large:
        api.get(f"{BATCHES}{batch.pk}/items/?page_size=200")
    assert len(small) == len(large)


CREATE = """mutation($input: PointsBatchCreateInput!) { pointsBatchCreate(input: $input) {
  replayed errors { field code message } batch { batchUuid batchId status total } } }"""
QUERY = """query($id: UUID!) { pointsBatch(id: $id) { batchId status processed credited rejected
  items(first: 2) { totalCount edges { node { index status requestId error { code } } } } } }"""


def test_graphql_creates_and_reads_a_batch(api, tenant, other_tenant):
    org = make_org(tenant, employees=3)
    requests = [
        {"requestId": r["request_id"], "employeeId": r["employee_id"], "points": r["points"], "programme": "KUDOS"}
        for r in credits(org, 2)
    ]
    status, body = graphql(api, CREATE, {"input": {"batchId": "G-1", "requests": requests}})
    payload = body["data"]["pointsBatchCreate"]
    assert (status, payload["errors"], payload["replayed"]) == (200, [], False)
    assert {k: payload["batch"][k] for k in ("batchId", "status", "total")} == {
        "batchId": "G-1",
        "status": "queued",
        "total": 2,
    }
    batch_uuid = payload["batch"]["batchUuid"]
    points_batch_process(batch_uuid)

    _, read = graphql(api, QUERY, {"id": batch_uuid})
    batch = read["data"]["pointsBatch"]
    assert (batch["status"], batch["processed"], batch["credited"], batch["items"]["totalCount"]) == (
        "completed",
        2,
        2,
        2,
    )
    assert [e["node"]["status"] for e in batch["items"]["edges"]] == ["credited", "credited"]
    # the REST door sees the same batch; the same batch_id with other requests is the same conflict code
    assert api.get(f"{BATCHES}{batch_uuid}/").json()["credited"] == 2
    _, again = graphql(api, CREATE, {"input": {"batchId": "G-1", "requests": requests[:1]}})
    assert again["data"]["pointsBatchCreate"]["errors"] == [
        {
            "field": "batch_id",
            "code": "batch_id_conflict",
            "message": "batch_id 'G-1' was already used with other requests.",
        }
    ]
    _, theirs = graphql(other_tenant.api(), QUERY, {"id": batch_uuid})
    assert theirs["data"]["pointsBatch"] is None
    _, denied = graphql(tenant.api(scopes=["points:read"]), CREATE, {"input": {"batchId": "G-2", "requests": requests}})
    assert denied["errors"][0]["extensions"]["code"] == "insufficient_scope"


LIST = "{ pointsBatches(first: 50) { totalCount edges { node { batchId status total credited } } } }"


def test_graphql_batch_list_costs_the_same_queries_for_one_batch_or_many(api, tenant):
    org = make_org(tenant, employees=3)
    org.batch("L-0", credits(org, 1))
    with CaptureQueriesContext(connection) as one:
        assert graphql(api, LIST)[1]["data"]["pointsBatches"]["totalCount"] == 1
    for n in range(1, 6):
        org.batch(f"L-{n}", credits(org, 1, prefix=f"L-{n}"))
    with CaptureQueriesContext(connection) as six:
        assert graphql(api, LIST)[1]["data"]["pointsBatches"]["totalCount"] == 6
    assert len(one) == len(six)


def test_graphql_batch_items_are_asked_of_one_batch_not_within_the_list(api, tenant):
    org = make_org(tenant, employees=3)
    org.batch("L-0", credits(org, 1))
    status, body = graphql(api, "{ pointsBatches { edges { node { batchId items(first: 1) { totalCount } } } } }")
    assert status == 200
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("`items` is asked of one batch at a time: use pointsBatch(id).", "bad_request")
    ]


def test_graphql_takes_a_batch_larger_than_other_calls_bodies_as_variables(api, tenant):
    org = make_org(tenant, employees=3)
    requests = [
        {
            "requestId": f"big-{n}",
            "employeeId": org.employees[n % 3],
            "points": 1,
            "programme": "KUDOS",
            "reason": "r" * 120,
        }
        for n in range(8_000)
    ]
    body = json.dumps({"query": CREATE, "variables": {"input": {"batchId": "BIG", "requests": requests}}})
    assert len(body) > 1024 * 1024

    response = api.post("/graphql/", body, content_type="application/json")

    payload = response.json()["data"]["pointsBatchCreate"]
    assert (response.status_code, payload["errors"], payload["batch"]["total"]) == (200, [], 8_000)


ITEMS = """query($id: UUID!, $first: Int) { pointsBatch(id: $id) { items(first: $first) { edges { node {
  index status pointsRequestId pointsRequest { id requestId status points employeeId programme } } } } } }"""
APPROVE = """mutation($input: PointsRequestApproveInput!) { pointsRequestApprove(input: $input) {
  pointsRequest { requestId status } errors { code } } }"""


def test_graphql_batch_items_lead_to_their_requests_which_can_be_approved(api, tenant):
    org = make_org(tenant, employees=3, approval_threshold=50)
    batch = org.batch("A-1", [*credits(org, 4), {**credits(org, 1, prefix="big")[0], "points": 60}])
    points_batch_process(batch.pk)

    with CaptureQueriesContext(connection) as two:
        graphql(api, ITEMS, {"id": str(batch.pk), "first": 2})
    with CaptureQueriesContext(connection) as five:
        _, body = graphql(api, ITEMS, {"id": str(batch.pk), "first": 5})
    nodes = [e["node"] for e in body["data"]["pointsBatch"]["items"]["edges"]]
    pending = nodes[4]

    assert len(two) == len(five)
    assert [n["status"] for n in nodes] == ["credited"] * 4 + ["pending_approval"]
    assert pending["pointsRequest"] | {"id": None} == {
        "id": None,
        "requestId": "big-0",
        "status": "pending_approval",
        "points": 60,
        "employeeId": "E00000",
        "programme": "KUDOS",
    }
    assert from_global_id(pending["pointsRequest"]["id"]) == ("PointsRequest", pending["pointsRequestId"])
    _, approved = graphql(api, APPROVE, {"input": {"id": pending["pointsRequest"]["id"]}})
    assert approved["data"]["pointsRequestApprove"] == {
        "pointsRequest": {"requestId": "big-0", "status": "credited"},
        "errors": [],
    }
