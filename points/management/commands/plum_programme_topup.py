import json

from django.core.management.base import BaseCommand, CommandError

from plum.core.actor import Actor
from plum.core.errors import DomainError, error_summary
from points import selectors, services
from points.commands import ProgrammeTopupCommand
from users.selectors import organisation_get_by_slug


class Command(BaseCommand):
    help = "Top up a programme's budget from its organisation's funding account."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Organisation slug")
        parser.add_argument("code", help="Programme code")
        parser.add_argument("points", type=int, help="Points to add (a whole number from 1)")
        parser.add_argument("--memo", default="", help="Kept on the ledger transaction")
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args, slug, code, points, memo, **options):
        organisation = organisation_get_by_slug(slug)
        if organisation is None:
            raise CommandError(f"No organisation with slug {slug!r}.")
        actor = Actor.system(organisation.id, label="plum_programme_topup")
        try:
            command = ProgrammeTopupCommand.parse(
                {"programme": code, "points": points, "memo": memo or "Top-up by plum_programme_topup"}
            )
            transaction = services.programme_topup(actor=actor, command=command)
        except DomainError as exc:
            raise CommandError(error_summary(exc)) from None
        balance = selectors.programme_get(actor=actor, code=code).budget_balance
        if options["json"]:
            out = {"organisation": slug, "programme": code, "points": points, "budget_balance": balance}
            self.stdout.write(json.dumps(out | {"transaction_id": str(transaction.id)}))
            return
        self.stdout.write(f"Added {points} points to {code} in {slug}; its budget is now {balance} points.")
