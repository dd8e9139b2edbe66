"""Helpers for the vouchers REST tests (no tests here): a shop with stock, funds and employees, and the
documents the API must answer, built field by field from the rows (not through the selectors)."""

from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

from plum.core.scopes import Scope
from tests.points_support import iso, make_programme, seed_employees
from tests.vouchers_support import Catalogue, fund_wallet, make_catalogue
from vouchers.models import Campaign, Voucher, VoucherOrder

READ_ONLY = (Scope.VOUCHERS_READ,)


@dataclass
class Shop:
    tenant: object
    catalogue: Catalogue


def open_shop(tenant, *, stock_codes: int = 3, wallet: int = 1_000, budget: int = 10_000) -> Shop:
    """E1 active with `wallet` points, E2 active with none, E3 inactive; P1 with `budget` points;
    the stock product (EUR 25/50, 10 points a unit) holds `stock_codes` codes of 25 with PIN 1234."""
    seed_employees(tenant, "E1", "E2")
    seed_employees(tenant, "E3", status="inactive")
    catalogue = make_catalogue(tenant, stock_codes=stock_codes)
    if wallet:
        fund_wallet(tenant, "E1", wallet)
    make_programme(tenant, "P1", budget=budget)
    return Shop(tenant, catalogue)


def masked(voucher: Voucher) -> str:
    return "••••" + voucher.code_last4


def voucher_expected(voucher: Voucher, *, code: str | None = None, pin: str | None = None) -> dict:
    """The voucher as the API shows it: masked unless the plain code (and PIN) are given."""
    voucher.refresh_from_db()
    has_pin = voucher.pin_ciphertext is not None
    return {
        "id": str(voucher.id),
        "order_id": voucher.order.order_id if voucher.order_id else None,
        "campaign_id": voucher.recipient.campaign.campaign_id if voucher.recipient_id else None,
        "employee_id": voucher.employee.employee_id,
        "product_id": str(voucher.product_id),
        "brand": voucher.product.brand.name,
        "product": voucher.product.name,
        "denomination": voucher.denomination,
        "currency": voucher.product.currency,
        "points": voucher.points,
        "funding": voucher.funding,
        "programme": voucher.programme.code if voucher.programme_id else None,
        "status": voucher.status,
        "code": code or masked(voucher),
        "pin": (pin or "••••") if has_pin else None,
        "issued_at": iso(voucher.issued_at),
        "expires_at": iso(voucher.expires_at),
        "redeemed_at": iso(voucher.redeemed_at),
        "cancelled_at": iso(voucher.cancelled_at),
        "expired_at": iso(voucher.expired_at),
    }


def order_expected(order: VoucherOrder, vouchers: list[dict]) -> dict:
    order.refresh_from_db()
    return {
        "id": str(order.id),
        "order_id": order.order_id,
        "employee_id": order.employee.employee_id,
        "product_id": str(order.product_id),
        "denomination": order.denomination,
        "quantity": order.quantity,
        "funding": order.funding,
        "programme": order.programme.code if order.programme_id else None,
        "points": order.points,
        "transaction_id": str(order.transaction_id) if order.transaction_id else None,
        "created_at": iso(order.created_at),
        "vouchers": vouchers,
    }


def campaign_expected(campaign: Campaign) -> dict:
    campaign.refresh_from_db()
    return {
        "id": str(campaign.id),
        "campaign_id": campaign.campaign_id,
        "name": campaign.name,
        "product_id": str(campaign.product_id),
        "denomination": campaign.denomination,
        "programme": campaign.programme.code,
        "status": campaign.status,
        "total": campaign.total,
        "processed": campaign.processed,
        "issued": campaign.issued,
        "out_of_stock": campaign.out_of_stock,
        "employee_inactive": campaign.employee_inactive,
        "budget_exhausted": campaign.budget_exhausted,
        "points_drawn": campaign.points_drawn,
        "expires_at": iso(campaign.expires_at),
        "last_error": campaign.last_error,
        "created_at": iso(campaign.created_at),
        "started_at": iso(campaign.started_at),
        "completed_at": iso(campaign.completed_at),
    }


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def query_count(api, url: str) -> int:
    """How many queries one GET of `url` runs (it must answer 200)."""
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)
