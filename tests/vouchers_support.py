"""Moved to vouchers/tests/factories.py and vouchers/tests/expected.py; the tests outside the vouchers app
that still import it from here get the same names (switch the import, then delete this module)."""

from vouchers.tests.expected import vouchers_nothing_changes, vouchers_state
from vouchers.tests.factories import (
    CAMPAIGNS,
    ORDERS,
    PRODUCTS,
    REDEEM,
    VOUCHERS,
    Catalogue,
    add_stock,
    fund_wallet,
    make_catalogue,
    open_shop,
    order,
    order_body,
    stock_csv,
)

__all__ = [
    "CAMPAIGNS",
    "ORDERS",
    "PRODUCTS",
    "REDEEM",
    "VOUCHERS",
    "Catalogue",
    "add_stock",
    "fund_wallet",
    "make_catalogue",
    "open_shop",
    "order",
    "order_body",
    "stock_csv",
    "vouchers_nothing_changes",
    "vouchers_state",
]
