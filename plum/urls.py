"""HTTP composition root."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from integrations.chat.api import rest as chat_rest
from integrations.events.api import hooks as event_hooks
from integrations.events.api import rest as events_rest
from integrations.hrms.api import rest as hrms_rest
from integrations.webhooks.api import deliveries as webhook_deliveries
from integrations.webhooks.api import rest as webhooks_rest
from plum.api import audit as audit_rest
from plum.api.graphql.view import GraphQLEndpoint
from plum.api.oauth import TokenView
from plum.api.scopes import PUBLIC
from plum.api.views import healthz, readyz
from points.api import rest as points_rest
from points.api.rest import batches as points_batches
from reports.api import rest as reports_rest
from users.api import rest as users_rest
from vouchers.api import rest as vouchers_rest


class PublicSchemaView(SpectacularAPIView):
    required_scopes = PUBLIC
    authentication_classes = []


class PublicDocsView(SpectacularSwaggerView):
    required_scopes = PUBLIC
    authentication_classes = []


router = SimpleRouter(trailing_slash="/?")
users_rest.register(router)
points_rest.register(router)
points_batches.register(router)
vouchers_rest.register(router)
events_rest.register(router)
event_hooks.register(router)
webhooks_rest.register(router)
webhook_deliveries.register(router)
hrms_rest.register(router)
chat_rest.register(router)
audit_rest.register(router)

handler400 = "plum.api.errors.handler400"
handler403 = "plum.api.errors.handler403"
handler404 = "plum.api.errors.handler404"
handler500 = "plum.api.errors.handler500"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="docs", permanent=False), name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("oauth/token/", TokenView.as_view(), name="oauth-token"),
    path("api/v1/schema/", PublicSchemaView.as_view(), name="schema"),
    path("api/v1/docs/", PublicDocsView.as_view(url_name="schema"), name="docs"),
    path("api/v1/reports/", include(reports_rest.urlpatterns)),
    path("api/v1/", include(router.urls)),
    path("hooks/", include(event_hooks.urlpatterns)),
    path("scim/v2/", include("integrations.scim.api.urls")),
    path("integrations/", include("integrations.chat.api.urls")),
    path("graphql/", GraphQLEndpoint.as_view(), name="graphql"),
    path("admin/", admin.site.urls),
]
