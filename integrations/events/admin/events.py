"""Admin for reward rules (a form that lists the fields and ops, checks through RuleCommand, saves through
the rules service, and previews a sample event by the dry run) and for events with their rewards."""

import json
import re

from django import forms
from django.contrib import admin
from django.utils.html import escape, format_html, format_html_join

from integrations.events import selectors, services
from integrations.events.commands import RuleCommand, RulePatchCommand, RuleTestCommand
from integrations.events.commands.rules import EMPLOYEE_FIELDS, LIMIT_PERIODS, OPERATIONS
from integrations.events.models import Event, Reward, Rule
from plum.core.admin_base import GuardedModelAdmin, ReadOnlyAdmin, staff_actor
from plum.core.errors import DomainError

CONDITIONS_HELP = (
    'A list of {"field", "op", "value"}, all of which must hold. field: data.<dotted path> into the event, or '
    f"employee.{', employee.'.join(EMPLOYEE_FIELDS)}. op: {', '.join(OPERATIONS)}. "
    'Example: [{"field": "data.rating", "op": "gte", "value": 4}]'
)
POINTS_HELP = 'A whole number, or computed: {"from": "data.kpi", "multiplier": 100, "min": 50, "max": 500}'
LIMIT_HELP = f'Empty for none, or {{"count": 1, "per": "month"}} (per: {", ".join(LIMIT_PERIODS)})'
SAMPLE_HELP = (
    'Not saved with the rule: {"type", "employee_id", "data"} (occurred_at optional). Save and continue '
    "editing to see what it would get from the rule as saved."
)
SESSION_KEY = "plum-rule-sample-{}"


def _json_text(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class OptionalJSONField(forms.JSONField):
    """Empty when there is nothing (Django's shows `null`, which a person then types after)."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


class RuleForm(forms.ModelForm):
    programme_code = forms.CharField(label="Programme", max_length=128, help_text="The programme's code")
    # The admin shows help texts as HTML: escaped, since they show <path> and JSON.
    conditions = forms.JSONField(
        required=False, help_text=escape(CONDITIONS_HELP), widget=forms.Textarea(attrs={"rows": 6})
    )
    points = forms.JSONField(help_text=escape(POINTS_HELP), widget=forms.Textarea(attrs={"rows": 2}))
    limit = OptionalJSONField(required=False, help_text=escape(LIMIT_HELP), widget=forms.Textarea(attrs={"rows": 2}))
    sample_event = OptionalJSONField(
        required=False, help_text=escape(SAMPLE_HELP), widget=forms.Textarea(attrs={"rows": 5})
    )

    class Meta:
        model = Rule
        fields = ("organisation", "name", "event_type", "reason", "active", "starts_at", "ends_at")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        if not self.instance._state.adding:
            self.initial.update(
                programme_code=self.instance.programme.code,
                conditions=self.instance.conditions,
                points=self.instance.points,
                limit=selectors.rule_limit(self.instance),
            )

    def _post_clean(self):
        # RuleCommand checked the rule and the service saved it (rule_name_exists is its answer): the model's
        # own checks would now find the saved rule a duplicate of itself. The form's object is the saved rule.
        if getattr(self, "rule", None) is not None:
            self.instance = self.rule

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        sample = data.get("sample_event")
        if sample not in (None, ""):
            self._check(RuleTestCommand, sample, field="sample_event")
        body = {
            "name": data.get("name"),
            "event_type": data.get("event_type"),
            "conditions": data.get("conditions") or [],
            "points": data.get("points"),
            "programme": data.get("programme_code"),
            "reason": data.get("reason") or "",
            "limit": data.get("limit") or None,
            "active": bool(data.get("active")),
            "starts_at": data["starts_at"].isoformat() if data.get("starts_at") else None,
            "ends_at": data["ends_at"].isoformat() if data.get("ends_at") else None,
        }
        if self.errors:
            return data
        if not self.instance._state.adding:
            command = self._check(RulePatchCommand, body)
            save = lambda actor: services.rule_update(actor=actor, rule_id=self.instance.pk, command=command)  # noqa: E731
            organisation_id = self.instance.organisation_id
        else:
            command = self._check(RuleCommand, body)
            save = lambda actor: services.rule_create(actor=actor, command=command)  # noqa: E731
            organisation_id = data["organisation"].pk if data.get("organisation") else None
        if command is None or organisation_id is None:
            return data
        try:
            self.rule = save(staff_actor(self.request, organisation_id))
        except DomainError as exc:
            self._add(exc)
        return data

    def _check(self, command_class, body, field=None):
        try:
            return command_class.parse(body)
        except DomainError as exc:
            self._add(exc, field)
            return None

    def _add(self, exc: DomainError, field: str | None = None) -> None:
        """Each error on the form field it is about: conditions[0].op on conditions, programme on programme_code."""
        errors = exc.errors or [{"field": exc.field, "message": exc.message}]
        for error in errors:
            path = error.get("field") or ""
            top = field or re.split(r"[.\[]", path)[0]
            top = {"programme": "programme_code"}.get(top, top)
            message = error["message"] if field or path == top else f"{path}: {error['message']}"
            self.add_error(top if top in self.fields else None, message)


@admin.register(Rule)
class RuleAdmin(GuardedModelAdmin):
    form = RuleForm
    list_display = ("name", "event_type", "programme", "points_shown", "limit_shown", "active", "organisation")
    list_filter = ("active", "event_type", "organisation")
    search_fields = ("name", "event_type")
    list_select_related = ("programme", "organisation")

    def get_fields(self, request, obj=None):
        fields = ["name", "event_type", "conditions", "points", "programme_code", "reason", "limit", "active"]
        fields += ["starts_at", "ends_at", "sample_event"]
        return fields if obj else ["organisation", *fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = [f for f in self.get_fields(request, obj) if f in RuleForm.Meta.fields]
        form = super().get_form(request, obj, change, **kwargs)
        sample = request.session.get(SESSION_KEY.format(obj.pk)) if obj else None
        preview = self._preview(request, obj, sample) if sample else None

        class WithRequest(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)
                if sample:
                    self.initial["sample_event"] = sample
                    self.fields["sample_event"].help_text = preview

        return WithRequest

    def _preview(self, request, rule: Rule, sample: dict):
        try:
            command = RuleTestCommand.parse(sample)
            dry_run = services.rule_dry_run(
                actor=staff_actor(request, rule.organisation_id), rule=rule, command=command
            )
        except DomainError as exc:
            return format_html('<div class="rule-preview"><strong>Preview:</strong> {}</div>', exc.message)
        verdict = f"matches, {dry_run.points:,} points" if dry_run.matches else "does not match"
        reasons = format_html_join("", "<li>{}</li>", ((reason,) for reason in dry_run.reasons))
        return format_html(
            '<div class="rule-preview"><strong>Preview: the sample {}</strong><ul>{}</ul></div>', verdict, reasons
        )

    def save_model(self, request, obj, form, change):
        # obj is the rule the service saved (RuleForm._post_clean); only the sample is kept, for the preview
        sample = form.cleaned_data.get("sample_event")
        key = SESSION_KEY.format(obj.pk)
        if sample:
            request.session[key] = sample
        else:
            request.session.pop(key, None)

    def save_related(self, request, form, formsets, change):
        pass  # nothing related; the service wrote the rule

    def has_delete_permission(self, request, obj=None):
        return False  # untick active instead: the rule's rewards keep their history

    @admin.display(description="Points")
    def points_shown(self, obj):
        if isinstance(obj.points, int):
            return f"{obj.points:,}"
        return f"{obj.points['from']} x {obj.points['multiplier']}"

    @admin.display(description="Limit")
    def limit_shown(self, obj):
        limit = selectors.rule_limit(obj)
        return f"{limit['count']} per {limit['per']}" if limit else "none"


class RewardInline(admin.TabularInline):
    model = Reward
    fields = ("rule", "request_id", "status", "points", "balance_after", "code", "points_request")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "employee_shown", "source", "rewards_shown", "received_at", "organisation")
    list_filter = (("type", admin.AllValuesFieldListFilter), "source", "organisation")
    search_fields = ("event_id", "employee__employee_id")
    list_select_related = ("employee", "organisation")
    fields = ("organisation", "event_id", "type", "employee", "occurred_at", "received_at", "source", "data_shown")
    readonly_fields = fields
    inlines = (RewardInline,)
    date_hierarchy = "received_at"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rewards")

    @admin.display(description="Employee", ordering="employee__employee_id")
    def employee_shown(self, obj):
        return obj.employee.employee_id

    @admin.display(description="Rewards")
    def rewards_shown(self, obj):
        return ", ".join(f"{r.status} {r.points:,}" for r in obj.rewards.all()) or "none"

    @admin.display(description="Data")
    def data_shown(self, obj):
        return format_html("<pre>{}</pre>", _json_text(obj.data))
