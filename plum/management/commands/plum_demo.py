"""`plum_demo`: a demo organisation with employees, an API client, a funded programme and a voucher catalogue.

It lives in the composition root because it seeds several apps (users may not import points).
"""

import json
import random
import re
import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from plum.core.actor import Actor
from plum.core.errors import ValidationFailed
from plum.core.scopes import ALL_SCOPES
from points import selectors as points_selectors
from points import services as points_services
from points.commands import ProgrammeCommand, ProgrammeTopupCommand
from points.errors import PointsError, PointsErrorCode
from users import services
from users.commands import ApiClientCreate, EmployeesSync
from vouchers import commands as vouchers_commands
from vouchers import selectors as vouchers_selectors
from vouchers import services as vouchers_services
from vouchers.models import Product, StockImport

BUSINESS_UNITS = ["ENG", "SALES", "OPS", "HR", "FIN"]
COST_CENTRES = ["CC-100", "CC-200", "CC-300", "CC-400"]
COUNTRIES = ["GB", "IN", "US", "DE", "SG"]
DEPARTMENTS = ["Platform", "Field Sales", "Support", "People", "Finance"]
FIRST = ["Asha", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gita", "Hugo", "Ines", "Jon"]
LAST = ["Rao", "Smith", "Li", "Okafor", "Mueller", "Khan", "Silva", "Novak", "Sato", "Berg"]
DEMO_PROGRAMME = {
    "code": "DEMO",
    "name": "Demo recognition",
    "approval_threshold": 5_000,
    "points_validity_days": 365,
}
DEMO_BUDGET = 10_000_000
DEMO_CATALOGUE = [
    {
        "brand": "Northwind Books",
        "name": "Gift card",
        "currency": "EUR",
        "denominations": [10, 25, 50],
        "points_per_unit": 10,
        "validity_days": 365,
        "country": "DE",
        "category": "books",
        "source": Product.Source.STOCK,
    },
    {
        "brand": "Harbour Coffee",
        "name": "Coffee card",
        "currency": "GBP",
        "denominations": [5, 10],
        "points_per_unit": 12,
        "validity_days": 180,
        "country": "GB",
        "category": "food",
        "source": Product.Source.STOCK,
        "pins": True,
    },
    {
        "brand": "Plum",
        "name": "Reward card",
        "currency": "INR",
        "denominations": [500, 1000],
        "points_per_unit": 1,
        "validity_days": 365,
        "country": "IN",
        "category": "general",
        "source": Product.Source.GENERATED,
    },
]
DEMO_CODES_PER_DENOMINATION = 50

# the slug also names the demo employees' e-mail domain, so no underscores
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def demo_records(slug: str, count: int) -> list[dict]:
    rng = random.Random(slug)  # the same organisation always gets the same people
    records = []
    for n in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        unit = n % len(BUSINESS_UNITS)
        records.append(
            {
                "employee_id": f"E{n:05d}",
                "email": f"{first}.{last}.{n}@{slug}.example".lower(),
                "first_name": first,
                "last_name": last,
                "business_unit": BUSINESS_UNITS[unit],
                "department": DEPARTMENTS[unit],
                "cost_centre": COST_CENTRES[n % len(COST_CENTRES)],
                "country": COUNTRIES[n % len(COUNTRIES)],
                "role": "Manager" if n <= 5 else "Associate",
                "manager_employee_id": None if n <= 5 else f"E{(n % 5) + 1:05d}",
                "hire_date": f"20{15 + n % 10}-0{1 + n % 9}-1{n % 10}",
            }
        )
    return records


def demo_programme_ensure(actor: Actor) -> bool:
    """Create the DEMO programme and fund it, once: answers whether it was created by this call.
    The unique programme code decides, so a rerun (or a parallel run) never tops it up twice."""
    try:
        with transaction.atomic():
            points_services.programme_create(actor=actor, command=ProgrammeCommand.parse(DEMO_PROGRAMME))
            funding = {"programme": DEMO_PROGRAMME["code"], "points": DEMO_BUDGET, "memo": "plum_demo funding"}
            points_services.programme_topup(actor=actor, command=ProgrammeTopupCommand.parse(funding))
    except PointsError as exc:
        if exc.code != PointsErrorCode.PROGRAMME_EXISTS:
            raise
        return False
    return True


def demo_stock_csv(product: Product, pins: bool) -> bytes:
    """Random codes, as a brand would sell them (some brands add a PIN)."""
    lines = ["code,pin,denomination,expires_at"]
    for denomination in product.denominations:
        for _ in range(DEMO_CODES_PER_DENOMINATION):
            pin = f"{secrets.randbelow(10_000):04d}" if pins else ""
            lines.append(f"DEMO-{secrets.token_hex(6).upper()},{pin},{denomination},")
    return ("\n".join(lines) + "\n").encode()


def demo_product_ensure(actor: Actor, spec: dict) -> None:
    """Create a demo product with its stock, once. The unique product name per brand decides,
    so a rerun (or a parallel run) never imports its codes twice."""
    brand = vouchers_services.brand_create(actor=actor, command=vouchers_commands.BrandCreate(name=spec["brand"]))
    fields = {k: v for k, v in spec.items() if k not in ("brand", "pins")}
    try:
        with transaction.atomic():
            command = vouchers_commands.ProductCreate(brand_id=brand.pk, **fields)
            product = vouchers_services.product_create(actor=actor, command=command)
            if product.source == Product.Source.STOCK:
                csv_file = demo_stock_csv(product, spec.get("pins", False))
                command = vouchers_commands.StockFileImport(
                    product_id=product.pk, content=csv_file, filename="plum_demo.csv"
                )
                record = vouchers_services.stock_import(actor=actor, command=command)
                if record.status != StockImport.Status.IMPORTED:
                    raise CommandError(f"Demo stock was refused: {record.errors[:3]}")
    except (IntegrityError, ValidationFailed):
        if not Product.objects.filter(organisation_id=actor.organisation_id, brand=brand, name=spec["name"]).exists():
            raise
        # made by an earlier run, with its stock


def demo_products(actor: Actor) -> list[dict]:
    """The organisation's catalogue as the API lists it, with the codes left per denomination."""
    products = list(vouchers_selectors.product_list(actor=actor))
    levels = vouchers_selectors.stock_levels([p.pk for p in products])
    return [
        vouchers_selectors.product_document(p, None if p.source == Product.Source.GENERATED else levels.get(p.pk, {}))
        for p in products
    ]


class Command(BaseCommand):
    help = (
        "Create (idempotently) a demo organisation with employees, an API client allowed every scope, "
        "a DEMO programme funded with 10,000,000 points, and three voucher products (two with imported stock)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", default="demo", help="Organisation slug")
        parser.add_argument("--employees", type=int, default=50)
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args, **options):
        slug = options["organisation"]
        if not SLUG.fullmatch(slug):  # checked before anything is written
            raise CommandError(f"--organisation must be a slug of 1 to 64 lower-case letters, digits and -: {slug!r}.")
        if options["employees"] < 0:
            raise CommandError("--employees must be 0 or more.")
        organisation, _ = services.organisation_ensure(slug=slug, name=f"{slug.title()} Ltd")
        records = demo_records(slug, options["employees"])
        actor = Actor.system(organisation.id, label="plum_demo")
        command = EmployeesSync.parse({"mode": "upsert", "source": "demo", "employees": records})
        result = services.employees_sync(actor=actor, command=command)
        if result.errors:
            raise CommandError(f"Demo records were refused: {result.errors[:3]}")
        programme_created = demo_programme_ensure(actor)
        for spec in DEMO_CATALOGUE:
            demo_product_ensure(actor, spec)
        # A client is created per run: secrets are stored hashed, so an old one cannot be shown again.
        client = ApiClientCreate(name=f"{slug} demo client", allowed_scopes=list(ALL_SCOPES))
        issued = services.api_client_create(organisation=organisation, command=client)
        out = {
            "organisation": slug,
            "organisation_id": str(organisation.id),
            "client_id": issued.client.client_id,
            "client_secret": issued.client_secret,
            "scopes": list(ALL_SCOPES),
            "employee_ids": [r["employee_id"] for r in records],
            "employees": result.as_dict() | {"errors": len(result.errors)},
            "programmes": [
                {
                    "code": p.code,
                    "budget_balance": p.budget_balance,
                    "approval_threshold": p.approval_threshold,
                    "points_validity_days": p.points_validity_days,
                }
                for p in points_selectors.programme_list(actor=actor).order_by("code")
            ],
            "products": demo_products(actor),
        }
        if options["json"]:
            self.stdout.write(json.dumps(out))
            return
        self.stdout.write(f"Organisation {slug}: {len(records)} employees ({result.created} new).")
        for p in out["programmes"]:
            new = " (new)" if programme_created and p["code"] == DEMO_PROGRAMME["code"] else ""
            self.stdout.write(f"Programme {p['code']}{new}: budget {p['budget_balance']} points.")
        for p in out["products"]:
            left = ", ".join(f"{level['denomination']}: {level['available']}" for level in p["stock"] or [])
            stock = f"codes left per denomination {left}" if left else "generated codes"
            self.stdout.write(f"Product {p['brand']} {p['name']} ({p['currency']}): {stock}.")
        self.stdout.write(f"client_id:     {out['client_id']}\nclient_secret: {out['client_secret']}  (shown once)")
