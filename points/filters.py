import django_filters

from plum.core.filters import UtcDateTimeFilter
from points.models import PointsRequest


class PointsRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PointsRequest.Status.choices)
    employee_id = django_filters.CharFilter(field_name="employee__employee_id")
    programme = django_filters.CharFilter(field_name="programme__code")
    source = django_filters.CharFilter()
    created_since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = PointsRequest
        fields = ["status", "employee_id", "programme", "source", "created_since"]
