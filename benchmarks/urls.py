from django.db import connection
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks.credit_statement import credit, credit_params
from plum.api.auth import actor_of
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


class CreditFloorView(APIView):
    """The floor of any credit written in Python on this stack: Plum's token check, the parsed body and
    the credit's own statement (the raw SQL baseline's, with constant reason, source, metadata and event),
    then a constant answer. No validation, no confirmation built, no event document: a credit endpoint
    can only cost more than this."""

    required_scopes = Scope.POINTS_WRITE

    def post(self, request):
        organisation_id, body = actor_of(request).organisation_id, request.data
        params = credit_params(organisation_id, body["request_id"], body["employee_id"], timezone.now())
        connection.ensure_connection()
        (outcome, *_) = credit(connection.connection, params)
        # anything but a credit wrote nothing: counted as an error (wrk's non-2xx), which fails the run
        return Response({"status": outcome}, status=201 if outcome == "credited" else 500)


urlpatterns = [
    path("bench/constant/", ConstantView.as_view()),
    path("bench/authenticated/", AuthenticatedConstantView.as_view()),
    path("bench/credit-floor/", CreditFloorView.as_view()),
    *plum_urlpatterns,
]
