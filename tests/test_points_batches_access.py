"""Every batch and upload endpoint and GraphQL field refuses: no token, an expired token, a token without the
scope, and a token of another organisation; and none of them changes anything."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from plum.core.scopes import ALL_SCOPES, Scope
from points.services import points_upload_create
from points.tests.batches_support import BATCHES, UPLOADS, batch_tables, credits, make_org
from tests.conftest import graphql

P_READ, P_WRITE = Scope.POINTS_READ, Scope.POINTS_WRITE
CSV = b"employee_id,points,reason,request_id,programme\nE00000,1,,u-1,KUDOS\n"

# name -> (method, path template, body, scope, names the victim's object)
REST = {
    "batches.list": ("get", BATCHES, None, P_READ, False),
    "batches.create": ("post", BATCHES, "batch", P_WRITE, False),
    "batches.retrieve": ("get", BATCHES + "{batch}/", None, P_READ, True),
    "batches.items": ("get", BATCHES + "{batch}/items/", None, P_READ, True),
    "uploads.create": ("post", UPLOADS, "file", P_WRITE, False),
    "uploads.retrieve": ("get", UPLOADS + "{upload}/", None, P_READ, True),
    "uploads.confirm": ("post", UPLOADS + "{upload}/confirm/", None, P_WRITE, True),
}
NOT_YOURS = {"batches": "points_batch_not_found", "uploads": "points_upload_not_found"}
GRAPHQL = {
    "pointsBatches": ("{ pointsBatches { edges { node { batchId } } } }", P_READ),
    "pointsBatch": ('{ pointsBatch(id: "{batch}") { batchId } }', P_READ),
    "pointsBatchCreate": (
        'mutation { pointsBatchCreate(input: {batchId: "NEW", requests: []}) { errors { code } } }',
        P_WRITE,
    ),
}


@pytest.fixture
def victim(make_tenant):
    victim = make_tenant("victim")
    org = make_org(victim, employees=2)
    batch = org.batch("V-1", credits(org, 2))
    upload = points_upload_create(actor=org.actor, file=SimpleUploadedFile("v.csv", CSV, "text/csv"))
    return victim, {"batch": batch.pk, "upload": upload.pk}


def callers(victim, make_tenant, scope) -> dict:
    return {
        "no_token": (APIClient(), 401, "not_authenticated"),
        "expired_token": (victim.api(expired=True), 401, "invalid_token"),
        "missing_scope": (victim.api(scopes=[s for s in ALL_SCOPES if s != scope]), 403, "insufficient_scope"),
        "other_organisation": (make_tenant("intruder").api(), None, None),
    }


def victims_rows(tenant, ids, tables=None) -> dict:
    tables = tables or batch_tables()
    org = tenant.organisation.id
    return {
        "batches": [r for r in tables["batches"] if r["organisation_id"] == org],
        "items": [r for r in tables["items"] if r["batch_id"] == ids["batch"]],
        "uploads": [r for r in tables["uploads"] if r["organisation_id"] == org],
    }


def send(client, method, path, body):
    if body == "file":
        return client.post(path, {"file": SimpleUploadedFile("x.csv", CSV, "text/csv")}, format="multipart")
    if body == "batch":
        request = {"request_id": "NEW-R", "employee_id": "E00000", "points": 1, "programme": "KUDOS"}
        return client.post(path, {"batch_id": "NEW-B", "requests": [request]}, format="json")
    return getattr(client, method)(path)


@pytest.mark.parametrize("caller", ["no_token", "expired_token", "missing_scope", "other_organisation"])
@pytest.mark.parametrize("name", sorted(REST))
def test_rest_refuses(name, caller, victim, make_tenant):
    tenant, ids = victim
    method, path, body, scope, names_victims = REST[name]
    client, status, code = callers(tenant, make_tenant, scope)[caller]
    before = batch_tables()

    response = send(client, method, path.format(**ids), body)

    if status is not None:
        assert (response.status_code, response.json()["code"]) == (status, code)
        assert batch_tables() == before
    elif names_victims:
        assert (response.status_code, response.json()["code"]) == (404, NOT_YOURS[name.split(".")[0]])
        assert batch_tables() == before
    else:  # a list or a create acts on the caller's own organisation: nothing of the victim's shows or changes
        assert response.status_code < 300
        assert str(ids["batch"]) not in response.content.decode()
        assert victims_rows(tenant, ids) == victims_rows(tenant, ids, before)


@pytest.mark.parametrize("caller", ["no_token", "expired_token", "missing_scope", "other_organisation"])
@pytest.mark.parametrize("field", sorted(GRAPHQL))
def test_graphql_refuses(field, caller, victim, make_tenant):
    tenant, ids = victim
    document, scope = GRAPHQL[field]
    client, status, _ = callers(tenant, make_tenant, scope)[caller]
    before = batch_tables()

    code, body = graphql(client, document.replace("{batch}", str(ids["batch"])))

    if status == 401:
        assert code == 401
    elif status == 403:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["insufficient_scope"]
        assert body["data"] == {field: None}
    elif field == "pointsBatch":
        assert body == {"data": {"pointsBatch": None}}
    elif field == "pointsBatches":
        assert body == {"data": {"pointsBatches": {"edges": []}}}
    else:
        assert body["data"][field]["errors"] == [{"code": "invalid"}]  # an empty list, in its own organisation
    assert batch_tables() == before
