"""The discovery endpoints (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes, /Schemas, and the search
over every resource type at the root (POST /.search)."""

from scim2_models import Context, ListResponse, ResourceType, Schema

from integrations.scim import commands
from integrations.scim.api.groups import group_resources
from integrations.scim.api.transport import ScimView, scim_response
from integrations.scim.errors import ScimError, ScimErrorCode, not_found
from integrations.scim.resources import PROVIDER, SCHEMAS, SERVICE_PROVIDER_CONFIG, FullUser, Group, with_meta
from integrations.scim.selectors import search
from integrations.scim.selectors.users import user_resource
from integrations.scim.services import groups as groups_services
from integrations.scim.services import users as users_services
from plum.api.auth import actor_of

QUERY = Context.RESOURCE_QUERY_RESPONSE


class DiscoveryView(ScimView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "filter" in request.query_params:
            # RFC 7644 §4: a filter here is refused, so that no client takes its conditions as met
            raise ScimError(ScimErrorCode.FORBIDDEN, "The discovery endpoints take no filter.")

    def resource_types(self, request) -> list[ResourceType]:
        base_url = self.base_url(request)
        return [with_meta(t, "ResourceType", f"{base_url}/ResourceTypes/{t.id}") for t in PROVIDER.resource_types]

    def schemas(self, request) -> list[Schema]:
        return [with_meta(s, "Schema", f"{self.base_url(request)}/Schemas/{s.id}") for s in SCHEMAS]


def listed(model, resources) -> dict:
    answer = ListResponse[model](
        total_results=len(resources), start_index=1, items_per_page=len(resources), resources=resources
    )
    return answer.model_dump(scim_ctx=QUERY)


class ServiceProviderConfigView(DiscoveryView):
    def get(self, request):
        location = f"{self.base_url(request)}/ServiceProviderConfig"
        config = with_meta(SERVICE_PROVIDER_CONFIG, "ServiceProviderConfig", location)
        return scim_response(config.model_dump(scim_ctx=QUERY))


class ResourceTypesView(DiscoveryView):
    def get(self, request):
        return scim_response(listed(ResourceType, self.resource_types(request)))


class ResourceTypeView(DiscoveryView):
    def get(self, request, resource_type_id):
        found = [t for t in self.resource_types(request) if t.id == resource_type_id]
        if not found:
            raise not_found("resource type", resource_type_id)
        return scim_response(found[0].model_dump(scim_ctx=QUERY))


class SchemasView(DiscoveryView):
    def get(self, request):
        return scim_response(listed(Schema, self.schemas(request)))


class SchemaView(DiscoveryView):
    def get(self, request, schema_id):
        found = [s for s in self.schemas(request) if s.id.lower() == schema_id.lower()]
        if not found:
            raise not_found("schema", schema_id)
        return scim_response(found[0].model_dump(scim_ctx=QUERY))


class RootSearchView(ScimView):
    """Users and Groups at once: the filter may name the attributes of either."""

    def post(self, request):
        query = commands.search_query(FullUser | Group, request.data)
        actor = actor_of(request)
        users_services.users_adopt(actor=actor)
        groups_services.groups_adopt(actor=actor)
        node = query.filter.ast if query.filter else None
        total, identities, groups = search.root_page(
            actor=actor, node=node, start_index=query.start_index, count=query.count
        )
        base_url = self.base_url(request)
        resources = [user_resource(identity, base_url) for identity in identities]
        resources += group_resources(self, request, actor, groups)
        answer = ListResponse[FullUser | Group](
            total_results=total, start_index=query.start_index, items_per_page=len(resources), resources=resources
        )
        return scim_response(answer.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=query.shown))
