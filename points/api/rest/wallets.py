"""Wallets: an employee's balance and ledger lines."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.openapi import enum_field
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from points import selectors
from points.models import LedgerTransaction

READ = Scope.POINTS_READ


class ExpiringOutput(serializers.Serializer):
    points = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class WalletOutput(serializers.Serializer):
    employee_id = serializers.CharField()
    balance = serializers.IntegerField(help_text="Spendable points: the unexpired rest of every lot")
    expiring = ExpiringOutput(many=True, help_text="Points expiring within 90 days, soonest first")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="Last movement; null if it never moved")

    def to_representation(self, instance):
        return instance  # wallet_get already answers the document


class WalletLineOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = enum_field("LedgerLineKind", LedgerTransaction.Kind.choices)
    points = serializers.IntegerField(help_text="Signed: credits are positive, debits negative")
    balance_after = serializers.IntegerField()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.wallet_line_document(instance)


@extend_schema_view(
    retrieve=extend_schema(responses=WalletOutput),
    transactions=extend_schema(
        description="The wallet's ledger lines, newest first.", responses=WalletLineOutput(many=True)
    ),
)
class WalletViewSet(PlumViewSet):
    """An employee's wallet: every employee has one, answering balance 0 until points arrive."""

    lookup_field = "employee_id"
    lookup_value_regex = "[^/]+"
    required_scopes = {"retrieve": READ, "transactions": READ}
    serializer_class = WalletOutput
    pagination_ordering = ("-created_at", "-id")  # newest first

    def retrieve(self, request, employee_id):
        return Response(WalletOutput(selectors.wallet_get(actor=actor_of(request), employee_id=employee_id)).data)

    @action(detail=True, methods=["get"], paginated=True)
    def transactions(self, request, employee_id):
        lines = selectors.wallet_lines(actor=actor_of(request), employee_id=employee_id)
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(WalletLineOutput(page, many=True).data)


def register(router) -> None:
    router.register("wallets", WalletViewSet, basename="wallet")
