"""Admin for points batches and uploads: upload a file for an organisation, preview its row errors, confirm,
and follow the batch's progress. Writes go through points.services with a staff Actor."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from plum.core.admin_base import GuardedModelAdmin, ReadOnlyAdmin, amount, grouped, staff_actor
from plum.core.errors import DomainError
from plum.core.jobs.admin import JobProgressAdmin
from points import selectors, services
from points.commands import PointsUploadConfirmCommand
from points.models import PointsBatch, PointsBatchItem, PointsUpload


def _failure(exc: DomainError) -> str:
    details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors if e["message"] != exc.message)
    return f"{exc.message} {details}".strip()


@admin.register(PointsBatch)
class PointsBatchAdmin(JobProgressAdmin, ReadOnlyAdmin):
    list_display = ("batch_id", "organisation", "source", "status", "percent", "total_shown", "created_at")
    list_filter = ("status", "source", "organisation")
    search_fields = ("batch_id",)
    list_select_related = ("organisation",)
    readonly_fields = ("progress", "first_errors", "items_link", "failures", "last_error")
    fields = (
        "organisation",
        "batch_id",
        "source",
        "status",
        "progress",
        "first_errors",
        "items_link",
        "failures",
        "last_error",
        "created_by",
        "created_at",
        "started_at",
        "completed_at",
    )
    progress_css_class = "batch-progress"

    total_shown = amount("total", "Items")

    def progress_detail(self, obj):
        counts = (obj.credited, obj.pending_approval, obj.rejected, obj.replayed)
        return ": {} credited, {} pending approval, {} rejected, {} replayed".format(*map(grouped, counts))

    def job_reference(self, obj):
        return f"Batch {obj.batch_id}"

    def retry_job(self, request, job):
        services.points_batch_retry(actor=staff_actor(request, job.organisation_id), batch_uuid=job.pk)

    @admin.display(description="Errors (first 100)")
    def first_errors(self, obj):
        errors = selectors.batch_document(obj)["errors"]
        if not errors:
            return self.get_empty_value_display()
        rows = format_html_join(
            "", "<li>#{} {} {}: {}</li>", ((e["index"], e["request_id"] or "", e["code"], e["message"]) for e in errors)
        )
        return format_html("<ul>{}</ul>", rows)

    @admin.display(description="Items")
    def items_link(self, obj):
        url = reverse("admin:points_pointsbatchitem_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">All {} items</a>', url, obj.total)


@admin.register(PointsBatchItem)
class PointsBatchItemAdmin(ReadOnlyAdmin):
    list_display = ("index", "source_row", "request_id", "status", "error_code", "error_message", "batch")
    list_filter = ("status",)
    search_fields = ("request_id",)
    list_select_related = ("batch",)
    show_full_result_count = False
    ordering = ("batch", "index")


class UploadForm(forms.ModelForm):
    file = forms.FileField(
        help_text="CSV (UTF-8) or XLSX with columns employee_id, points, reason, request_id, programme"
    )

    class Meta:
        model = PointsUpload
        fields = ("organisation",)

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        data = super().clean()
        organisation, file = data.get("organisation"), data.get("file")
        if organisation is None or file is None:
            return data
        try:  # checking is the service's work; it keeps the upload it checked
            self.upload = services.points_upload_create(
                actor=staff_actor(self.request, organisation.pk),
                file=file,
                filename=file.name,
                content_type=file.content_type,
            )
        except DomainError as exc:
            raise forms.ValidationError(_failure(exc)) from None
        return data


@admin.register(PointsUpload)
class PointsUploadAdmin(GuardedModelAdmin):
    form = UploadForm
    list_display = ("filename", "organisation", "status", "rows_shown", "valid_shown", "invalid_shown", "created_at")
    list_filter = ("status", "organisation")
    search_fields = ("filename",)
    list_select_related = ("organisation",)
    change_form_template = "admin/points/pointsupload/change_form.html"
    readonly_fields = ("organisation", "filename", "file_kind", "size_shown", "status", "rows_shown", "valid_shown")
    readonly_fields += ("invalid_shown", "batch_link", "created_by", "created_at", "confirmed_at")

    rows_shown = amount("rows", "Rows")
    valid_shown = amount("valid", "Valid")
    invalid_shown = amount("invalid", "Invalid")
    size_shown = amount("size", "Size (bytes)")

    @admin.display(description="File type")
    def file_kind(self, obj):
        return obj.file_type.upper()  # CSV, XLSX: the choices' own labels say "Csv"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class WithRequest(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return WithRequest

    def get_fields(self, request, obj=None):
        return ("organisation", "file") if obj is None else self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        # Titled on the preview page, where the details follow the row errors
        return super().get_fieldsets(request, obj) if obj is None else [("The file", {"fields": self.readonly_fields})]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False  # confirmed by the button, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = form.upload.pk  # the service saved it

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:points_pointsupload_change", args=[obj.pk]))  # the preview

    def add_view(self, request, form_url="", extra_context=None):
        # Every upload goes on to its preview: one button, not Django's three.
        only_save = {"show_save_and_add_another": False, "show_save_and_continue": False}
        return super().add_view(request, form_url, {**(extra_context or {}), **only_save})

    @admin.display(description="Batch")
    def batch_link(self, obj):
        if not obj.batch_id:
            return self.get_empty_value_display()
        url = reverse("admin:points_pointsbatch_change", args=[obj.batch_id])
        return format_html('<a href="{}">{}</a>', url, obj.batch.batch_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        upload = self.get_object(request, object_id)
        extra = {"upload_errors": upload.errors if upload else [], "can_confirm": self._can_confirm(request, upload)}
        if upload:
            extra |= {"valid_rows": grouped(upload.valid), "invalid_rows": grouped(upload.invalid)}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _can_confirm(self, request, upload) -> bool:
        return bool(
            upload and upload.valid and upload.batch_id is None and request.user.has_perm("points.add_pointsupload")
        )

    def get_urls(self):
        confirm = self.admin_site.admin_view(self.confirm_view)
        return [path("<path:object_id>/confirm/", confirm, name="points_pointsupload_confirm"), *super().get_urls()]

    def confirm_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        upload = self.get_object(request, object_id)  # None for an unknown or malformed id
        if upload is None:
            raise Http404("No such upload.")
        if not request.user.has_perm("points.add_pointsupload"):
            raise PermissionDenied
        try:
            command = PointsUploadConfirmCommand.parse({"upload": upload.pk})
            result = services.points_upload_confirm(actor=staff_actor(request, upload.organisation_id), command=command)
        except DomainError as exc:
            self.message_user(request, _failure(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:points_pointsupload_change", args=[upload.pk]))
        self.message_user(
            request, f"{grouped(result.batch.total)} rows queued as batch {result.batch.batch_id}.", messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:points_pointsbatch_change", args=[result.batch.pk]))
