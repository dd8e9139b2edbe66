"""The fake vendors themselves, checked with the real outbound client: other tests (and the HRMS run's
end-to-end tests) trust them to behave like the vendors they stand for."""

import base64

import pytest

from integrations import outbound
from integrations.hrms.tests.fakes import FakeDarwinbox, FakeSuccessFactors, fetch_all, make_people, use_vendor_server

SF_BASIC = {"Authorization": "Basic " + base64.b64encode(b"plum_api@ACME:s3cret-password").decode()}


@pytest.fixture
def server(settings):
    return use_vendor_server(settings)


def test_people_are_deterministic():
    assert make_people(3) == make_people(3)
    assert make_people(2, start=2)[0] == make_people(3)[1]
    assert len({p["employee_id"] for p in make_people(2000)}) == 2000


def test_successfactors_lists_inactive_users_only_when_the_filter_asks_for_them(server):
    fake = FakeSuccessFactors(server, people=[*make_people(2), *make_people(1, start=3)])
    fake.people[2]["status"] = "inactive"
    url = fake.base_url + "/odata/v2/User"

    plain = outbound.request("GET", url, headers=SF_BASIC, params={"$format": "json"}).json()
    every = outbound.request("GET", url, headers=SF_BASIC, params={"$filter": "status in 't','f'"}).json()

    assert [u["userId"] for u in plain["d"]["results"]] == ["E000001", "E000002"]
    assert [u["userId"] for u in every["d"]["results"]] == ["E000001", "E000002", "E000003"]


def test_a_dropped_connection_cuts_the_answer(server):
    fake = FakeSuccessFactors(server, fail_on_page=1, failure="drop")
    with pytest.raises(outbound.OutboundFailed, match="peer closed connection without sending complete message body"):
        outbound.request("GET", fake.base_url + "/odata/v2/User", headers=SF_BASIC)
    assert [(r.page, r.status) for r in fake.requests] == [(1, 200)]


def test_two_fakes_share_a_server_by_prefix(server):
    acme = FakeSuccessFactors(server, prefix="/acme", people=make_people(2))
    globex = FakeDarwinbox(server, prefix="/globex", people=make_people(3, start=10))

    assert len([r for page in fetch_all(acme.spec()) for r in page.records]) == 2
    assert len([r for page in fetch_all(globex.spec()) for r in page.records]) == 3
    assert {r.path for r in acme.requests} == {"/acme/odata/v2/User"}
    assert {r.path for r in globex.requests} == {"/globex/masterapi/employee"}
