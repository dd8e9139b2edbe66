import django_filters

from plum.core.filters import UtcDateTimeFilter
from users.models import Employee


class EmployeeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Employee.Status.choices)
    business_unit = django_filters.CharFilter(field_name="business_unit__code")
    cost_centre = django_filters.CharFilter(field_name="cost_centre__code")
    country = django_filters.CharFilter(method="filter_country")
    department = django_filters.CharFilter()
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Employee
        fields = ["status", "business_unit", "cost_centre", "country", "department", "updated_since", "email"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())
