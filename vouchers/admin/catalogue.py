"""Brands and products. New ones are made by vouchers.services; the product list shows the stock left
per denomination and flags LOW STOCK (both from the selectors, in one query for the whole page)."""

from django import forms
from django.contrib import admin
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from plum.core.admin_base import GuardedModelAdmin, staff_actor
from vouchers import commands, selectors, services
from vouchers.models import Brand, Product

# Changing these after creation would misdescribe the stock and the vouchers already issued.
FIXED_AFTER_CREATE = ("organisation", "brand", "currency", "denominations", "country", "source")


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ("organisation", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # disabled rather than read-only, so the form still checks the name is unique in the organisation
        if "organisation" in self.fields:  # absent when the page is view-only
            self.fields["organisation"].disabled = not self.instance._state.adding


@admin.register(Brand)
class BrandAdmin(GuardedModelAdmin):
    form = BrandForm
    list_display = ("name", "organisation", "created_at")
    list_filter = ("organisation",)
    search_fields = ("name",)
    list_select_related = ("organisation",)

    def has_delete_permission(self, request, obj=None):
        return False  # products and vouchers refer to it

    def save_model(self, request, obj, form, change):
        actor = staff_actor(request, obj.organisation_id)
        if change:
            services.brand_rename(
                actor=actor, command=commands.BrandRename.parse({"brand_id": obj.pk, "name": obj.name})
            )
            return
        obj.pk = services.brand_create(actor=actor, command=commands.BrandCreate.parse({"name": obj.name})).pk


class ProductForm(forms.ModelForm):
    currency = forms.CharField(
        validators=[RegexValidator(r"^[A-Z]{3}$", "Three capital letters (ISO 4217), e.g. EUR.")]
    )
    country = forms.CharField(validators=[RegexValidator(r"^[A-Z]{2}$", "Two capital letters (ISO 3166-1), e.g. DE.")])

    class Meta:
        model = Product
        fields = (
            "organisation",
            "brand",
            "name",
            "currency",
            "denominations",
            "points_per_unit",
            "validity_days",
            "country",
            "category",
            "source",
            "status",
            "low_stock_threshold",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # disabled rather than read-only, so the form still checks the name is unique for the brand
        for name in self.fields.keys() & FIXED_AFTER_CREATE:  # no fields when the page is view-only
            self.fields[name].disabled = not self.instance._state.adding

    def clean(self):
        data = super().clean()
        organisation, brand = data.get("organisation"), data.get("brand")
        if organisation and brand and brand.organisation_id != organisation.pk:
            self.add_error("brand", "This brand belongs to another organisation.")
        return data


def _levels(product: Product) -> dict[int, int]:
    """Available codes per denomination: set for the whole changelist page, or read for one product."""
    if not hasattr(product, "available"):
        product.available = selectors.stock_levels([product.pk]).get(product.pk, {})
    return product.available


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return (("low", "Low stock"),)

    def queryset(self, request, queryset):
        if self.value() != "low":
            return queryset
        products = list(queryset.filter(source=Product.Source.STOCK).only("id", "denominations", "low_stock_threshold"))
        levels = selectors.stock_levels([p.pk for p in products])
        return queryset.filter(pk__in=[p.pk for p in products if selectors.low_stock(p, levels.get(p.pk, {}))])


@admin.register(Product)
class ProductAdmin(GuardedModelAdmin):
    form = ProductForm
    list_display = ("name", "brand", "organisation", "currency", "source", "status", "stock", "low_stock_flag")
    list_filter = (LowStockFilter, "source", "status", "currency", "organisation")
    search_fields = ("name", "brand__name")
    list_select_related = ("brand", "organisation")

    def get_readonly_fields(self, request, obj=None):
        return ("stock", "low_stock_flag", "stock_links") if obj else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "brand":
            kwargs["queryset"] = selectors.brand_admin_choices()
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "brand":  # brand names repeat across organisations
            field.label_from_instance = lambda brand: f"{brand.name} · {brand.organisation.slug}"
        return field

    def has_delete_permission(self, request, obj=None):
        return False  # stock and vouchers refer to it: make it inactive instead

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        products = list(changelist.result_list)  # the page's rows, evaluated once and kept by the queryset
        levels = selectors.stock_levels([p.pk for p in products])
        for product in products:
            product.available = levels.get(product.pk, {})
        return changelist

    def save_model(self, request, obj, form, change):
        actor = staff_actor(request, obj.organisation_id)
        if change:
            edited = {k: form.cleaned_data[k] for k in form.changed_data if k in commands.PRODUCT_EDITABLE}
            command = commands.ProductUpdate.parse({**edited, "product_id": obj.pk})
            services.product_update(actor=actor, command=command)
            return
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("organisation", "brand")}
        command = commands.ProductCreate.parse({**fields, "brand_id": obj.brand_id})
        obj.pk = services.product_create(actor=actor, command=command).pk

    @admin.display(description="Available codes")
    def stock(self, obj):
        if obj.source == Product.Source.GENERATED:
            return "generated: never runs out"
        levels = _levels(obj)
        return " · ".join(f"{d}: {levels.get(d, 0)}" for d in obj.denominations)

    @admin.display(description="Low stock")
    def low_stock_flag(self, obj):
        low = [] if obj.source == Product.Source.GENERATED else selectors.low_stock(obj, _levels(obj))
        if not low:
            return "—"
        return format_html(
            '<strong class="low-stock" style="color: #ba2121">LOW STOCK</strong> {}', ", ".join(map(str, low))
        )

    @admin.display(description="Stock")
    def stock_links(self, obj):
        links = [
            (reverse("admin:vouchers_stockcode_changelist") + f"?product__id__exact={obj.pk}", "Codes"),
            (reverse("admin:vouchers_stockimport_changelist") + f"?product__id__exact={obj.pk}", "Imports"),
        ]
        if obj.source == Product.Source.STOCK:
            add = reverse("admin:vouchers_stockimport_add") + f"?product={obj.pk}"
            links.insert(0, (add, "Import codes from a CSV file"))
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', links)
