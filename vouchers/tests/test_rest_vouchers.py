"""Issued vouchers over REST: list and detail (masked), reveal (scoped and recorded), cancel, redeem."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plum.core.scopes import Scope
from points.tests.factories import balance, budget, iso
from tests.support import assert_problem
from vouchers.models import StockCode, Voucher, VoucherReveal
from vouchers.tests.expected import READ_ONLY, query_count, results, voucher_expected, vouchers_nothing_changes
from vouchers.tests.factories import REDEEM, VOUCHERS, open_shop, order

pytestmark = pytest.mark.django_db
REVEAL_SCOPES = (Scope.VOUCHERS_READ, Scope.VOUCHERS_REVEAL)


@pytest.fixture
def issued(tenant):
    """acme: O1 two stock vouchers for E1 (points, codes SKY-acme-00000/1, PIN 1234), O2 one generated
    voucher for E2 (programme P1). Answers {order_id: [vouchers, oldest first]} and the plain codes."""
    shop = open_shop(tenant)
    first = order(tenant, order_id="O1", product=shop.catalogue.stock, quantity=2)
    second = order(
        tenant, order_id="O2", employee_id="E2", product=shop.catalogue.generated, denomination=10,
        funding="programme", programme="P1",
    )  # fmt: skip
    return {
        "O1": first.vouchers,
        "O2": second.vouchers,
        "codes": [v["code"] for v in first.document["vouchers"] + second.document["vouchers"]],
        "shop": shop,
    }


def url(voucher: Voucher, suffix: str = "") -> str:
    return f"{VOUCHERS}{voucher.id}/{suffix}"


def test_vouchers_are_listed_newest_first_and_masked(api, issued):
    stock_first, stock_second = issued["O1"]
    [generated] = issued["O2"]

    listed = results(api.get(VOUCHERS))

    assert listed == [voucher_expected(v) for v in (generated, stock_second, stock_first)]
    assert listed[2] == {
        "id": str(stock_first.id),
        "order_id": "O1",
        "campaign_id": None,
        "employee_id": "E1",
        "product_id": str(issued["shop"].catalogue.stock.id),
        "brand": "Skyway",
        "product": "Travel credit",
        "denomination": 25,
        "currency": "EUR",
        "points": 250,
        "funding": "points",
        "programme": None,
        "status": "issued",
        "code": "••••0000",
        "pin": "••••",
        "issued_at": iso(stock_first.issued_at),
        "expires_at": iso(stock_first.expires_at),
        "redeemed_at": None,
        "cancelled_at": None,
        "expired_at": None,
    }
    assert (listed[0]["programme"], listed[0]["pin"]) == ("P1", None)
    assert not any(code in str(listed) for code in issued["codes"])


def test_the_voucher_list_runs_the_same_queries_for_one_voucher_or_many(api, issued):
    one = query_count(api, f"{VOUCHERS}?page_size=1")
    many = query_count(api, VOUCHERS)
    assert len(results(api.get(VOUCHERS))) == 3
    assert many == one


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"employee_id": "E1"}, ["O1", "O1"]),
        ({"employee_id": "E9"}, []),
        ({"status": "redeemed"}, ["O1"]),
        ({"product_id": "generated"}, ["O2"]),
        ({"campaign": "C1"}, []),
        ({"expires_before": "2999-01-01T00:00:00Z"}, ["O2", "O1", "O1"]),
        ({"expires_before": "2000-01-01T00:00:00Z"}, []),
    ],
)
def test_vouchers_filter_by_employee_status_product_campaign_and_expiry(api, tenant, issued, filters, expected):
    Voucher.objects.filter(pk=issued["O1"][0].pk).update(status="redeemed", redeemed_at=timezone.now())
    if filters.get("product_id") == "generated":
        filters = {"product_id": str(issued["shop"].catalogue.generated.id)}
    assert [v["order_id"] for v in results(api.get(VOUCHERS, filters))] == expected


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"product_id": "x"}, "product_id"),
        ({"expires_before": "soon"}, "expires_before"),
    ],
)
def test_a_bad_voucher_filter_answers_400(api, issued, filters, field):
    assert_problem(api.get(VOUCHERS, filters), 400, "validation_error", [(field, "invalid")])


def test_another_organisations_vouchers_are_never_listed_nor_found(api, issued, other_tenant):
    shop = open_shop(other_tenant)
    [theirs] = order(other_tenant, product=shop.catalogue.stock).vouchers

    assert [v["id"] for v in results(api.get(VOUCHERS))] == [str(v.id) for v in (*issued["O2"], *issued["O1"][::-1])]
    with vouchers_nothing_changes():
        assert_problem(api.get(url(theirs)), 404, "voucher_not_found")
        assert_problem(api.get(url(theirs), {"reveal": "true"}), 404, "voucher_not_found")
        assert_problem(api.post(url(theirs, "cancel/")), 404, "voucher_not_found")
    assert not VoucherReveal.objects.exists()


def test_the_detail_is_masked_and_reveal_false_changes_nothing(api, issued):
    voucher = issued["O1"][0]
    with vouchers_nothing_changes():
        plain = api.get(url(voucher))
        explicit = api.get(url(voucher), {"reveal": "false"})
    assert plain.status_code == explicit.status_code == 200
    assert plain.json() == explicit.json() == voucher_expected(voucher)
    assert not VoucherReveal.objects.exists()


def test_reveal_answers_the_code_in_full_and_records_who_saw_it(tenant, issued):
    voucher = issued["O1"][1]

    response = tenant.api(REVEAL_SCOPES).get(url(voucher), {"reveal": "true"})

    assert response.status_code == 200, response.content
    assert response.json() == voucher_expected(voucher, code="SKY-acme-00001", pin="1234")
    [reveal] = VoucherReveal.objects.all()
    assert (reveal.voucher_id, reveal.organisation_id) == (voucher.id, tenant.organisation.id)
    assert (reveal.revealed_by, reveal.actor_kind, reveal.client_id, reveal.user_id, reveal.reason) == (
        f"client:{tenant.client.client_id}",
        "api_client",
        tenant.client.pk,
        None,
        "reveal",
    )


@pytest.mark.parametrize("scopes", [READ_ONLY, (Scope.VOUCHERS_REVEAL,)], ids=["read-only", "reveal-only"])
def test_reveal_needs_both_vouchers_read_and_vouchers_reveal(tenant, issued, scopes):
    with vouchers_nothing_changes():
        response = tenant.api(scopes).get(url(issued["O1"][0]), {"reveal": "true"})
    body = assert_problem(response, 403, "insufficient_scope")
    missing = {READ_ONLY: "vouchers:reveal", (Scope.VOUCHERS_REVEAL,): "vouchers:read"}[scopes]
    assert body["detail"] == f"The token lacks the scope {missing}."
    assert not VoucherReveal.objects.exists()


@pytest.mark.parametrize("value", ["yes", "1", "True", ""])
def test_reveal_takes_only_true_or_false(api, issued, value):
    with vouchers_nothing_changes():
        response = api.get(url(issued["O1"][0]), {"reveal": value})
    assert_problem(response, 400, "validation_error", [("reveal", "invalid")])


def test_an_unknown_voucher_id_answers_404(api, issued):
    assert_problem(api.get(f"{VOUCHERS}01890000-0000-7000-8000-000000000000/"), 404, "voucher_not_found")
    assert_problem(api.get(f"{VOUCHERS}nope/"), 404, "voucher_not_found")


def test_cancel_refunds_the_wallet_and_returns_the_code_to_stock(api, tenant, issued):
    voucher = issued["O1"][0]

    response = api.post(url(voucher, "cancel/"))

    assert response.status_code == 200, response.content
    assert response.json() == voucher_expected(voucher)
    assert (response.json()["status"], response.json()["cancelled_at"]) == ("cancelled", iso(voucher.cancelled_at))
    assert balance(tenant) == 1_000 - 250
    assert StockCode.objects.filter(organisation=tenant.organisation, status="available").count() == 2
    with vouchers_nothing_changes():
        again = api.post(url(voucher, "cancel/"))
    assert (again.status_code, again.json()) == (200, response.json())


def test_cancel_refunds_a_programme_funded_voucher_to_the_budget(api, tenant, issued):
    assert budget(tenant) == 10_000 - 120
    response = api.post(url(issued["O2"][0], "cancel/"))
    assert response.status_code == 200
    assert (response.json()["status"], budget(tenant)) == ("cancelled", 10_000)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"status": "redeemed", "redeemed_at": timezone.now()}, 409, "already_redeemed"),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, 422, "voucher_expired"),
    ],
)
def test_a_redeemed_or_expired_voucher_cannot_be_cancelled(api, issued, change, status, code):
    voucher = issued["O1"][0]
    Voucher.objects.filter(pk=voucher.pk).update(**change)
    with vouchers_nothing_changes():
        assert_problem(api.post(url(voucher, "cancel/")), status, code)


def test_cancel_takes_no_body_fields(api, issued):
    with vouchers_nothing_changes():
        response = api.post(url(issued["O1"][0], "cancel/"), {"reason": "x"}, format="json")
    assert_problem(response, 400, "validation_error", [("reason", "unknown_field")])


def test_redeem_answers_the_voucher_masked_and_only_once(api, issued):
    voucher = issued["O1"][1]

    response = api.post(REDEEM, {"code": " sky-ACME-00001 "}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == voucher_expected(voucher)
    assert (response.json()["status"], response.json()["code"]) == ("redeemed", "••••0001")
    assert response.json()["redeemed_at"] == iso(voucher.redeemed_at)
    with vouchers_nothing_changes():
        again = api.post(REDEEM, {"code": "SKY-acme-00001"}, format="json")
        cancel = api.post(url(voucher, "cancel/"))
    assert_problem(again, 409, "already_redeemed")
    assert_problem(cancel, 409, "already_redeemed")


def test_redeeming_an_expired_voucher_answers_422(api, issued):
    Voucher.objects.filter(pk=issued["O1"][0].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with vouchers_nothing_changes():
        assert_problem(api.post(REDEEM, {"code": "SKY-acme-00000"}, format="json"), 422, "voucher_expired")


def test_a_code_of_another_organisation_answers_exactly_like_an_unknown_code(api, issued, other_tenant):
    shop = open_shop(other_tenant)
    theirs = order(other_tenant, product=shop.catalogue.stock).document["vouchers"][0]["code"]
    assert theirs == "SKY-globex-00000"
    with vouchers_nothing_changes():
        foreign = api.post(REDEEM, {"code": theirs}, format="json")
        unknown = api.post(REDEEM, {"code": "SKY-nobody-00000"}, format="json")
    assert_problem(foreign, 404, "voucher_not_found")
    assert (foreign.json(), same_but_request_id(foreign)) == (unknown.json(), same_but_request_id(unknown))


def same_but_request_id(response) -> dict:
    """Every header but X-Request-ID, which each response has its own of."""
    return {name: value for name, value in response.headers.items() if name != "X-Request-ID"}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, [("code", "invalid")]),
        ({"code": ""}, [("code", "invalid")]),
        ({"code": 12345}, [("code", "invalid")]),
        ({"code": "x" * 257}, [("code", "invalid")]),
        ({"code": "SKY-acme-00000", "pin": "1234"}, [("pin", "unknown_field")]),
    ],
)
def test_a_malformed_redeem_answers_400(api, issued, body, errors):
    with vouchers_nothing_changes():
        assert_problem(api.post(REDEEM, body, format="json"), 400, "validation_error", errors)


def test_cancel_and_redeem_need_vouchers_write(tenant, issued):
    reader = tenant.api(READ_ONLY)
    with vouchers_nothing_changes():
        assert_problem(reader.post(url(issued["O1"][0], "cancel/")), 403, "insufficient_scope")
        assert_problem(reader.post(REDEEM, {"code": "SKY-acme-00000"}, format="json"), 403, "insufficient_scope")
    assert_problem(tenant.api((Scope.VOUCHERS_WRITE,)).get(VOUCHERS), 403, "insufficient_scope")


def test_redeem_is_a_route_of_its_own_not_a_voucher_id(api, issued):
    assert_problem(api.get(REDEEM), 405, "method_not_allowed")
    assert_problem(api.post(f"{VOUCHERS}{issued['O1'][0].id}/"), 405, "method_not_allowed")
