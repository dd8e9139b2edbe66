import json

from django.core.management.base import BaseCommand, CommandError

from plum.core.actor import Actor
from plum.core.errors import DomainError, error_summary
from plum.core.timefmt import iso
from users import services
from users.commands import LONG_TOKEN_MAX_DAYS, ApiClientTokenIssue
from users.models import ApiClient


class Command(BaseCommand):
    help = (
        "Issue a long-lived bearer token to an API client (shown once), for a system that keeps one fixed"
        " token, such as an identity provider's SCIM connector: plum_token_issue <client_id> --scopes scim."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id", help="The API client's client_id")
        parser.add_argument(
            "--scopes", default="scim", help='Space-separated, each allowed to the client (default "scim")'
        )
        parser.add_argument("--days", type=int, default=365, help=f"Validity, 1 to {LONG_TOKEN_MAX_DAYS} days")
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args, **options):
        client = ApiClient.objects.filter(client_id=options["client_id"]).first()
        if client is None:
            raise CommandError(f"No API client {options['client_id']!r}.")
        try:
            scopes = options["scopes"].replace(",", " ").split()
            command = ApiClientTokenIssue.parse({"scopes": scopes, "days": options["days"]})
            actor = Actor.system(client.organisation_id, label="plum_token_issue")
            issued = services.api_client_issue_token(client=client, command=command, actor=actor)
        except DomainError as exc:
            raise CommandError(error_summary(exc)) from None
        out = {"access_token": issued.token, "scope": issued.scope, "expires_at": iso(issued.expires)}
        if options["json"]:
            self.stdout.write(json.dumps(out))
        else:
            self.stdout.write(f"access_token: {out['access_token']}  (shown once)")
            self.stdout.write(f"scope:        {out['scope']}\nexpires_at:   {out['expires_at']}")
