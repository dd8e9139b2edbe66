"""/scim/v2/: the SCIM 2.0 endpoints (docs/scim.md). A trailing slash is accepted; any other path is a
SCIM 404."""

from django.urls import path, re_path

from integrations.scim.api import discovery, groups, users
from integrations.scim.api.transport import not_found

ID = r"(?P<{}>[^/]+)"

urlpatterns = [
    path("", not_found, name="scim-root"),
    re_path(r"^ServiceProviderConfig/?$", discovery.ServiceProviderConfigView.as_view(), name="scim-config"),
    re_path(r"^ResourceTypes/?$", discovery.ResourceTypesView.as_view(), name="scim-resource-types"),
    re_path(rf"^ResourceTypes/{ID.format('resource_type_id')}/?$", discovery.ResourceTypeView.as_view()),
    re_path(r"^Schemas/?$", discovery.SchemasView.as_view(), name="scim-schemas"),
    re_path(rf"^Schemas/{ID.format('schema_id')}/?$", discovery.SchemaView.as_view()),
    re_path(r"^\.search/?$", discovery.RootSearchView.as_view(), name="scim-search"),
    re_path(r"^Users/?$", users.UsersView.as_view(), name="scim-users"),
    re_path(r"^Users/\.search/?$", users.UsersSearchView.as_view(), name="scim-users-search"),
    re_path(rf"^Users/{ID.format('user_id')}/?$", users.UserView.as_view(), name="scim-user"),
    re_path(r"^Groups/?$", groups.GroupsView.as_view(), name="scim-groups"),
    re_path(r"^Groups/\.search/?$", groups.GroupsSearchView.as_view(), name="scim-groups-search"),
    re_path(rf"^Groups/{ID.format('group_id')}/?$", groups.GroupView.as_view(), name="scim-group"),
    re_path(r"^.*$", not_found),
]
