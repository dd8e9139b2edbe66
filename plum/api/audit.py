"""GET /api/v1/audit/: the organisation's audit trail, newest first (scope audit:read)."""

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers

from plum.api.auth import actor_of
from plum.api.openapi import enum_field, filter_parameters
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from plum.core.audit.selectors import AuditEntryFilter, audit_entry_document, audit_entry_list
from plum.core.models import AuditEntry


class AuditEntryOutput(serializers.Serializer):
    id = serializers.CharField()
    at = serializers.DateTimeField()
    actor = inline_serializer(
        "AuditActor",
        {
            "kind": enum_field("AuditActorKind", AuditEntry.ActorKind.choices),
            "id": serializers.CharField(
                allow_null=True, help_text="The API client's client_id, the staff member's id, or null for the system"
            ),
            "name": serializers.CharField(),
        },
    )
    action = serializers.CharField(help_text="`<object_type>.<verb>`, the outbound event's name where one exists")
    object_type = serializers.CharField()
    object_id = serializers.CharField(help_text="The identifier the object's REST path uses")
    changes = serializers.DictField(
        help_text="{field: [before, after]}; on create [null, value]; a bulk job's entry holds {counts: [null, {…}]}"
    )
    ip = serializers.IPAddressField(allow_null=True, help_text="The caller's address; null for commands and tasks")
    request_id = serializers.CharField(allow_null=True, help_text="Also in the response's X-Request-ID and the logs")

    def to_representation(self, instance):
        return audit_entry_document(instance)


@extend_schema_view(
    list=extend_schema(
        description="One entry per write, from every door, newest first. Append-only.",
        parameters=filter_parameters(AuditEntryFilter),
        responses=AuditEntryOutput(many=True),
    )
)
class AuditEntryViewSet(PlumViewSet):
    """The audit trail: who changed what, from which request."""

    required_scopes = {"list": Scope.AUDIT_READ}
    serializer_class = AuditEntryOutput
    filterset_class = AuditEntryFilter
    pagination_ordering = ("-at", "-id")

    def list(self, request):
        entries = audit_entry_list(actor=actor_of(request), filters=request.query_params)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AuditEntryOutput(page, many=True).data)


def register(router) -> None:
    router.register("audit", AuditEntryViewSet, basename="audit")
