"""The base of every admin: bad URL parameters and selections are messages, never 500s.

Django's admin hands list-filter values (a NUL, year 0) and the ids of an action's selection ('junk')
straight to the database; these come from the address bar as much as from the admin's own links."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import DataError

from plum.core.fields import storable_value


class GuardedModelAdmin(admin.ModelAdmin):
    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except (DataError, ValueError, OverflowError) as exc:  # Django answers these with ?e=1
            raise IncorrectLookupParameters(exc) from exc

    def response_action(self, request, queryset):
        if not all(
            storable_value(self.model._meta.pk, value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ):
            self.message_user(request, "The selection holds something that is not a row's id.", messages.WARNING)
            return None
        return super().response_action(request, queryset)
