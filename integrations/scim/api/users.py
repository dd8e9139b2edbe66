"""/scim/v2/Users: SCIM users onto the organisation's employees."""

from scim2_models import Context, ListResponse

from integrations.scim import commands
from integrations.scim.api.transport import ScimView, resource_answer, scim_response
from integrations.scim.resources import FullUser
from integrations.scim.selectors import users as selectors
from integrations.scim.services import users as services
from plum.api.auth import actor_of


def if_match(request) -> str | None:
    return request.headers.get("If-Match")


def users_list(view: ScimView, request, query, context: Context):
    actor = actor_of(request)
    services.users_adopt(actor=actor)
    node = query.filter.ast if query.filter else None
    total, page = selectors.user_page(actor=actor, node=node, start_index=query.start_index, count=query.count)
    base_url = view.base_url(request)
    answer = ListResponse[FullUser](
        total_results=total,
        start_index=query.start_index,
        items_per_page=len(page),
        resources=[selectors.user_resource(identity, base_url) for identity in page],
    )
    return scim_response(answer.model_dump(scim_ctx=context, response_parameters=query.shown))


def shown(view: ScimView, request):
    return commands.shown_attributes(FullUser, view.query_parameters(request))


def user_answer(view: ScimView, request, identity, context: Context, shown, status: int = 200):
    return resource_answer(selectors.user_resource(identity, view.base_url(request)), context, shown, status)


class UsersView(ScimView):
    def get(self, request):
        query = commands.list_query(FullUser, self.query_parameters(request))
        return users_list(self, request, query, Context.RESOURCE_QUERY_RESPONSE)

    def post(self, request):
        attributes = shown(self, request)
        identity = services.user_create(actor=actor_of(request), command=commands.user_create(request.data))
        return user_answer(self, request, identity, Context.RESOURCE_CREATION_RESPONSE, attributes, status=201)


class UsersSearchView(ScimView):
    def post(self, request):
        query = commands.search_query(FullUser, request.data)
        return users_list(self, request, query, Context.SEARCH_RESPONSE)


class UserView(ScimView):
    def get(self, request, user_id):
        actor, attributes = actor_of(request), shown(self, request)
        services.users_adopt(actor=actor, employee_pk=user_id)
        identity = selectors.user_get(actor=actor, user_id=user_id)
        if request.headers.get("If-None-Match") == selectors.user_version(identity):
            return scim_response(None, status=304, version=selectors.user_version(identity))
        return user_answer(self, request, identity, Context.RESOURCE_QUERY_RESPONSE, attributes)

    def put(self, request, user_id):
        actor, attributes = actor_of(request), shown(self, request)
        command = commands.user_replace(user_id, request.data, if_match(request))
        services.users_adopt(actor=actor, employee_pk=user_id)
        identity = services.user_replace(actor=actor, command=command)
        return user_answer(self, request, identity, Context.RESOURCE_REPLACEMENT_RESPONSE, attributes)

    def patch(self, request, user_id):
        actor, attributes = actor_of(request), shown(self, request)
        command = commands.resource_patch(FullUser, user_id, request.data, if_match(request))
        services.users_adopt(actor=actor, employee_pk=user_id)
        identity = services.user_patch(actor=actor, command=command)
        return user_answer(self, request, identity, Context.RESOURCE_PATCH_RESPONSE, attributes)

    def delete(self, request, user_id):
        actor = actor_of(request)
        services.users_adopt(actor=actor, employee_pk=user_id)
        command = commands.ResourceRef(resource_id=user_id, if_match=if_match(request))
        services.user_delete(actor=actor, command=command)
        return scim_response(None, status=204)
