"""scim2-tester's check_server against a live Plum: discovery, CRUD and PATCH on Users and Groups, every
check a success. The client is scim2-client over httpx, with a token from POST /oauth/token/."""

from typing import Any

import httpx
import pytest
from scim2_client import BaseSyncSCIMClient
from scim2_client.errors import RequestNetworkException
from scim2_tester import Status, check_server

from integrations.scim.models import ScimIdentity
from users.models import Employee

TAGS = {"discovery", "crud", "patch"}


class HttpxSCIMClient(BaseSyncSCIMClient):
    """scim2-client's engine over an httpx.Client (its bundled engine needs httpx2, not installed here)."""

    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base_url = self.client.base_url
        url = self.client.build_request("GET", endpoint).url
        return url.scheme == base_url.scheme and url.netloc == base_url.netloc and url.path.startswith(base_url.path)

    def _parse_json(self, response) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.RequestError as exc:
            raise RequestNetworkException() from exc


def access_token(base_url: str, tenant) -> str:
    answer = httpx.post(
        f"{base_url}/oauth/token/",
        data={"grant_type": "client_credentials", "scope": "scim"},
        auth=(tenant.client.client_id, tenant.client_secret),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "scim"
    return answer.json()["access_token"]


@pytest.mark.slow  # some 700 calls to a live server (~20 s)
@pytest.mark.django_db(transaction=True)
def test_scim2_tester_finds_every_check_a_success(live_server, make_tenant):
    tenant = make_tenant("tested")
    token = access_token(live_server.url, tenant)
    # Connection: close, or each call waits for TCP's delayed ACK on the test server (40 ms, ~700 calls)
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    with httpx.Client(base_url=f"{live_server.url}/scim/v2", headers=headers, timeout=30) as http:
        results = check_server(HttpxSCIMClient(http), include_tags=TAGS)

    ran = [r for r in results if not (r.status == Status.SKIPPED and r.reason == "Skipped due to tag filtering")]
    failures = [f"{r.resource_type or ''} {r.title}: {r.status.name} {r.reason} {r.data!r}"[:2000] for r in ran]
    failures = [f for f, r in zip(failures, ran, strict=True) if r.status != Status.SUCCESS]
    assert failures == [], "\n".join(failures)
    assert {r.title for r in results if r not in ran} == {"random_url"}  # tagged `misc` only
    checked = {(r.resource_type, r.title) for r in ran}
    for resource_type in ("User", "Group"):
        for title in (
            "object_creation",
            "object_replacement",
            "object_deletion",
            "check_add_attribute",
            "check_remove_attribute",
            "check_replace_attribute",
            "search_with_attributes",
        ):
            assert (resource_type, title) in checked
    # what the tester created it deleted again: deleted users are inactive employees, SCIM shows none
    live = ScimIdentity.objects.filter(organisation=tenant.organisation, deleted_at__isnull=True)
    assert list(live) == []
    employees = Employee.objects.filter(organisation=tenant.organisation)
    assert employees.count() > 0
    assert set(employees.values_list("status", flat=True)) == {"inactive"}
