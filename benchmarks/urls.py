from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from plum.api.scopes import PUBLIC
from plum.core.scopes import Scope
from plum.urls import urlpatterns as plum_urlpatterns


class ConstantView(APIView):
    """The bare DRF baseline: DRF's request cycle and JSON rendering, no authentication, no database."""

    authentication_classes = []
    throttle_classes = []
    required_scopes = PUBLIC

    def post(self, request):
        return Response({"status": "ok"}, status=201)


class AuthenticatedConstantView(APIView):
    """A second reference: the same constant behind Plum's token authentication, scope check and rate
    limit, as every API call has them; what a credit adds is the rest."""

    required_scopes = Scope.POINTS_WRITE

    def post(self, request):
        return Response({"status": "ok"}, status=201)


urlpatterns = [
    path("bench/constant/", ConstantView.as_view()),
    path("bench/authenticated/", AuthenticatedConstantView.as_view()),
    *plum_urlpatterns,
]
