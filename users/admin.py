"""The operations staff's door. Writes go through users.services, like every other door."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.template.response import TemplateResponse
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from plum.core.admin_base import GuardedModelAdmin, ReadOnlyAdmin, secret_page, staff_actor, titled
from plum.core.errors import DomainError, error_summary
from plum.core.scopes import ALL_SCOPES
from users import services
from users.commands import (
    ApiClientCreate,
    ApiClientTokenIssue,
    ApiClientUpdate,
    EmployeeDeactivate,
    EmployeeUpdate,
    OrganisationUpdate,
)
from users.models import ApiClient, BusinessUnit, CostCentre, Employee, Organisation

SCOPE_CHOICES = [(s, s) for s in ALL_SCOPES]
CODES = admin.AllValuesFieldListFilter

# The change lists need the whole of a 1400 px screen; breadcrumbs and the index lead where the sidebar did.
admin.site.enable_nav_sidebar = False

# django-oauth-toolkit registers its own admins: ours replaces the client's, and bearer tokens
# (stored by the toolkit as they are) are not shown to staff at all.
for _model in (ApiClient, AccessToken, RefreshToken, Grant, IDToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

# Django's own user and group admins get the same guard as ours against junk in the address bar.
for _model in (get_user_model(), Group):
    if admin.site.is_registered(_model):
        _base = type(admin.site.get_model_admin(_model))
        admin.site.unregister(_model)
        admin.site.register(_model, type(_base.__name__, (GuardedModelAdmin, _base), {}))


@admin.register(Organisation)
class OrganisationAdmin(GuardedModelAdmin):
    list_display = ("slug", "name", "is_active", "time_zone", "created_at")
    list_filter = ("is_active",)
    search_fields = ("slug", "name")
    fields = ("slug", "name", "is_active", "time_zone")

    def get_readonly_fields(self, request, obj=None):
        return ("slug",) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            command = OrganisationUpdate.parse(
                {"name": obj.name, "is_active": obj.is_active, "time_zone": obj.time_zone}
            )
            services.organisation_update(organisation=obj, command=command, actor=staff_actor(request, obj.pk))
        else:
            created, _ = services.organisation_ensure(slug=obj.slug, name=obj.name, actor=staff_actor(request, obj.pk))
            obj.pk = created.pk

    def has_delete_permission(self, request, obj=None):
        return False  # organisations own ledgers and history: deactivate instead


class ApiClientForm(forms.ModelForm):
    allowed_scopes = forms.MultipleChoiceField(choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ("organisation", "name", "allowed_scopes", "is_active")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("A client needs a name.")
        return name


@admin.register(ApiClient)
class ApiClientAdmin(GuardedModelAdmin):
    form = ApiClientForm
    list_display = ("name", "organisation", "client_id", "scope_list", "is_active", "created")
    list_filter = ("is_active", "organisation")
    search_fields = ("name", "client_id", "organisation__slug")
    actions = ("rotate_secret", "issue_scim_token")

    def get_readonly_fields(self, request, obj=None):
        return ("organisation", "client_id", "created") if obj else ()

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return " ".join(obj.allowed_scopes)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {"name": data["name"], "allowed_scopes": list(data["allowed_scopes"])}
        try:
            if change:
                command = ApiClientUpdate.parse({**fields, "is_active": data["is_active"]})
                services.api_client_update(client=obj, command=command, actor=staff_actor(request, obj.organisation_id))
            else:
                command = ApiClientCreate.parse(fields)
                organisation = data["organisation"]
                actor = staff_actor(request, organisation.id)
                issued = services.api_client_create(organisation=organisation, command=command, actor=actor)
                obj.pk = issued.client.pk
                request._issued_client = issued
        except DomainError as exc:
            messages.error(request, error_summary(exc))

    def response_add(self, request, obj, post_url_continue=None):
        issued = getattr(request, "_issued_client", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, issued, "API client created")

    @admin.action(description="Rotate the secret (revokes its tokens)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one client at a time.", messages.WARNING)
            return None
        client = queryset.get()
        issued = services.api_client_rotate_secret(client=client, actor=staff_actor(request, client.organisation_id))
        return self._secret_page(request, issued, "New secret issued")

    @admin.action(description="Issue a SCIM token for an identity provider (valid 365 days)", permissions=["change"])
    def issue_scim_token(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Issue a token to one client at a time.", messages.WARNING)
            return None
        client = queryset.get()
        try:
            issued = services.api_client_issue_token(
                client=client,
                command=ApiClientTokenIssue.parse({"scopes": ["scim"]}),
                actor=staff_actor(request, client.organisation_id),
            )
        except DomainError as exc:
            self.message_user(request, error_summary(exc), messages.ERROR)
            return None
        rows = [
            ("Client", str(client)),
            ("Scope", issued.scope),
            ("Expires", issued.expires.isoformat(timespec="seconds")),
        ]
        return secret_page(
            self, request, title="SCIM token issued", obj=client, secret=issued.token, rows=rows, label="Bearer token"
        )

    def _secret_page(self, request, issued, title):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "client": issued.client,
            "client_secret": issued.client_secret,
        }
        return TemplateResponse(request, "admin/users/apiclient/secret.html", context)  # admin pages are no-store


@admin.register(Employee)
class EmployeeAdmin(ReadOnlyAdmin):
    """HR systems own these records (sync, SCIM); staff look, filter and use the actions."""

    list_display = (
        "employee_id",
        "first_name",
        "last_name",
        "email",
        "status",
        "business_unit",
        "cost_centre",
        "country",
        "organisation",
    )
    list_filter = ("status", "organisation", "country", ("business_unit__code", titled("business unit", CODES)))
    list_filter += (("cost_centre__code", titled("cost centre", CODES)),)
    search_fields = ("employee_id", "email", "first_name", "last_name")
    list_select_related = ("organisation", "business_unit", "cost_centre")
    show_full_result_count = False
    actions = ("deactivate", "reactivate")

    def get_actions(self, request):
        # Actions are writes; offer them to staff who may change employees even though the form is read-only.
        actions = super().get_actions(request)
        if not request.user.has_perm("users.change_employee"):
            actions.pop("deactivate", None)
            actions.pop("reactivate", None)
        return actions

    @admin.action(description="Deactivate selected employees")
    def deactivate(self, request, queryset):
        for employee in queryset:
            command = EmployeeDeactivate.parse({"employee_id": employee.employee_id})
            services.employee_deactivate(actor=staff_actor(request, employee.organisation_id), command=command)
        self.message_user(request, f"Deactivated {queryset.count()} employees.")

    @admin.action(description="Reactivate selected employees")
    def reactivate(self, request, queryset):
        for employee in queryset:
            command = EmployeeUpdate.parse({"employee_id": employee.employee_id, "status": "active"})
            services.employee_update(actor=staff_actor(request, employee.organisation_id), command=command)
        self.message_user(request, f"Reactivated {queryset.count()} employees.")


@admin.register(BusinessUnit, CostCentre)
class DimensionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "organisation", "created_at")
    list_filter = ("organisation",)
    search_fields = ("code", "name")
