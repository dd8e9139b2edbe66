import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from plum.core.scopes import ALL_SCOPES
from points.models import LedgerTransaction
from tests.conftest import token_request
from users.models import ApiClient, Employee, Organisation
from vouchers.models import Brand, Product, StockCode, StockImport


def run_json(*args) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_plum_demo_creates_a_tenant_with_employees_and_a_client(db):
    demo = run_json("plum_demo", "--employees", "30")

    organisation = Organisation.objects.get(slug="demo")
    assert demo["organisation"] == "demo"
    assert demo["employee_ids"] == [f"E{n:05d}" for n in range(1, 31)]
    assert Employee.objects.filter(organisation=organisation, status="active").count() == 30
    assert Employee.objects.filter(organisation=organisation).values("business_unit").distinct().count() > 1
    assert Employee.objects.filter(organisation=organisation).values("country").distinct().count() > 1
    assert sorted(ApiClient.objects.get(client_id=demo["client_id"]).allowed_scopes) == sorted(ALL_SCOPES)
    assert token_request(demo["client_id"], demo["client_secret"]).status_code == 200


def test_plum_demo_is_idempotent_and_slugs_give_independent_tenants(db):
    first = run_json("plum_demo", "--employees", "10")
    again = run_json("plum_demo", "--employees", "10")
    other = run_json("plum_demo", "--organisation", "initech", "--employees", "5")

    assert Employee.objects.filter(organisation__slug="demo").count() == 10
    assert again["employees"]["created"] == 0 and again["employees"]["unchanged"] == 10
    assert first["employee_ids"] == again["employee_ids"]
    assert Employee.objects.filter(organisation__slug="initech").count() == 5
    token = json.loads(token_request(other["client_id"], other["client_secret"]).content)["access_token"]
    from django.test import Client

    listed = Client().get("/api/v1/employees/?page_size=100", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert len(listed["results"]) == 5
    assert {e["email"].split("@")[1] for e in listed["results"]} == {"initech.example"}


def test_plum_client_create_prints_a_working_client_once(db):
    run_json("plum_demo", "--employees", "1")
    created = run_json("plum_client_create", "demo", "--scopes", "employees:read points:read")

    client = ApiClient.objects.get(client_id=created["client_id"])
    assert client.allowed_scopes == ["employees:read", "points:read"]
    assert created["client_secret"] not in client.client_secret
    assert token_request(created["client_id"], created["client_secret"]).json()["scope"] == "employees:read points:read"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--scopes", "employees:read"], "No organisation with slug 'nobody'."),
        (["demo", "--scopes", "employees:read root:all"], "Unknown scopes: root:all."),
        (["demo", "--scopes", "employees:read", "--name", "x" * 256], r"\(name: 1 to 255 characters.\)"),
        (["demo", "--scopes", "employees:read", "--name", "  "], r"\(name: 1 to 255 characters.\)"),
        (["demo", "--scopes", ","], "A client needs at least one scope."),
        (["demo\x00", "--scopes", "employees:read"], "No organisation with slug"),
    ],
)
def test_plum_client_create_refuses_bad_input(db, args, message):
    run_json("plum_demo", "--employees", "1")
    before = ApiClient.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("plum_client_create", *args)
    assert ApiClient.objects.count() == before


def test_dev_setup_seeds_once_and_prints_credentials(db, tmp_path, monkeypatch):
    from plum.management.commands import plum_dev_setup

    monkeypatch.setattr(plum_dev_setup, "STATE", tmp_path / "demo.json")
    first, second = StringIO(), StringIO()
    call_command("plum_dev_setup", stdout=first)
    call_command("plum_dev_setup", stdout=second)

    state = json.loads((tmp_path / "demo.json").read_text())
    assert state["client_id"] in first.getvalue() and state["client_secret"] in second.getvalue()
    # the variables the examples of README.md and docs/api.md start from
    assert f"export CLIENT_ID={state['client_id']} CLIENT_SECRET={state['client_secret']}\n" in first.getvalue()
    assert 'H="Authorization: Bearer $TOKEN"' in first.getvalue()
    assert Organisation.objects.filter(slug="demo").count() == 1
    assert ApiClient.objects.filter(organisation__slug="demo").count() == 1


def test_plum_demo_funds_a_demo_programme_once(db):
    first = run_json("plum_demo", "--employees", "2")
    again = run_json("plum_demo", "--employees", "2")

    demo_programme = {
        "code": "DEMO",
        "budget_balance": 10_000_000,
        "approval_threshold": 5_000,
        "points_validity_days": 365,
    }
    assert first["programmes"] == again["programmes"] == [demo_programme]
    assert LedgerTransaction.objects.filter(organisation__slug="demo", kind="topup").count() == 1
    token = json.loads(token_request(first["client_id"], first["client_secret"]).content)["access_token"]
    from django.test import Client

    answer = Client().post(
        "/api/v1/points/requests/",
        {"request_id": "demo-1", "employee_id": "E00001", "points": 5_000, "programme": "DEMO"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert (answer.status_code, answer.json()["status"]) == (202, "pending_approval")


def test_plum_demo_prints_its_programme_and_products(db):
    out = StringIO()
    call_command("plum_demo", "--employees", "1", stdout=out)
    assert "Programme DEMO (new): budget 10000000 points." in out.getvalue()
    assert (
        "Product Northwind Books Gift card (EUR): codes left per denomination 10: 50, 25: 50, 50: 50." in out.getvalue()
    )
    assert "Product Plum Reward card (INR): generated codes." in out.getvalue()


def test_plum_demo_seeds_a_voucher_catalogue_with_stock_once(db):
    first = run_json("plum_demo", "--employees", "1")
    again = run_json("plum_demo", "--employees", "1")

    ids = {p.name: str(p.pk) for p in Product.objects.filter(organisation__slug="demo")}

    def stock(*denominations):
        return [{"denomination": d, "available": 50} for d in denominations]

    assert (
        first["products"]
        == again["products"]
        == [
            {
                "id": ids["Coffee card"],
                "brand": "Harbour Coffee",
                "name": "Coffee card",
                "currency": "GBP",
                "denominations": [5, 10],
                "points_per_unit": 12,
                "validity_days": 180,
                "country": "GB",
                "category": "food",
                "source": "stock",
                "in_stock": True,
                "stock": stock(5, 10),
            },
            {
                "id": ids["Gift card"],
                "brand": "Northwind Books",
                "name": "Gift card",
                "currency": "EUR",
                "denominations": [10, 25, 50],
                "points_per_unit": 10,
                "validity_days": 365,
                "country": "DE",
                "category": "books",
                "source": "stock",
                "in_stock": True,
                "stock": stock(10, 25, 50),
            },
            {
                "id": ids["Reward card"],
                "brand": "Plum",
                "name": "Reward card",
                "currency": "INR",
                "denominations": [500, 1000],
                "points_per_unit": 1,
                "validity_days": 365,
                "country": "IN",
                "category": "general",
                "source": "generated",
                "in_stock": True,
                "stock": None,
            },
        ]
    )
    assert Brand.objects.filter(organisation__slug="demo").count() == 3
    assert list(StockImport.objects.values_list("status", "rows", "filename").order_by("rows")) == [
        ("imported", 100, "plum_demo.csv"),
        ("imported", 150, "plum_demo.csv"),
    ]
    coffee = StockCode.objects.filter(product_id=ids["Coffee card"])
    assert coffee.count() == coffee.filter(pin_ciphertext__isnull=False).count() == 100
    assert not StockCode.objects.filter(product_id=ids["Gift card"], pin_ciphertext__isnull=False).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organisation", "Bad Slug"], "--organisation must be a slug"),
        (["--organisation", "x\x00"], "--organisation must be a slug"),
        (["--organisation", "a" * 65], "--organisation must be a slug"),
        (["--employees", "-1"], "--employees must be 0 or more."),
    ],
)
def test_plum_demo_refuses_bad_arguments_before_writing(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("plum_demo", *args)
    assert not Organisation.objects.exists() and not ApiClient.objects.exists()
