import json
import random

from django.core.management.base import BaseCommand, CommandError

from plum.core.actor import Actor
from plum.core.scopes import ALL_SCOPES
from users import services

BUSINESS_UNITS = ["ENG", "SALES", "OPS", "HR", "FIN"]
COST_CENTRES = ["CC-100", "CC-200", "CC-300", "CC-400"]
COUNTRIES = ["GB", "IN", "US", "DE", "SG"]
DEPARTMENTS = ["Platform", "Field Sales", "Support", "People", "Finance"]
FIRST = ["Asha", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gita", "Hugo", "Ines", "Jon"]
LAST = ["Rao", "Smith", "Li", "Okafor", "Mueller", "Khan", "Silva", "Novak", "Sato", "Berg"]


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


class Command(BaseCommand):
    help = "Create (idempotently) a demo organisation with employees and an API client allowed every scope."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", default="demo", help="Organisation slug")
        parser.add_argument("--employees", type=int, default=50)
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args, **options):
        slug = options["organisation"]
        organisation, _ = services.organisation_ensure(slug=slug, name=f"{slug.title()} Ltd")
        records = demo_records(slug, options["employees"])
        actor = Actor.system(organisation.id, label="plum_demo")
        result = services.employees_sync(actor=actor, mode="upsert", source="demo", records=records)
        if result.errors:
            raise CommandError(f"Demo records were refused: {result.errors[:3]}")
        # A client is created per run: secrets are stored hashed, so an old one cannot be shown again.
        issued = services.api_client_create(organisation=organisation, name=f"{slug} demo client", scopes=ALL_SCOPES)
        out = {
            "organisation": slug,
            "organisation_id": str(organisation.id),
            "client_id": issued.client.client_id,
            "client_secret": issued.client_secret,
            "scopes": list(ALL_SCOPES),
            "employee_ids": [r["employee_id"] for r in records],
            "employees": result.as_dict() | {"errors": len(result.errors)},
        }
        if options["json"]:
            self.stdout.write(json.dumps(out))
            return
        self.stdout.write(f"Organisation {slug}: {len(records)} employees ({result.created} new).")
        self.stdout.write(f"client_id:     {out['client_id']}\nclient_secret: {out['client_secret']}  (shown once)")
