"""Admin for programmes, points requests, accounts and reconciliation issues.

Writes go through points.services with a staff Actor of the object's organisation; the ledger itself
is append-only, so its tables are shown read-only.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.html import format_html

from plum.core.admin_base import GuardedModelAdmin, ReadOnlyAdmin, amount, grouped, staff_actor, titled
from plum.core.errors import DomainError
from plum.core.fields import storable_value
from points import selectors, services
from points.commands import (
    DEFAULT_MAX_POINTS_PER_REQUEST,
    DEFAULT_VALIDITY_DAYS,
    MAX_POINTS,
    MAX_VALIDITY_DAYS,
    PROGRAMME_CODE_PATTERN,
    PointsRequestDecisionCommand,
    ProgrammeCommand,
    ProgrammeTopupCommand,
)
from points.models import Account, LedgerEntry, PointsRequest, Programme, ReconciliationIssue

WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}")  # the service checks the range


def _failure(exc: DomainError) -> str:
    details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors if e["message"] != exc.message)
    return f"{exc.message} {details}".strip()


class ProgrammeForm(forms.ModelForm):
    code = forms.CharField(
        max_length=32, validators=[RegexValidator(PROGRAMME_CODE_PATTERN, ProgrammeCommand.invalid_messages["code"])]
    )
    approval_threshold = forms.IntegerField(min_value=1, max_value=MAX_POINTS, required=False)
    max_points_per_request = forms.IntegerField(
        min_value=1, max_value=MAX_POINTS, initial=DEFAULT_MAX_POINTS_PER_REQUEST
    )
    points_validity_days = forms.IntegerField(min_value=1, max_value=MAX_VALIDITY_DAYS, initial=DEFAULT_VALIDITY_DAYS)

    class Meta:
        model = Programme
        fields = (
            "organisation",
            "code",
            "name",
            "approval_threshold",
            "max_points_per_request",
            "points_validity_days",
            "status",
        )


# Extra fields of the action bar stay lenient: Django answers "No action selected" when the action form
# is invalid, so the action itself checks them and the service keeps the rules.
class TopupForm(ActionForm):
    points = forms.CharField(required=False, label="Points")


@admin.register(Programme)
class ProgrammeAdmin(GuardedModelAdmin):
    form = ProgrammeForm
    action_form = TopupForm
    actions = ("top_up",)
    list_display = ("code", "name", "organisation", "status", "budget_balance", "approval_threshold_shown")
    list_display += ("created_at",)
    list_filter = ("status", "organisation")
    search_fields = ("code", "name", "organisation__slug")
    # A saved programme is only looked at (the top-up action funds it): amounts are shown grouped.
    shown_fields = ("organisation", "code", "name", "status", "budget_balance", "approval_threshold_shown")
    shown_fields += ("max_points_shown", "points_validity_days", "created_at", "updated_at")

    budget_balance = amount("budget_balance", "Budget balance")
    approval_threshold_shown = amount("approval_threshold", "Approval threshold")
    max_points_shown = amount("max_points_per_request", "Max points per request")

    def get_fields(self, request, obj=None):
        return self.shown_fields if obj else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self.shown_fields if obj else ()  # an unsaved programme has no budget yet

    def get_queryset(self, request):
        return selectors.programme_admin_list()

    def has_change_permission(self, request, obj=None):
        # No hand edits of a programme; the change permission still grants the top-up action.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # a programme owns budget accounts and ledger history

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k != "organisation"}
        try:
            command = ProgrammeCommand.parse(data)
            created = services.programme_create(actor=staff_actor(request, obj.organisation_id), command=command)
        except DomainError as exc:
            request._plum_failed = exc
            return
        obj.pk = created.pk

    def log_addition(self, request, obj, message):
        if not getattr(request, "_plum_failed", None):
            super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        failed = getattr(request, "_plum_failed", None)
        if failed is None:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"The programme was not created: {_failure(failed)}", messages.ERROR)
        return self.response_post_save_add(request, obj)

    @admin.action(description="Top up the budget from the funding account", permissions=["change"])
    def top_up(self, request, queryset):
        raw = request.POST.get("points", "").strip()
        if not WHOLE_NUMBER.fullmatch(raw):  # int() would also take "1_000" and "٣"
            self.message_user(request, f"Enter the points to add (1 to {MAX_POINTS}).", messages.WARNING)
            return
        points = int(raw)
        for programme in queryset:
            try:
                memo = f"Admin top-up by {request.user.get_username()}"
                command = ProgrammeTopupCommand.parse({"programme": programme.code, "points": points, "memo": memo})
                services.programme_topup(actor=staff_actor(request, programme.organisation_id), command=command)
            except DomainError as exc:
                self.message_user(request, f"{programme.code}: {_failure(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{programme.code}: added {grouped(points)} points to the budget.")


class ProgrammeCodeFilter(admin.SimpleListFilter):
    """Requests by programme code (in every organisation that has it), each choice labelled with its name."""

    title = "programme"
    parameter_name = "programme__code"

    def lookups(self, request, model_admin):
        names: dict[str, list[str]] = {}
        for code, name in selectors.programme_codes_named():
            names.setdefault(code, []).append(name)
        return [(code, f"{code} — {' / '.join(each)}") for code, each in names.items()]

    def has_output(self):
        return bool(self.value()) or super().has_output()  # a code from the address bar filters even with no choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not storable_value(Programme._meta.get_field("code"), self.value()):  # a NUL from the address bar
            raise IncorrectLookupParameters(f"Not a programme code: {self.value()!r}")
        return queryset.filter(programme__code=self.value())


class DecisionForm(ActionForm):
    note = forms.CharField(required=False, label="Note")


@admin.register(PointsRequest)
class PointsRequestAdmin(ReadOnlyAdmin):
    action_form = DecisionForm
    actions = ("approve", "reject")
    list_display = ("request_id", "employee", "programme", "points_shown", "status", "source", "organisation")
    list_display += ("created_at",)
    list_filter = ("status", ProgrammeCodeFilter, "organisation")
    search_fields = ("request_id", "employee__employee_id", "employee__email")
    list_select_related = ("employee", "programme", "organisation")
    show_full_result_count = False
    # Every field but the fingerprint, amounts grouped.
    fields = ("organisation", "request_id", "employee", "programme", "points_shown", "reason", "source", "metadata")
    fields += ("status", "transaction", "lot", "balance_after_shown", "credited_at", "expires_at", "decided_at")
    fields += ("decided_by", "decision_note", "reversal_transaction", "reversed_at", "reversal_reason", "batch_link")
    fields += ("created_at", "updated_at")
    readonly_fields = fields

    points_shown = amount("points", "Points")
    balance_after_shown = amount("balance_after", "Balance after")

    @admin.display(description="Batch")
    def batch_link(self, obj):
        batch = selectors.batch_admin_get(obj.batch_id) if obj.batch_id else None
        if batch is None:
            return self.get_empty_value_display()
        return format_html('<a href="{}">{}</a>', reverse("admin:points_pointsbatch_change", args=[batch.pk]), batch)

    def get_actions(self, request):
        # Decisions are writes: offer them to staff who may change requests, although the form is read-only.
        actions = super().get_actions(request)
        if not request.user.has_perm("points.change_pointsrequest"):
            actions.pop("approve", None)
            actions.pop("reject", None)
        return actions

    @admin.action(description="Approve selected requests (credits the wallets)")
    def approve(self, request, queryset):
        self._decide(request, queryset, services.points_request_approve, "approved")

    @admin.action(description="Reject selected requests")
    def reject(self, request, queryset):
        self._decide(request, queryset, services.points_request_reject, "rejected")

    def _decide(self, request, queryset, service, verb):
        note = request.POST.get("note", "")
        done = 0
        for points_request in queryset.order_by("created_at"):
            try:  # parsed for each request: a refused note is reported on each, as any refusal is
                command = PointsRequestDecisionCommand.parse({"note": note})
                service(
                    actor=staff_actor(request, points_request.organisation_id),
                    request_uuid=points_request.pk,
                    command=command,
                )
            except DomainError as exc:
                self.message_user(request, f"{points_request.request_id}: {_failure(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} request{'s' if done != 1 else ''} {verb}.")


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "organisation", "employee", "programme", "shard", "balance_shown", "created_at")
    list_filter = ("kind", "organisation")
    search_fields = ("employee__employee_id", "programme__code")
    list_select_related = ("organisation", "employee", "programme")
    show_full_result_count = False
    fields = ("kind", "organisation", "employee", "programme", "shard", "balance_shown", "created_at")
    readonly_fields = fields

    balance_shown = amount("balance", "Balance")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "account", "amount_shown", "balance_after_shown", "reference")
    list_filter = (("transaction__kind", titled("transaction kind")), ("account__kind", titled("account kind")))
    list_filter += ("account__organisation",)
    search_fields = ("reference", "transaction__id")
    list_select_related = ("transaction", "account")
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    fields = ("transaction", "account", "amount_shown", "balance_after_shown", "reference", "created_at")
    readonly_fields = fields

    amount_shown = amount("amount", "Amount")
    balance_after_shown = amount("balance_after", "Balance after")

    @admin.display(description="Kind", ordering="transaction__kind")
    def kind(self, obj):
        return obj.transaction.kind


class UnresolvedFilter(admin.SimpleListFilter):
    """Unresolved issues first: they are what staff come here for."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("unresolved", "Unresolved"), ("resolved", "Resolved"))

    def queryset(self, request, queryset):
        if self.value() in ("unresolved", "resolved"):
            return queryset.filter(resolved=self.value() == "resolved")
        return queryset


@admin.register(ReconciliationIssue)
class ReconciliationIssueAdmin(ReadOnlyAdmin):
    list_display = ("detected_at", "organisation", "account", "kind", "cached_shown", "computed_shown", "resolved")
    list_filter = (UnresolvedFilter, "kind", "organisation")
    list_select_related = ("organisation", "account")
    fields = ("detected_at", "organisation", "account", "kind", "cached_shown", "computed_shown", "resolved")
    readonly_fields = fields

    cached_shown = amount("cached_balance", "Cached balance")
    computed_shown = amount("computed_balance", "Computed balance")
