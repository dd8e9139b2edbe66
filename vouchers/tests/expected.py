"""What the vouchers doors must answer, built field by field from the rows (not through the selectors),
and snapshots of every row a vouchers write may touch."""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from plum.core.scopes import Scope
from points.models import Account, LedgerEntry, LedgerTransaction, Lot
from points.tests.factories import iso
from tests.support import database_state
from vouchers.models import Campaign, CampaignRecipient, Product, StockCode, StockImport, Voucher, VoucherOrder

READ_ONLY = (Scope.VOUCHERS_READ,)


def vouchers_state() -> dict:
    """Every row a voucher write may touch, in every organisation, with the ledger and the outbox."""
    return {
        **database_state(),
        "orders": list(VoucherOrder.objects.order_by("id").values()),
        "vouchers": list(Voucher.objects.order_by("id").values()),
        "stock": list(StockCode.objects.order_by("id").values()),
        "imports": list(StockImport.objects.order_by("id").values()),
        "campaigns": list(Campaign.objects.order_by("id").values()),
        "recipients": list(CampaignRecipient.objects.order_by("id").values()),
        "accounts": list(Account.objects.order_by("id").values()),
        "transactions": list(LedgerTransaction.objects.order_by("id").values()),
        "entries": list(LedgerEntry.objects.order_by("id").values()),
        "lots": list(Lot.objects.order_by("id").values()),
    }


@contextmanager
def vouchers_nothing_changes():
    before = vouchers_state()
    yield
    assert vouchers_state() == before


def gid(obj) -> str:
    type_name = {Product: "VoucherProduct", Voucher: "Voucher", VoucherOrder: "VoucherOrder", Campaign: "Campaign"}
    return to_global_id(type_name[type(obj)], str(obj.pk))


def nodes(body: dict, field: str) -> list[dict]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"][field]["edges"]]


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
