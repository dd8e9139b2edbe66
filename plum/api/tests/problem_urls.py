"""The real URLconf plus views that fail, under each API prefix and outside them (test_problem_pages.py)."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_POST


class SecretFailure(RuntimeError):
    pass


def explode(request):
    raise SecretFailure("database password is hunter2")


@require_POST
def post_only(request):
    return HttpResponse("ok")


FAILING_PATHS = ["/api/v1/explode/", "/oauth/explode/", "/scim/v2/explode", "/graphql/explode/"]

urlpatterns = [
    *(path(p.lstrip("/"), explode) for p in FAILING_PATHS),
    path("explode/", explode),
    path("api/v1/post-only/", post_only),
    path("", include("plum.urls")),
]

handler400 = "plum.api.errors.handler400"
handler403 = "plum.api.errors.handler403"
handler404 = "plum.api.errors.handler404"
handler500 = "plum.api.errors.handler500"
