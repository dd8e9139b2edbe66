import json

from django.core.management.base import BaseCommand, CommandError

from plum.core.actor import Actor
from plum.core.errors import DomainError, error_summary
from users import selectors, services
from users.commands import ApiClientCreate


class Command(BaseCommand):
    help = "Create an API client for an organisation and print its id and secret (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Organisation slug")
        parser.add_argument("--scopes", required=True, help='e.g. "employees:read points:write"')
        parser.add_argument("--name", default="API client")
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args, **options):
        organisation = selectors.organisation_get_by_slug(options["slug"])
        if organisation is None:
            raise CommandError(f"No organisation with slug {options['slug']!r}.")
        try:
            scopes = options["scopes"].replace(",", " ").split()
            command = ApiClientCreate.parse({"name": options["name"], "allowed_scopes": scopes})
            actor = Actor.system(organisation.id, label="plum_client_create")
            issued = services.api_client_create(organisation=organisation, command=command, actor=actor)
        except DomainError as exc:
            raise CommandError(error_summary(exc)) from None
        out = {
            "organisation": organisation.slug,
            "client_id": issued.client.client_id,
            "client_secret": issued.client_secret,
            "scopes": issued.client.allowed_scopes,
        }
        if options["json"]:
            self.stdout.write(json.dumps(out))
        else:
            self.stdout.write(f"client_id:     {out['client_id']}\nclient_secret: {out['client_secret']}  (shown once)")
            self.stdout.write(f"scopes:        {' '.join(out['scopes'])}")
