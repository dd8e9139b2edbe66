import django_filters

from plum.core.filters import UtcDateTimeFilter
from vouchers.models import Product, Voucher


class ProductFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(lookup_expr="iexact")
    currency = django_filters.CharFilter(lookup_expr="iexact")
    brand = django_filters.CharFilter(field_name="brand__name", lookup_expr="iexact")
    category = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Product
        fields = ["country", "currency", "brand", "category"]


class VoucherFilter(django_filters.FilterSet):
    employee_id = django_filters.CharFilter(field_name="employee__employee_id")
    status = django_filters.ChoiceFilter(choices=Voucher.Status.choices)
    product_id = django_filters.UUIDFilter(field_name="product_id")
    campaign = django_filters.CharFilter(field_name="recipient__campaign__campaign_id")
    expires_before = UtcDateTimeFilter(field_name="expires_at", lookup_expr="lt")

    class Meta:
        model = Voucher
        fields = ["employee_id", "status", "product_id", "campaign", "expires_before"]
