"""The operations staff's door to vouchers: pages load without ever showing a code, except the explicit
(recorded) reveal; the catalogue, stock uploads, cancellations and campaign retries go through the services."""

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from points.tests.factories import balance, make_programme, seed_employees, system
from vouchers import codes, services
from vouchers.commands import CampaignCreate, ProductCreate, VoucherRedeem
from vouchers.models import (
    Brand,
    Campaign,
    CampaignRecipient,
    Product,
    StockCode,
    StockImport,
    Voucher,
    VoucherOrder,
    VoucherReveal,
)
from vouchers.tests.factories import add_stock, fund_wallet, make_catalogue, order, stock_csv

PIN = "PIN-8642"
ADMIN = "/admin/vouchers"


@dataclass
class Shop:
    tenant: object
    stock: Product
    generated: Product
    campaign: Campaign  # failed, so it can be retried

    def voucher(self, order_id: str) -> Voucher:
        return Voucher.objects.filter(order__order_id=order_id).order_by("id").first()


@pytest.fixture
def shop(tenant, other_tenant):
    """acme: E1 bought two stock vouchers (wallet) and one generated (P1's budget); campaign C1 issued one
    generated voucher each to E1 and E2, C2 failed. globex has stock of its own."""
    seed_employees(tenant, "E1", "E2")
    cat = make_catalogue(tenant, stock_codes=3, pin=PIN)
    fund_wallet(tenant, "E1", 10_000)
    make_programme(tenant, "P1", budget=100_000)
    order(tenant, order_id="O1", product=cat.stock, quantity=2)
    order(tenant, order_id="O2", product=cat.generated, denomination=10, funding="programme", programme="P1")
    for campaign_id in ("C1", "C2"):
        data = {"campaign_id": campaign_id, "name": "Thanks", "product_id": str(cat.generated.pk)}
        services.campaign_create(
            actor=system(tenant),
            command=CampaignCreate.parse({**data, "denomination": 20, "programme": "P1", "filter": {}}),
        )
    services.campaign_process(Campaign.objects.get(campaign_id="C1").pk)
    Campaign.objects.filter(campaign_id="C2").update(status="failed", failures=5, last_error="OperationalError: boom")
    make_catalogue(other_tenant, stock_codes=2)
    return Shop(tenant, cat.stock, cat.generated, Campaign.objects.get(campaign_id="C2"))


def secrets_in_the_database() -> list[str]:
    """Every plain code and PIN, and every ciphertext and hash as the admin could print them."""
    found = [PIN]
    for row in [*StockCode.objects.all(), *Voucher.objects.all()]:
        plain = codes.decrypt(row.code_ciphertext, row.organisation_id)
        found += [plain, codes.normalise(plain)]
        for blob in (row.code_ciphertext, row.code_hash):
            found += [bytes(blob).hex(), repr(bytes(blob))[2:40]]
    return found


MODELS = ("brand", "product", "stockimport", "stockcode", "voucher", "voucherorder", "voucherreveal", "campaign")
MODELS += ("campaignrecipient",)


def changelists() -> list[str]:
    return [f"{ADMIN}/{model}/" for model in MODELS]


def detail_pages() -> list[str]:
    objects = {
        "brand": Brand.objects.all(),
        "product": Product.objects.all(),
        "stockimport": StockImport.objects.all(),
        "stockcode": StockCode.objects.all(),
        "voucher": Voucher.objects.all(),
        "voucherorder": VoucherOrder.objects.all(),
        "voucherreveal": VoucherReveal.objects.all(),
        "campaign": Campaign.objects.all(),
        "campaignrecipient": CampaignRecipient.objects.all(),
    }
    return [
        f"{ADMIN}/{name}/{pk}/change/" for name, rows in objects.items() for pk in rows.values_list("pk", flat=True)
    ]


def reveal(client, voucher: Voucher):
    return client.post(f"{ADMIN}/voucher/", {"action": "reveal_code", "_selected_action": [voucher.pk]})


def test_changelists_load_with_their_filters_and_search(admin_client, shop):
    available = f"{ADMIN}/stockcode/?product__id__exact={shop.stock.pk}&denomination=25&status__exact=available"
    pages = [
        *changelists(),
        f"{ADMIN}/brand/?q=Sky",
        f"{ADMIN}/product/?stock=low&source__exact=stock&currency=EUR",
        f"{ADMIN}/stockimport/?status__exact=imported&product__id__exact={shop.stock.pk}",
        f"{available}&q=0002",
        f"{ADMIN}/voucher/?status__exact=issued&funding__exact=programme&product__id__exact={shop.generated.pk}",
        f"{ADMIN}/voucher/?q=E1",
        f"{ADMIN}/voucherorder/?funding__exact=points&q=O1",
        f"{ADMIN}/voucherreveal/?reason=admin",
        f"{ADMIN}/campaign/?status__exact=failed",
        f"{ADMIN}/campaignrecipient/?status__exact=issued",
    ]
    for url in pages:
        assert admin_client.get(url).status_code == 200, url  # a filter it does not know answers 302
    assert [c.code_last4 for c in admin_client.get(available).context["cl"].result_list] == ["0002"]


def test_no_page_shows_a_code_a_pin_a_ciphertext_or_a_hash(admin_client, shop):
    reveal(admin_client, shop.voucher("O1"))  # so the audit log has a row to show
    pages = [
        *changelists(),
        *detail_pages(),
        f"{ADMIN}/product/add/",
        f"{ADMIN}/stockimport/add/?product={shop.stock.pk}",
        f"{ADMIN}/stockcode/?product__id__exact={shop.stock.pk}&denomination=25&status__exact=issued",
        f"{ADMIN}/voucher/?product__id__exact={shop.generated.pk}",
    ]
    hidden = secrets_in_the_database()
    assert len(pages) > 30 and len(hidden) > 40
    for url in pages:
        response = admin_client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "ciphertext" not in html and "code_hash" not in html, url
        assert [s for s in hidden if s in html] == [], url
    assert "••••0000" in admin_client.get(f"{ADMIN}/voucher/").content.decode()  # codes show masked


def test_reveal_shows_the_code_once_and_records_the_staff_member(admin_client, admin_user, shop):
    voucher = shop.voucher("O1")
    plain = codes.decrypt(voucher.code_ciphertext, voucher.organisation_id)

    response = reveal(admin_client, voucher)

    html = response.content.decode()
    assert re.search(r'<code id="voucher-code">([^<]+)</code>', html).group(1) == plain
    assert f'<code id="voucher-pin">{PIN}</code>' in html
    assert "no-store" in response["Cache-Control"]
    record = VoucherReveal.objects.get()
    assert (record.voucher_id, record.revealed_by, record.actor_kind, record.user_id, record.reason) == (
        voucher.pk,
        "staff:admin",
        "staff",
        admin_user.pk,
        "admin",
    )
    assert plain not in admin_client.get(f"{ADMIN}/voucher/{voucher.pk}/change/").content.decode()
    assert "staff:admin" in admin_client.get(f"{ADMIN}/voucherreveal/").content.decode()


def test_reveal_takes_one_voucher_and_viewers_cannot_reveal(admin_client, client, django_user_model, shop):
    two = list(Voucher.objects.values_list("pk", flat=True)[:2])
    response = admin_client.post(f"{ADMIN}/voucher/", {"action": "reveal_code", "_selected_action": two}, follow=True)
    assert "Reveal one voucher at a time." in response.content.decode()

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="vouchers", codename__startswith="view_")
    )
    client.force_login(viewer)
    voucher = shop.voucher("O1")
    page = client.get(f"{ADMIN}/voucher/").content.decode()
    assert 'value="reveal_code"' not in page and 'value="cancel"' not in page
    for url in detail_pages():
        assert client.get(url).status_code == 200, url  # view-only pages render without their forms' fields
    refused = reveal(client, voucher).content.decode()
    assert codes.decrypt(voucher.code_ciphertext, voucher.organisation_id) not in refused
    assert not VoucherReveal.objects.exists()


def test_cancel_action_refunds_each_voucher_and_reports_each_one(admin_client, shop):
    first, second = Voucher.objects.filter(order__order_id="O1").order_by("id")
    services.voucher_redeem(
        actor=system(shop.tenant),
        command=VoucherRedeem(code=codes.decrypt(second.code_ciphertext, second.organisation_id)),
    )
    before = balance(shop.tenant)

    response = admin_client.post(
        f"{ADMIN}/voucher/", {"action": "cancel", "_selected_action": [first.pk, second.pk]}, follow=True
    )

    html = response.content.decode()
    assert f"••••{first.code_last4} (Skyway Travel credit (EUR) 25): cancelled; 250 points refunded." in html
    assert f"••••{second.code_last4} (Skyway Travel credit (EUR) 25): Redeemed at" in html
    assert balance(shop.tenant) == before + 250
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("cancelled", "redeemed")
    assert StockCode.objects.get(pk=first.stock_code_id).status == "available"


def test_uploading_stock_imports_the_file_through_the_service(admin_client, shop):
    file = SimpleUploadedFile("codes.csv", stock_csv(["NEW-1", "NEW-2"], 50), "text/csv")
    before = StockCode.objects.count()

    response = admin_client.post(f"{ADMIN}/stockimport/add/", {"product": shop.stock.pk, "file": file}, follow=True)

    record = StockImport.objects.get(filename="codes.csv")
    assert response.redirect_chain == [(f"{ADMIN}/stockimport/{record.pk}/change/", 302)]
    assert "Imported 2 codes into Skyway Travel credit (EUR)." in response.content.decode()
    assert (record.status, record.imported, record.created_by) == ("imported", 2, "staff:admin")
    assert StockCode.objects.count() == before + 2
    assert StockCode.objects.filter(stock_import=record, denomination=50).count() == 2


def test_a_bad_stock_file_shows_every_row_error_and_imports_nothing(admin_client, shop):
    content = b"code,pin,denomination,expires_at\nNEW-1,,25,\nnew1,,25,\nNEW-2,,30,soon\nSKY-acme-00002,,25,\n"
    stock = list(StockCode.objects.order_by("id").values())

    response = admin_client.post(
        f"{ADMIN}/stockimport/add/",
        {"product": shop.stock.pk, "file": SimpleUploadedFile("bad.csv", content, "text/csv")},
        follow=True,
    )

    html = response.content.decode()
    assert "The file was rejected (4 errors): nothing was imported." in html
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert rows == [
        ("3", "code", "duplicate_code", "The same code as row 2."),
        ("4", "denomination", "denomination_not_offered", "One of the product&#x27;s denominations: 25, 50."),
        ("4", "expires_at", "invalid", "An ISO 8601 time with its offset, or empty."),
        ("5", "code", "duplicate_code", "Already in stock."),
    ]
    assert list(StockCode.objects.order_by("id").values()) == stock
    assert StockImport.objects.get(filename="bad.csv").status == "rejected"


def test_product_page_offers_the_upload_and_generated_products_cannot_take_stock(admin_client, shop):
    page = admin_client.get(f"{ADMIN}/product/{shop.stock.pk}/change/").content.decode()
    assert f'href="{ADMIN}/stockimport/add/?product={shop.stock.pk}"' in page
    upload = admin_client.get(f"{ADMIN}/stockimport/add/?product={shop.stock.pk}").content.decode()
    assert f'<option value="{shop.stock.pk}" selected>' in upload
    assert str(shop.generated.pk) not in upload
    file = SimpleUploadedFile("codes.csv", stock_csv(["NEW-1"], 10), "text/csv")
    refused = admin_client.post(f"{ADMIN}/stockimport/add/", {"product": shop.generated.pk, "file": file})
    assert refused.status_code == 200 and "Select a valid choice." in refused.content.decode()
    assert not StockImport.objects.filter(filename="codes.csv").exists()


def test_low_stock_is_flagged_and_filtered(admin_client, shop):
    # Skyway: 25 has 1 code left (two sold), 50 has none; the threshold is 10. Bookworm is generated.
    page = admin_client.get(f"{ADMIN}/product/").content.decode()
    assert '<td class="field-stock">25: 1 · 50: 0</td>' in page
    assert page.count("LOW STOCK") == 2  # acme's and globex's Skyway
    assert '<td class="field-stock">generated: never runs out</td>' in page
    low = admin_client.get(f"{ADMIN}/product/?stock=low&organisation__id__exact={shop.tenant.organisation.pk}")
    assert [p.pk for p in low.context["cl"].result_list] == [shop.stock.pk]

    add_stock(shop.tenant, shop.stock, [f"MORE-{n}" for n in range(10)], 25)
    add_stock(shop.tenant, shop.stock, [f"FIFTY-{n}" for n in range(10)], 50)
    low = admin_client.get(f"{ADMIN}/product/?stock=low&organisation__id__exact={shop.tenant.organisation.pk}")
    assert list(low.context["cl"].result_list) == []
    assert "25: 11 · 50: 10" in admin_client.get(f"{ADMIN}/product/{shop.stock.pk}/change/").content.decode()


def test_product_list_reads_stock_in_one_query_whatever_the_number_of_products(admin_client, shop):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(f"{ADMIN}/product/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(4):
        product = services.product_create(
            actor=system(shop.tenant),
            command=ProductCreate.parse(
                {
                    "brand_id": shop.stock.brand.pk,
                    "name": f"Extra {n}",
                    "currency": "EUR",
                    "denominations": [5, 10],
                    "points_per_unit": 10,
                    "country": "DE",
                    "source": Product.Source.STOCK,
                }
            ),
        )
        add_stock(shop.tenant, product, [f"X{n}-1", f"X{n}-2"], 5)
    assert queries() == few


def test_creating_a_product_goes_through_the_service_and_checks_the_rules(admin_client, shop):
    org = shop.tenant.organisation
    form = {
        "organisation": org.pk,
        "brand": shop.stock.brand.pk,
        "name": "Lounge pass",
        "currency": "EUR",
        "denominations": "30,60",
        "points_per_unit": "10",
        "validity_days": "90",
        "country": "DE",
        "category": "travel",
        "source": "stock",
        "status": "active",
        "low_stock_threshold": "5",
    }
    before = list(Product.objects.order_by("id").values())
    for bad in ({"name": "Travel credit"}, {"currency": "eur"}, {"denominations": "30,x"}, {"organisation": ""}):
        response = admin_client.post(f"{ADMIN}/product/add/", {**form, **bad})
        assert response.status_code == 200 and response.context["adminform"].form.errors, bad
    other_brand = Brand.objects.exclude(organisation=org).first()
    response = admin_client.post(f"{ADMIN}/product/add/", {**form, "brand": other_brand.pk})
    assert "This brand belongs to another organisation." in response.content.decode()
    assert list(Product.objects.order_by("id").values()) == before

    assert admin_client.post(f"{ADMIN}/product/add/", form).status_code == 302
    product = Product.objects.get(name="Lounge pass")
    assert (product.organisation_id, product.denominations, product.low_stock_threshold) == (org.pk, [30, 60], 5)


def test_editing_a_product_keeps_what_stock_depends_on(admin_client, shop):
    services.product_create(
        actor=system(shop.tenant),
        command=ProductCreate.parse(
            {
                "brand_id": shop.stock.brand.pk,
                "name": "Lounge pass",
                "currency": "EUR",
                "denominations": [30],
                "points_per_unit": 10,
                "country": "DE",
                "source": Product.Source.STOCK,
            }
        ),
    )
    url = f"{ADMIN}/product/{shop.stock.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(name="Travel voucher", currency="GBP", denominations="1,2", status="inactive", low_stock_threshold=3)

    assert admin_client.post(url, data).status_code == 302
    shop.stock.refresh_from_db()
    assert (shop.stock.name, shop.stock.status, shop.stock.low_stock_threshold) == ("Travel voucher", "inactive", 3)
    assert (shop.stock.currency, shop.stock.denominations) == ("EUR", [25, 50])  # fixed after creation

    taken = admin_client.post(url, {**data, "name": "Lounge pass"})  # the same brand has one
    assert taken.status_code == 200 and taken.context["adminform"].form.non_field_errors()
    assert admin_client.post(url, {**data, "name": "Gift card"}).status_code == 302  # another brand's name


def test_brands_are_created_by_the_service_and_names_stay_unique(admin_client, shop):
    org = shop.tenant.organisation
    assert admin_client.post(f"{ADMIN}/brand/add/", {"organisation": org.pk, "name": "Skyway"}).status_code == 200
    assert admin_client.post(f"{ADMIN}/brand/add/", {"organisation": org.pk, "name": " Lumen "}).status_code == 302
    lumen = Brand.objects.get(name="Lumen")
    renamed = admin_client.post(f"{ADMIN}/brand/{lumen.pk}/change/", {"name": "Bookworm"})
    assert renamed.status_code == 200 and renamed.context["adminform"].form.errors
    assert admin_client.post(f"{ADMIN}/brand/{lumen.pk}/change/", {"name": "Lumen Co"}).status_code == 302
    assert sorted(Brand.objects.filter(organisation=org).values_list("name", flat=True)) == [
        "Bookworm",
        "Lumen Co",
        "Skyway",
    ]


def test_campaigns_show_progress_and_a_failed_one_is_retried(admin_client, shop):
    done = Campaign.objects.get(campaign_id="C1")
    page = admin_client.get(f"{ADMIN}/campaign/{done.pk}/change/").content.decode()
    assert "100% · 2 of 2 processed" in page
    listed = admin_client.get(f"{ADMIN}/campaign/").content.decode()
    assert "OperationalError: boom" in listed and '<td class="field-points_drawn_shown">480</td>' in listed
    recipients = admin_client.get(f"{ADMIN}/campaignrecipient/?campaign__id__exact={done.pk}")
    assert [r.status for r in recipients.context["cl"].result_list] == ["issued", "issued"]

    response = admin_client.post(
        f"{ADMIN}/campaign/", {"action": "retry", "_selected_action": [done.pk, shop.campaign.pk]}, follow=True
    )

    html = response.content.decode()
    assert "C1: not failed, left as it is." in html and "C2: queued again." in html
    shop.campaign.refresh_from_db()
    done.refresh_from_db()
    assert (shop.campaign.status, shop.campaign.failures, done.status) == ("processing", 0, "completed")


def test_an_order_page_links_its_vouchers(admin_client, shop):
    order_row = Voucher.objects.get(order__order_id="O2").order
    page = admin_client.get(f"{ADMIN}/voucherorder/{order_row.pk}/change/").content.decode()
    assert f"{ADMIN}/voucher/?order__id__exact={order_row.pk}" in page
    listed = admin_client.get(f"{ADMIN}/voucher/?order__id__exact={order_row.pk}")
    assert [v.funding for v in listed.context["cl"].result_list] == ["programme"]
