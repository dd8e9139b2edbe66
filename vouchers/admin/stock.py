"""Stock: staff upload a brand's CSV of codes for a product (vouchers.services.stock_import imports it
whole or rejects it with a report), and look at the codes, masked, never decrypted."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from plum.core.admin_base import GuardedModelAdmin, ReadOnlyAdmin, amount, grouped, staff_actor
from vouchers import commands, services
from vouchers.admin.common import (
    ListColumns,
    MaskedCodeColumns,
    ProductListFilter,
    product_label,
    products_for_choices,
)
from vouchers.models import Product, StockCode, StockImport


class StockUploadForm(forms.ModelForm):
    file = forms.FileField(help_text="CSV (UTF-8) with the columns code, pin, denomination, expires_at")

    class Meta:
        model = StockImport
        fields = ("product",)


@admin.register(StockImport)
class StockImportAdmin(GuardedModelAdmin):
    """Adding is uploading; an import is never edited, so the detail page is its result."""

    form = StockUploadForm
    list_display = ("created_at", "filename", "product", "organisation", "status", "rows_shown", "imported_shown")
    list_display += ("error_count",)
    list_filter = ("status", ("product", ProductListFilter), "organisation")
    search_fields = ("filename",)
    list_select_related = ("product__brand", "organisation")
    result_fields = ("product", "organisation", "filename", "status", "rows_shown", "imported_shown", "report")
    result_fields += ("created_by", "created_at")

    rows_shown = amount("rows", "Rows")
    imported_shown = amount("imported", "Imported")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "product":
            kwargs["queryset"] = products_for_choices().filter(source=Product.Source.STOCK)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "product":
            field.label_from_instance = product_label
        return field

    def get_fields(self, request, obj=None):
        return ("product", "file") if obj is None else self.result_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.result_fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        file = form.cleaned_data["file"]
        actor = staff_actor(request, obj.product.organisation_id)
        command = commands.StockFileImport.parse(
            {"product_id": obj.product_id, "content": file.read(), "filename": file.name}
        )
        obj.pk = services.stock_import(actor=actor, command=command).pk
        obj.refresh_from_db()  # imported or rejected, as the service recorded it

    def response_add(self, request, obj, post_url_continue=None):
        if obj.status == StockImport.Status.IMPORTED:
            self.message_user(request, f"Imported {grouped(obj.imported)} codes into {obj.product}.", messages.SUCCESS)
        else:
            count = len(obj.errors)
            self.message_user(
                request,
                f"The file was rejected ({count} error{'s' if count != 1 else ''}): nothing was imported.",
                messages.ERROR,
            )
        return HttpResponseRedirect(reverse("admin:vouchers_stockimport_change", args=[obj.pk]))

    @admin.display(description="Errors")
    def error_count(self, obj):
        return len(obj.errors)

    @admin.display(description="Rejection report")
    def report(self, obj):
        if not obj.errors:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e["row"], e["field"] or "—", e["code"], e["message"]) for e in obj.errors),
        )
        return format_html(
            '<table id="stock-import-errors"><thead><tr><th>Row</th><th>Column</th><th>Code</th><th>Message</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            rows,
        )


@admin.register(StockCode)
class StockCodeAdmin(ListColumns, MaskedCodeColumns, ReadOnlyAdmin):
    list_display = ("code", "product_value", "status", "expires_on", "organisation", "created_at")
    list_filter = (("product", ProductListFilter), "denomination", "status", "organisation")
    search_fields = ("code_last4",)
    list_select_related = ("product__brand", "organisation")
    show_full_result_count = False
    # Only these: the ciphertexts and the lookup hash are never rendered.
    fields = ("product", "organisation", "denomination", "code", "pin", "status", "expires_at", "import_link")
    fields += ("created_at",)
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("code_ciphertext", "code_hash")

    @admin.display(description="Import")
    def import_link(self, obj):
        url = reverse("admin:vouchers_stockimport_change", args=[obj.stock_import_id])
        return format_html('<a href="{}">{}</a>', url, obj.stock_import_id)
