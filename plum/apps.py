from django.apps import AppConfig
from django.core import checks


class PlumConfig(AppConfig):
    """The composition root: checks that need every app's URLs and schema loaded."""

    name = "plum"

    def ready(self):
        checks.register(scopes_declared_check, checks.Tags.security)


def scopes_declared_check(app_configs, **kwargs):
    from plum.checks import undeclared_graphql_fields, undeclared_rest_actions

    return [
        checks.Error(f"{where} declares no scopes", hint="Set required_scopes / Meta.scopes", id="plum.E001")
        for where in undeclared_rest_actions() + undeclared_graphql_fields()
    ]
