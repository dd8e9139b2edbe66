"""The SCIM resources Plum serves, as scim2-models models: the schemas it publishes are built from them.

Only what Plum stores is declared, so a published attribute always reads back as it was written.
Attributes an identity provider sends that are not declared here (displayName, phoneNumbers, addresses,
name.formatted, …) are ignored, as the policy says.
"""

from typing import Annotated, Any, ClassVar

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    ExtensibleStringEnum,
    Extension,
    Filter,
    Meta,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Returned,
    Schema,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

MAX_RESULTS = 200  # a page holds at most this many resources (filter.maxResults)
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

# Tolerant where identity providers are known to depart from the RFCs (Microsoft Entra ID above all):
# undeclared attributes are dropped, a PATCH remove may select values by its `value`, and a PATCH on
# `emails[type eq "work"].value` creates that entry when there is none.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


class Name(ComplexAttribute):
    family_name: Annotated[str | None, Required.true] = None
    """The employee's last name."""

    given_name: Annotated[str | None, Required.true] = None
    """The employee's first name."""


class Email(ComplexAttribute):
    class Type(ExtensibleStringEnum):
        work = "work"
        home = "home"
        other = "other"

    value: Annotated[str | None, Required.true] = None
    """The employee's email."""

    type: Type | None = None
    """A label, e.g. 'work'."""

    primary: bool | None = None
    """Whether this is the primary address."""


class User(Resource[Any]):
    """A Plum employee. Plum keeps one email: the primary (or else the work, or else the first) entry."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """Unique in the organisation, whatever its case."""

    name: Annotated[Name | None, Required.true] = None
    """The employee's first and last names."""

    Name: ClassVar[type[ComplexAttribute]] = Name

    title: str | None = None
    """The employee's role."""

    active: Annotated[bool | None, Required.true] = None
    """false for an inactive employee (whose wallet refuses new credits). Plum assumes true when a
    creation leaves it out."""

    emails: Annotated[list[Email] | None, Required.true] = None
    """One entry: the employee's email."""

    Emails: ClassVar[type[ComplexAttribute]] = Email


class Manager(ComplexAttribute):
    value: Annotated[str | None, Required.true, CaseExact.true] = None
    """The SCIM id of the employee's manager."""

    ref: Reference["User"] | None = Field(None, serialization_alias="$ref", validation_alias="$ref")
    """The URI of the manager's User resource."""


class EnterpriseUser(Extension):
    """The enterprise extension, mapped onto the employee."""

    __schema__ = URN(ENTERPRISE_SCHEMA)

    employee_number: Annotated[str | None, Mutability.read_only, Returned.request, CaseExact.true] = None
    """The employee_id: letters, digits and . _ @ : + - (not first), at most 64. Plum takes it from a
    creation (POST) and derives one from userName when it is left out; it never changes afterwards, so
    any later value is ignored (PUT) or refused (PATCH). Returned when asked for (attributes=…)."""

    cost_center: str | None = None
    """The cost centre's code (created on first use)."""

    organization: str | None = None
    """Kept as the identity provider sent it; Plum's business unit is `division`."""

    division: str | None = None
    """The business unit's code (created on first use), which is also the employee's Group."""

    department: str | None = None
    """The employee's department."""

    manager: Manager | None = None
    """The employee's manager."""


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The member's SCIM id."""

    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The URI of the member's User resource."""

    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])
    """Always 'User': business units do not nest."""


class Group(Resource[Any]):
    """A business unit. Its members are the employees of that unit: adding a user moves the employee."""

    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true] = None
    """The business unit's code: unique in the organisation, at most 64 characters."""

    members: list[GroupMember] | None = None
    """The employees of the business unit."""

    Members: ClassVar[type[ComplexAttribute]] = GroupMember


FullUser = User[EnterpriseUser]

SERVICE_PROVIDER_CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=True),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="OAuth Bearer Token",
            description="An access token of an API client whose organisation allows it the scope `scim`, "
            "from POST /oauth/token/ (client credentials), sent as Authorization: Bearer <token>.",
            spec_uri="https://www.rfc-editor.org/rfc/rfc6750",
            primary=True,
        )
    ],
)

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[ResourceType.from_resource(FullUser), ResourceType.from_resource(Group)],
    config=SERVICE_PROVIDER_CONFIG,
    policy=POLICY,
)

# /Schemas also describes the discovery resources themselves (RFC 7643 §7 and §8.7.2).
SCHEMAS: tuple[Schema, ...] = (
    *PROVIDER.schemas,
    *(m.to_schema() for m in (ResourceType, ServiceProviderConfig, Schema)),
)


def with_meta(resource, resource_type: str, location: str):
    """A copy of a discovery resource with its `meta` (resourceType and location)."""
    return resource.model_copy(update={"meta": Meta(resource_type=resource_type, location=location)})
