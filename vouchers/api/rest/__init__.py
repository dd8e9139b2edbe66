"""REST door of the vouchers app: products, orders, vouchers and campaigns."""

from vouchers.api.rest.views import CampaignViewSet, ProductViewSet, VoucherOrderViewSet, VoucherViewSet


def register(router) -> None:
    # The fixed prefixes first: "vouchers/{id}" would otherwise take products, orders and campaigns.
    router.register("vouchers/products", ProductViewSet, basename="voucher-product")
    router.register("vouchers/orders", VoucherOrderViewSet, basename="voucher-order")
    router.register("vouchers/campaigns", CampaignViewSet, basename="voucher-campaign")
    router.register("vouchers", VoucherViewSet, basename="voucher")
