"""Orders, vouchers and the reveal audit, all read-only. Two actions write through vouchers.services:
cancel (refunds the points) and reveal (shows one code in full, once, and records who saw it)."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from plum.core.admin_base import ReadOnlyAdmin, amount, grouped, staff_actor
from plum.core.errors import DomainError
from vouchers import commands, services
from vouchers.admin.common import ListColumns, MaskedCodeColumns, ProductListFilter, failure, permitted_actions
from vouchers.codes import masked
from vouchers.models import Voucher, VoucherOrder, VoucherReveal


@admin.register(VoucherOrder)
class VoucherOrderAdmin(ListColumns, ReadOnlyAdmin):
    list_display = ("order_id", "employee", "product_value", "quantity", "paid_from", "points_shown", "organisation")
    list_display += ("created_at",)
    list_filter = ("funding", ("product", ProductListFilter), "organisation")
    search_fields = ("order_id", "employee__employee_id")
    list_select_related = ("employee", "product__brand", "programme", "organisation")
    show_full_result_count = False
    fields = ("order_id", "organisation", "employee", "product", "denomination", "quantity", "funding", "programme")
    fields += ("points_shown", "transaction", "vouchers_link", "created_by", "created_at")
    readonly_fields = fields

    points_shown = amount("points", "Points")

    @admin.display(description="Vouchers")
    def vouchers_link(self, obj):
        url = reverse("admin:vouchers_voucher_changelist") + f"?order__id__exact={obj.pk}"
        return format_html('<a href="{}">The {} voucher(s) of this order</a>', url, obj.quantity)


@admin.register(Voucher)
class VoucherAdmin(ListColumns, MaskedCodeColumns, ReadOnlyAdmin):
    list_display = ("code", "product_value", "employee", "status", "paid_from", "issued_on", "expires_on")
    list_display += ("organisation",)
    list_filter = ("status", ("product", ProductListFilter), "funding", "organisation")
    search_fields = ("code_last4", "employee__employee_id", "order__order_id")
    list_select_related = ("product__brand", "employee", "programme", "organisation")
    show_full_result_count = False
    # Only these: the ciphertexts and the lookup hash are never rendered.
    fields = ("product", "organisation", "denomination", "code", "pin", "status", "employee", "order", "campaign")
    fields += ("funding", "programme", "points_shown", "issued_at", "expires_at", "redeemed_at", "cancelled_at")
    fields += ("expired_at", "reveals_link")
    readonly_fields = fields
    actions = ("reveal_code", "cancel")

    points_shown = amount("points", "Points")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("code_ciphertext", "code_hash")

    def get_actions(self, request):
        return permitted_actions(request, super().get_actions(request), "vouchers.change_voucher", self.actions)

    @admin.display(description="Campaign")
    def campaign(self, obj):
        if not obj.recipient_id:
            return "—"
        campaign = obj.recipient.campaign
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:vouchers_campaign_change", args=[campaign.pk]), campaign
        )

    @admin.display(description="Reveals")
    def reveals_link(self, obj):
        url = reverse("admin:vouchers_voucherreveal_changelist") + f"?voucher__id__exact={obj.pk}"
        return format_html('<a href="{}">Who saw the code</a>', url)

    @admin.action(description="Reveal the code of the selected voucher (recorded)")
    def reveal_code(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Reveal one voucher at a time.", messages.WARNING)
            return None
        voucher = queryset.get()
        command = commands.VoucherReveal.parse({"voucher_id": voucher.pk, "door": "admin"})
        document = services.voucher_reveal(actor=staff_actor(request, voucher.organisation_id), command=command)
        context = {
            **self.admin_site.each_context(request),
            "title": "Voucher code",
            "content": _reveal_page(document, reverse("admin:vouchers_voucher_change", args=[voucher.pk])),
        }
        return TemplateResponse(request, "admin/base_site.html", context)  # admin pages are no-store

    @admin.action(description="Cancel the selected vouchers (refunds their points)")
    def cancel(self, request, queryset):
        for voucher in queryset.select_related("product__brand").order_by("issued_at"):
            label = f"{masked(voucher.code_last4)} ({voucher.product} {voucher.denomination})"
            try:
                command = commands.VoucherCancel.parse({"voucher_id": voucher.pk})
                services.voucher_cancel(actor=staff_actor(request, voucher.organisation_id), command=command)
            except DomainError as exc:
                self.message_user(request, f"{label}: {failure(exc)}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{label}: cancelled; {grouped(voucher.points)} points refunded.", messages.SUCCESS
                )


def _reveal_page(document: dict, back_url: str) -> str:
    return format_html(
        "<p>Shown once, on this page only: copy it now. This reveal is recorded in the audit log.</p>"
        "<table><tr><th>Voucher</th><td>{}</td></tr><tr><th>Product</th><td>{} {} {} {}</td></tr>"
        '<tr><th>Code</th><td><code id="voucher-code">{}</code></td></tr>'
        '<tr><th>PIN</th><td><code id="voucher-pin">{}</code></td></tr>'
        "<tr><th>Status</th><td>{}</td></tr><tr><th>Expires</th><td>{}</td></tr></table>"
        '<p><a href="{}">Back to the voucher</a></p>',
        document["id"],
        document["brand"],
        document["product"],
        document["denomination"],
        document["currency"],
        document["code"],
        document["pin"] or "—",
        document["status"],
        document["expires_at"],
        back_url,
    )


@admin.register(VoucherReveal)
class VoucherRevealAdmin(ReadOnlyAdmin):
    """The audit log of full codes seen: by staff here, by clients through the API (reveal, order replay)."""

    list_display = ("revealed_at", "voucher", "revealed_by", "actor_kind", "reason", "organisation")
    list_filter = ("reason", "actor_kind", "organisation")
    search_fields = ("revealed_by",)
    list_select_related = ("voucher", "organisation")
    show_full_result_count = False
