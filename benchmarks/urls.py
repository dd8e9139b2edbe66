from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from plum.api.scopes import PUBLIC
from plum.urls import urlpatterns as plum_urlpatterns


class ConstantView(APIView):
    """The bare DRF baseline: DRF's request cycle and JSON rendering, no authentication, no database."""

    authentication_classes = []
    throttle_classes = []
    required_scopes = PUBLIC

    def post(self, request):
        return Response({"status": "ok"}, status=201)


urlpatterns = [path("bench/constant/", ConstantView.as_view()), *plum_urlpatterns]
