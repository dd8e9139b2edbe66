"""Reads of the points app, always scoped to the caller's organisation (operations staff's `*_admin_*`
reads excepted), one module per entity."""

from points.selectors.batches import (
    batch_admin_get,
    batch_document,
    batch_get,
    batch_item_list,
    batch_items,
    batch_list,
    batch_receipt,
    item_document,
    item_error,
)
from points.selectors.programmes import (
    programme_admin_list,
    programme_codes_named,
    programme_document,
    programme_get,
    programme_list,
)
from points.selectors.requests import points_request_document, points_request_get, points_request_list
from points.selectors.uploads import upload_document, upload_get
from points.selectors.wallets import (
    EXPIRING_WITHIN,
    wallet_account,
    wallet_documents,
    wallet_get,
    wallet_line_document,
    wallet_lines,
)

__all__ = [
    "EXPIRING_WITHIN",
    "batch_admin_get",
    "batch_document",
    "batch_get",
    "batch_item_list",
    "batch_items",
    "batch_list",
    "batch_receipt",
    "item_document",
    "item_error",
    "points_request_document",
    "points_request_get",
    "points_request_list",
    "programme_admin_list",
    "programme_codes_named",
    "programme_document",
    "programme_get",
    "programme_list",
    "upload_document",
    "upload_get",
    "wallet_account",
    "wallet_documents",
    "wallet_get",
    "wallet_line_document",
    "wallet_lines",
]
