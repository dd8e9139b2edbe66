"""Every write of the vouchers app. Doors (REST, GraphQL, admin, tasks, commands) only call these, each
with its typed command (vouchers.commands)."""

from plum.core.jobs import ChunkFailed
from vouchers.commands import PRODUCT_EDITABLE
from vouchers.services.campaigns import CampaignCreated, campaign_create
from vouchers.services.catalogue import brand_create, brand_rename, product_create, product_update
from vouchers.services.jobs import campaign_process, campaign_retry, campaigns_sweep
from vouchers.services.orders import Placed, voucher_order_place
from vouchers.services.reconcile import StockMismatch, stock_reconcile
from vouchers.services.stock import stock_import
from vouchers.services.vouchers import voucher_cancel, voucher_redeem, voucher_reveal, vouchers_expire

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
