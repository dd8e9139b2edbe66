"""Input Python accepts but PostgreSQL cannot store or Python cannot read back is a 400, never a 500:
NUL and unpaired surrogates, time offsets beyond ±15:59 or with seconds, UTC years past 9999, forged
cursor positions, digits int() refuses, fields past the csv module's limit."""

import base64
from urllib.parse import urlencode

import pytest

from points.tests.factories import system
from tests.conftest import graphql
from tests.support import assert_problem
from vouchers import services
from vouchers.commands import StockFileImport
from vouchers.tests.expected import vouchers_nothing_changes, vouchers_state
from vouchers.tests.factories import open_shop, order_body

pytestmark = pytest.mark.django_db

BAD_TIMES = ["2999-01-01T00:00:00+16:00", "2999-01-01T00:00:00-23:59", "2999-01-01T00:00:00+05:30:15.5"]
PAST_9999 = "9999-12-31T23:59:59-14:00"  # 10000-01-01 in UTC
HEADER = "code,pin,denomination,expires_at\n"


def stock_file(product_id, content: bytes) -> StockFileImport:
    return StockFileImport.parse({"product_id": product_id, "content": content})


@pytest.fixture
def shop(tenant):
    return open_shop(tenant, stock_codes=2)


def campaign(shop, **fields) -> dict:
    return {
        "campaign_id": "C-1",
        "name": "Spring",
        "product_id": str(shop.catalogue.generated.pk),
        "denomination": 10,
        "programme": "P1",
        "recipients": ["E1"],
        **fields,
    }


def cursor(position: str) -> str:
    return base64.b64encode(urlencode({"o": 0, "p": position}).encode()).decode()


@pytest.mark.parametrize("programme", ["\x00", "P\ud800"])
def test_an_order_paid_by_a_programme_named_with_unstorable_text(api, shop, programme):
    body = order_body(product=shop.catalogue.stock, funding="programme", programme=programme)
    with vouchers_nothing_changes():
        response = api.post("/api/v1/vouchers/orders/", body, format="json")
    assert_problem(response, 400, "validation_error", [("programme", "invalid")])


def test_redeeming_a_code_with_an_unpaired_surrogate(api, shop):
    with vouchers_nothing_changes():
        response = api.post("/api/v1/vouchers/redeem/", '{"code": "AB\\ud800CD"}', content_type="application/json")
    assert_problem(response, 400, "validation_error", [("code", "invalid")])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Spring \ud800"}, "name"),
        ({"programme": "P\ud800"}, "programme"),
        ({"recipients": ["E\ud800"]}, "recipients[0]"),
        ({"expires_at": PAST_9999}, "expires_at"),
    ],
)
def test_a_campaign_with_unstorable_text_or_times(api, shop, fields, field):
    with vouchers_nothing_changes():
        response = api.post("/api/v1/vouchers/campaigns/", campaign(shop, **fields), format="json")
    assert response.status_code == 400, response.content
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_campaign_expiring_at_an_offset_postgresql_refuses_is_stored_in_utc(api, shop):
    response = api.post("/api/v1/vouchers/campaigns/", campaign(shop, expires_at=BAD_TIMES[0]), format="json")
    assert response.status_code == 202, response.content
    assert response.json()["expires_at"] == "2998-12-31T08:00:00Z"
    assert api.get("/api/v1/vouchers/campaigns/").status_code == 200


@pytest.mark.parametrize(
    ("moment", "rest", "graphql_status"),
    [
        (BAD_TIMES[0], 200, 200),  # offsets PostgreSQL refuses are compared in UTC
        (BAD_TIMES[1], 200, 200),
        (BAD_TIMES[2], 200, 400),  # GraphQL's DateTime does not read an offset with seconds
        (PAST_9999, 400, 200),
    ],
)
def test_time_filters_take_any_offset_they_read_and_refuse_what_python_cannot_hold(
    api, shop, moment, rest, graphql_status
):
    response = api.get("/api/v1/vouchers/?" + urlencode({"expires_before": moment}))
    status, body = graphql(api, "query($v: DateTime) { vouchers(expiresBefore: $v) { totalCount } }", {"v": moment})
    if rest == 400:
        assert_problem(response, 400, "validation_error", [("expires_before", "invalid")])
    else:
        assert (response.status_code, response.json()["results"]) == (200, [])
    assert status == graphql_status
    if moment == PAST_9999:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["validation_error"]
    elif graphql_status == 200:
        assert body == {"data": {"vouchers": {"totalCount": 0}}}


@pytest.mark.parametrize(
    ("path", "position"),
    [
        ("/api/v1/vouchers/", "garbage"),
        ("/api/v1/vouchers/", "2024-01-01T00:00:00+16:00"),
        ("/api/v1/vouchers/", "2024-01-01T00:00:00"),
        ("/api/v1/vouchers/orders/", "0001-01-01T00:00:00+14:00"),
        ("/api/v1/employees/", "E\x00"),
        ("/api/v1/points/requests/", "2024-01-01T00:00:00+05:30:15"),
    ],
)
def test_a_forged_cursor_position_is_a_bad_cursor(api, shop, path, position):
    response = api.get(f"{path}?" + urlencode({"cursor": cursor(position)}))
    assert_problem(response, 400, "validation_error", [("cursor", "invalid")])


def test_a_forged_cursor_on_an_integer_ordering(api, shop):
    created = api.post("/api/v1/vouchers/campaigns/", campaign(shop), format="json").json()
    path = f"/api/v1/vouchers/campaigns/{created['id']}/recipients/"
    assert api.get(path).status_code == 200
    for position in ("garbage", str(2**70)):
        assert_problem(api.get(f"{path}?cursor={cursor(position)}"), 400, "validation_error", [("cursor", "invalid")])


@pytest.mark.parametrize(
    "query",
    [
        '{ voucherOrders(orderId: "\\u0000") { totalCount } }',
        '{ voucherOrders(employeeId: "E\\u0000") { totalCount } }',
        '{ campaigns(campaignId: "\\u0000") { totalCount } }',
        '{ employee(employeeId: "E\\u0000") { employeeId } }',
    ],
)
def test_query_arguments_with_unstorable_text_are_a_bad_request(api, shop, query):
    status, body = graphql(api, query)
    assert status == 200
    assert [e["extensions"]["code"] for e in body["errors"]] == ["bad_request"]


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        ("AB\x00CD,,25,", "code", "invalid"),
        ("ABCDEFGH,1\x002,25,", "pin", "invalid"),
        ("ABCDEFGH,,²,", "denomination", "denomination_not_offered"),
        ("ABCDEFGH,,%s," % ("9" * 5000), "denomination", "denomination_not_offered"),
        ("ABCDEFGH,,25,2999-01-01T00:00:00+05:30:15.5", None, None),  # Python reads it: stored in UTC
        (f"ABCDEFGH,,25,{PAST_9999}", "expires_at", "invalid"),
    ],
)
def test_stock_rows_python_or_postgresql_cannot_take(shop, row, field, code):
    before = vouchers_state()["stock"]
    product = shop.catalogue.stock
    record = services.stock_import(actor=system(shop.tenant), command=stock_file(product.pk, (HEADER + row).encode()))
    if field is None:
        assert (record.status, record.imported) == ("imported", 1)
        assert vouchers_state()["stock"][-1]["expires_at"].isoformat() == "2998-12-31T18:29:44.500000+00:00"
    else:
        assert (record.status, [(e["field"], e["code"]) for e in record.errors]) == ("rejected", [(field, code)])
        assert vouchers_state()["stock"] == before


@pytest.mark.parametrize(
    "content",
    [(HEADER + "%s,,25,\n" % ("A" * 200_000)).encode(), b"code,pin,denomination,expires_at\x00\n"],
    ids=["field-past-the-csv-limit", "nul-in-the-header"],
)
def test_stock_files_the_csv_module_refuses_are_reported(shop, content):
    record = services.stock_import(actor=system(shop.tenant), command=stock_file(shop.catalogue.stock.pk, content))
    assert (record.status, [e["code"] for e in record.errors]) == ("rejected", ["invalid_stock_file"])
