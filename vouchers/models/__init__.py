from vouchers.models.campaigns import Campaign, CampaignRecipient
from vouchers.models.catalogue import Brand, Product, StockCode, StockImport
from vouchers.models.vouchers import Voucher, VoucherOrder, VoucherReveal

__all__ = [
    "Brand",
    "Campaign",
    "CampaignRecipient",
    "Product",
    "StockCode",
    "StockImport",
    "Voucher",
    "VoucherOrder",
    "VoucherReveal",
]
