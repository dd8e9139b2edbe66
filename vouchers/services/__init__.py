"""Every write of the vouchers app. Doors (REST, GraphQL, admin, tasks, commands) only call these."""

from plum.core.jobs import ChunkFailed
from vouchers.services.campaigns import CampaignCreated, campaign_create
from vouchers.services.catalogue import (
    PRODUCT_EDITABLE,
    brand_create,
    brand_rename,
    product_create,
    product_update,
    stock_import,
)
from vouchers.services.jobs import campaign_process, campaign_retry, campaigns_sweep
from vouchers.services.lifecycle import voucher_cancel, voucher_redeem, voucher_reveal, vouchers_expire
from vouchers.services.orders import Placed, voucher_order_place
from vouchers.services.reconcile import StockMismatch, stock_reconcile

__all__ = [
    "PRODUCT_EDITABLE",
    "CampaignCreated",
    "ChunkFailed",
    "Placed",
    "StockMismatch",
    "brand_create",
    "brand_rename",
    "campaign_create",
    "campaign_process",
    "campaign_retry",
    "campaigns_sweep",
    "product_create",
    "product_update",
    "stock_import",
    "stock_reconcile",
    "voucher_cancel",
    "voucher_order_place",
    "voucher_redeem",
    "voucher_reveal",
    "vouchers_expire",
]
