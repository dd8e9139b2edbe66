"""Write or check the committed API snapshots: openapi.yaml and schema.graphql."""

import difflib
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

OPENAPI = Path(settings.BASE_DIR) / "openapi.yaml"
GRAPHQL = Path(settings.BASE_DIR) / "schema.graphql"


def openapi_text() -> str:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def graphql_text() -> str:
    from plum.schema import schema

    return str(schema).rstrip() + "\n"


class Command(BaseCommand):
    help = "Regenerate openapi.yaml and schema.graphql, or with --check fail when they differ from the code."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, check=False, **options):
        call_command("check", fail_level="ERROR")
        stale = []
        for path, text in ((OPENAPI, openapi_text()), (GRAPHQL, graphql_text())):
            current = path.read_text() if path.exists() else ""
            if current == text:
                continue
            if check:
                diff = difflib.unified_diff(current.splitlines(), text.splitlines(), str(path), "code", lineterm="")
                self.stderr.write("\n".join(list(diff)[:60]))
                stale.append(path.name)
            else:
                path.write_text(text)
                self.stdout.write(f"wrote {path.name}")
        if stale:
            raise CommandError(f"{', '.join(stale)} differ from the code: run `make schema` and commit.")
        if check:
            self.stdout.write("openapi.yaml and schema.graphql match the code")
