"""What every app's admin shares: the guarded base (bad URL parameters and selections are messages,
never 500s), a read-only base, the staff actor, amount columns and the page a new secret is shown on once.

Django's admin hands list-filter values (a NUL, year 0) and the ids of an action's selection ('junk')
straight to the database; these come from the address bar as much as from the admin's own links."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import DataError
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import reverse

from plum.core.actor import Actor
from plum.core.fields import storable_value


def staff_actor(request, organisation_id) -> Actor:
    """The signed-in staff member acting on one organisation's data (services and audit see who)."""
    return Actor.staff(organisation_id, request.user.pk, label=f"staff:{request.user.get_username()}")


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


class ReadOnlyAdmin(GuardedModelAdmin):
    """Rows that services write (sync, ledgers, jobs): staff look, filter and use the actions."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def grouped(value: int) -> str:
    """A whole number with thousands separators (1,250,000), so staff read amounts at a glance."""
    return f"{value:,}"


def amount(field: str, description: str):
    """An admin column or read-only field showing the model's `field` grouped, and sorting by it.

    Assign it on the model admin (`points_shown = amount("points", "Points")`) and name it in list_display,
    fields or readonly_fields: Django's own rendering of a number has no separators unless the whole site
    turns them on, ids and row numbers included."""

    @admin.display(description=description, ordering=field)
    def show(model_admin, obj):
        value = getattr(obj, field)
        return model_admin.get_empty_value_display() if value is None else grouped(value)

    return show


def titled(title: str, base: type[admin.FieldListFilter] = admin.ChoicesFieldListFilter) -> type[admin.FieldListFilter]:
    """A list filter with its own title, for two filters that would otherwise both read "By kind" or "By code"."""

    class Titled(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


SECRET_PAGE = engines["django"].from_string(
    """{% extends "admin/base_site.html" %}
{% block content %}
<p>Copy the {{ label|lower }} now and hand it to its owner: it cannot be shown again.
{% if grace %}The previous secret keeps working too until {{ grace }}.{% endif %}</p>
<table>
  {% for label, value in rows %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}
  <tr><th>{{ label }}</th><td><code id="signing-secret">{{ secret }}</code></td></tr>
</table>
<p><a href="{{ back_url }}">Back to {{ back_name }}</a></p>
{% endblock %}"""
)


def secret_page(
    model_admin, request, *, title: str, obj, secret: str, rows: list, grace=None, label: str = "Signing secret"
):
    """A secret shown once, on a page of its own: never in a message (Django's message cookie would carry it)
    or the session. Admin pages are no-store."""
    meta = obj._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "rows": rows,
        "secret": secret,
        "label": label,
        "grace": grace,
        "back_url": reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]),
        "back_name": f"the {meta.verbose_name}",
    }
    return TemplateResponse(request, SECRET_PAGE, context)
