"""/scim/v2/Groups: the organisation's business units as SCIM groups."""

from scim2_models import Context, ListResponse

from integrations.scim import commands
from integrations.scim.api.transport import ScimView, resource_answer, scim_response
from integrations.scim.api.users import if_match
from integrations.scim.resources import Group
from integrations.scim.selectors import groups as selectors
from integrations.scim.services import groups as services
from plum.api.auth import actor_of


def group_resources(view: ScimView, request, actor, groups) -> list[Group]:
    members = selectors.members_of(actor=actor, groups=groups)
    base_url = view.base_url(request)
    return [selectors.group_resource(group, members[group.display_name], base_url) for group in groups]


def groups_list(view: ScimView, request, query, context: Context):
    actor = actor_of(request)
    services.groups_adopt(actor=actor)
    node = query.filter.ast if query.filter else None
    total, page = selectors.group_page(actor=actor, node=node, start_index=query.start_index, count=query.count)
    answer = ListResponse[Group](
        total_results=total,
        start_index=query.start_index,
        items_per_page=len(page),
        resources=group_resources(view, request, actor, page),
    )
    return scim_response(answer.model_dump(scim_ctx=context, response_parameters=query.shown))


def shown(view: ScimView, request):
    return commands.shown_attributes(Group, view.query_parameters(request))


def group_answer(view: ScimView, request, group, context: Context, shown, status: int = 200):
    resource = group_resources(view, request, actor_of(request), [group])[0]
    return resource_answer(resource, context, shown, status)


class GroupsView(ScimView):
    def get(self, request):
        query = commands.list_query(Group, self.query_parameters(request))
        return groups_list(self, request, query, Context.RESOURCE_QUERY_RESPONSE)

    def post(self, request):
        attributes = shown(self, request)
        group = services.group_create(actor=actor_of(request), command=commands.group_create(request.data))
        return group_answer(self, request, group, Context.RESOURCE_CREATION_RESPONSE, attributes, status=201)


class GroupsSearchView(ScimView):
    def post(self, request):
        query = commands.search_query(Group, request.data)
        return groups_list(self, request, query, Context.SEARCH_RESPONSE)


class GroupView(ScimView):
    def get(self, request, group_id):
        actor, attributes = actor_of(request), shown(self, request)
        group = selectors.group_get(actor=actor, group_id=group_id)
        resource = group_resources(self, request, actor, [group])[0]
        if request.headers.get("If-None-Match") == resource.meta.version:
            return scim_response(None, status=304, version=resource.meta.version)
        return resource_answer(resource, Context.RESOURCE_QUERY_RESPONSE, attributes)

    def put(self, request, group_id):
        attributes = shown(self, request)
        command = commands.group_replace(group_id, request.data, if_match(request))
        group = services.group_replace(actor=actor_of(request), command=command)
        return group_answer(self, request, group, Context.RESOURCE_REPLACEMENT_RESPONSE, attributes)

    def patch(self, request, group_id):
        attributes = shown(self, request)
        command = commands.resource_patch(Group, group_id, request.data, if_match(request))
        group = services.group_patch(actor=actor_of(request), command=command)
        return group_answer(self, request, group, Context.RESOURCE_PATCH_RESPONSE, attributes)

    def delete(self, request, group_id):
        command = commands.ResourceRef(resource_id=group_id, if_match=if_match(request))
        services.group_delete(actor=actor_of(request), command=command)
        return scim_response(None, status=204)
