"""Stock claims take exactly what they ask for on the plans that broke them, and the stock reconciliation
finds codes issued to nobody. The statement of before (an UPDATE over an inline locking subquery) is kept
here as the control: on the same plans it claims every available code."""

import pytest
from django.db import connection
from django.utils import timezone

from plum.core.claims import ClaimOverrun, check_claim_shape
from plum.testing.plans import PLANS, force_plan, fresh_tables, stale_statistics
from points.tests.factories import make_programme, seed_employees, system
from vouchers import services
from vouchers.commands import CampaignCreate, VoucherOrderPlace
from vouchers.models import StockCode, Voucher
from vouchers.services import chunk, issuing
from vouchers.tests.expected import vouchers_state
from vouchers.tests.factories import add_stock, make_catalogue

pytestmark = pytest.mark.django_db
OLD_CLAIM_SQL = (
    "UPDATE vouchers_stockcode s SET status = 'issued' FROM (SELECT id FROM vouchers_stockcode"
    " WHERE product_id = %s AND denomination = %s AND status = 'available'"
    " AND (expires_at IS NULL OR expires_at > %s)"
    " ORDER BY expires_at NULLS LAST, id LIMIT %s FOR UPDATE SKIP LOCKED) c WHERE s.id = c.id"
    " RETURNING s.id"
)
FRESH_CODES = 20


def stock_on_a_broken_plan(tenant, plan: str):
    """A stock product whose statistics saw one code, then FRESH_CODES more, on the forced plan."""
    fresh_tables("vouchers_stockcode")
    catalogue = make_catalogue(tenant, stock_codes=1)
    stale_statistics("vouchers_stockcode")
    add_stock(tenant, catalogue.stock, [f"NEW-{n:03d}" for n in range(FRESH_CODES)])
    force_plan(plan)
    return catalogue.stock


def issued_codes(product) -> int:
    return StockCode.objects.filter(product=product, status=StockCode.Status.ISSUED).count()


def rows_claimed(sql: str, product, count: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, [product.pk, 25, timezone.now(), count])
        return len(cursor.fetchall())


@pytest.mark.parametrize("plan", PLANS)
def test_the_stock_claim_takes_exactly_what_it_asks_for(tenant, plan):
    product = stock_on_a_broken_plan(tenant, plan)
    assert rows_claimed(issuing.CLAIM_STOCK_SQL, product, 2) == 2
    assert issued_codes(product) == 2


@pytest.mark.parametrize("plan", PLANS)
def test_the_old_claim_takes_every_code_on_the_same_plans(tenant, plan):
    """The control: if this stopped failing, the plans above would no longer prove anything."""
    product = stock_on_a_broken_plan(tenant, plan)
    assert rows_claimed(OLD_CLAIM_SQL, product, 2) == 1 + FRESH_CODES
    assert issued_codes(product) == 1 + FRESH_CODES


def test_an_order_on_the_broken_plan_issues_its_quantity_and_leaves_the_rest(tenant):
    product = stock_on_a_broken_plan(tenant, "nested loops, no material")
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=10_000)
    placed = services.voucher_order_place(
        actor=system(tenant),
        command=VoucherOrderPlace.parse(
            {
                "order_id": "O1",
                "employee_id": "E1",
                "product_id": str(product.pk),
                "denomination": 25,
                "quantity": 3,
                "funding": "programme",
                "programme": "P1",
            }
        ),
    )
    assert Voucher.objects.filter(order=placed.order).count() == 3
    assert issued_codes(product) == 3
    assert services.stock_reconcile() == []


def test_a_campaign_on_the_broken_plan_leaves_no_code_issued_without_a_voucher(tenant):
    product = stock_on_a_broken_plan(tenant, "nested loops, no material")
    recipients = [f"E{n}" for n in range(4)]
    seed_employees(tenant, *recipients)
    make_programme(tenant, "P1", budget=10_000)
    data = {"campaign_id": "C1", "name": "Thanks", "product_id": str(product.pk), "denomination": 25}
    campaign = services.campaign_create(
        actor=system(tenant), command=CampaignCreate.parse(data | {"programme": "P1", "recipients": recipients})
    ).campaign
    services.campaign_process(campaign.pk)
    assert Voucher.objects.filter(recipient__campaign=campaign).count() == 4
    assert issued_codes(product) == 4
    assert services.stock_reconcile() == []


def test_a_claim_that_answers_too_many_rows_is_an_error_and_the_order_writes_nothing(tenant, monkeypatch):
    product = stock_on_a_broken_plan(tenant, "stale statistics")
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=10_000)
    monkeypatch.setattr(issuing, "CLAIM_STOCK_SQL", OLD_CLAIM_SQL.replace("RETURNING s.id", _RETURNING))
    monkeypatch.setattr("plum.core.claims.check_claim_shape", lambda sql: None)
    before = vouchers_state()
    data = {"order_id": "O1", "employee_id": "E1", "product_id": str(product.pk), "denomination": 25}
    with pytest.raises(ClaimOverrun, match="at most 2 rows answered 21"):
        services.voucher_order_place(
            actor=system(tenant),
            command=VoucherOrderPlace.parse(data | {"quantity": 2, "funding": "programme", "programme": "P1"}),
        )
    assert vouchers_state() == before


_RETURNING = "RETURNING s.id, s.code_ciphertext, s.pin_ciphertext, s.code_hash, s.code_last4, s.expires_at"


def test_the_inline_locking_subquery_is_refused_before_it_runs():
    with pytest.raises(ValueError, match="MATERIALIZED"):
        check_claim_shape(OLD_CLAIM_SQL)
    refused = [
        "UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t LIMIT 5 FOR UPDATE SKIP LOCKED)",
        "UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t LIMIT 5 FOR NO KEY UPDATE SKIP LOCKED)",
        "WITH a AS (SELECT 1) UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t LIMIT 5 FOR UPDATE SKIP LOCKED)",
        "WITH c AS MATERIALIZED (SELECT id FROM t LIMIT 5 FOR UPDATE) UPDATE t SET a = 1 FROM c"
        " WHERE t.id IN (SELECT id FROM t LIMIT 5 FOR SHARE)",
        "-- a comment\nDELETE FROM t WHERE id IN (SELECT id FROM t LIMIT 5 FOR KEY SHARE SKIP LOCKED)",
    ]
    for sql in refused:
        with pytest.raises(ValueError, match="MATERIALIZED"):
            check_claim_shape(sql)
    check_claim_shape(issuing.CLAIM_STOCK_SQL)
    check_claim_shape("SELECT id FROM t ORDER BY id LIMIT 5 FOR UPDATE SKIP LOCKED")
    check_claim_shape(chunk.CLAIM_SQL)


def test_reconciliation_finds_a_code_issued_without_a_voucher_and_a_voucher_whose_code_is_available(tenant):
    catalogue = make_catalogue(tenant, stock_codes=3)
    codes = list(StockCode.objects.filter(product=catalogue.stock).order_by("id"))
    assert services.stock_reconcile() == []
    StockCode.objects.filter(pk=codes[1].pk).update(status=StockCode.Status.ISSUED)  # what the old claim left
    found = services.stock_reconcile()
    assert [(m.stock_code_id, m.status, m.live_vouchers) for m in found] == [(codes[1].pk, "issued", 0)]
    assert (found[0].organisation_id, found[0].product_id, found[0].denomination) == (
        tenant.organisation.id,
        catalogue.stock.pk,
        25,
    )
