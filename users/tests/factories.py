"""factory_boy factories for the users app's rows: build only what a test is about.

Employees are stored rows (no event, no validation): a test of a door or a service builds its world
here and then calls the door. API clients are issued by the service, which hashes the secret.
"""

import factory
from factory.django import DjangoModelFactory

from plum.core.scopes import ALL_SCOPES
from users import services
from users.commands import ApiClientCreate
from users.models import BusinessUnit, CostCentre, Employee, Organisation


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda organisation: organisation.slug.title())


class BusinessUnitFactory(DjangoModelFactory):
    class Meta:
        model = BusinessUnit
        django_get_or_create = ("organisation", "code")

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"BU{n}")


class CostCentreFactory(DjangoModelFactory):
    class Meta:
        model = CostCentre
        django_get_or_create = ("organisation", "code")

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"CC{n}")


class EmployeeFactory(DjangoModelFactory):
    class Meta:
        model = Employee

    organisation = factory.SubFactory(OrganisationFactory)
    employee_id = factory.Sequence(lambda n: f"E{n}")
    email = factory.LazyAttribute(lambda employee: f"{employee.employee_id.lower()}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"


class ApiClientFactory(factory.Factory):
    """Answers the service's IssuedClient (the client and its plain secret, shown once)."""

    class Meta:
        model = ApiClientCreate

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"client {n}")
    allowed_scopes = factory.LazyFunction(lambda: list(ALL_SCOPES))

    @classmethod
    def _create(cls, model_class, organisation, **fields):
        return services.api_client_create(organisation=organisation, command=model_class.parse(fields))

    _build = _create
