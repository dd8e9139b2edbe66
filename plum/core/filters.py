"""Filters shared by the apps' FilterSets (REST query parameters and GraphQL arguments alike)."""

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from plum.core.timefmt import as_utc


class UtcDateTimeField(IsoDateTimeField):
    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        utc = as_utc(moment)
        if utc is None:
            raise forms.ValidationError("Enter a time between the years 1 and 9999.", code="invalid")
        return utc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, compared in UTC: any offset Python reads, never one PostgreSQL refuses."""

    field_class = UtcDateTimeField
