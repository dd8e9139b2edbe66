"""Points batches and uploads: thin adapters around points.services and the batch selectors."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.limits import BULK_MAX_BODY_BYTES
from plum.api.openapi import enum_field, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from points import selectors, services
from points.commands import PointsBatchCommand, PointsUploadConfirmCommand
from points.models import PointsBatch, PointsBatchItem, PointsUpload
from points.services.uploads import MAX_FILE_BYTES

READ, WRITE = Scope.POINTS_READ, Scope.POINTS_WRITE
ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
BATCH_STATUS = OpenApiParameter(
    "status", str, enum=PointsBatch.Status.values, description="Only batches in this status"
)
ITEM_STATUS = OpenApiParameter(
    "status", str, enum=PointsBatchItem.Status.values, description="Only items in this status"
)


class ErrorOutput(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class BatchErrorOutput(ErrorOutput):
    index = serializers.IntegerField()
    row = serializers.IntegerField(allow_null=True, help_text="Row of the uploaded file, for upload batches")
    request_id = serializers.CharField(allow_null=True)


class BatchReceiptOutput(serializers.Serializer):
    id = serializers.UUIDField()
    batch_id = serializers.CharField()
    status = enum_field("PointsBatchStatus", PointsBatch.Status.choices)
    total = serializers.IntegerField()


class BatchOutput(BatchReceiptOutput):
    source = serializers.CharField()
    processed = serializers.IntegerField()
    credited = serializers.IntegerField()
    pending_approval = serializers.IntegerField()
    rejected = serializers.IntegerField()
    replayed = serializers.IntegerField(help_text="Items whose identical request_id was already done")
    errors = BatchErrorOutput(many=True, help_text="The first 100 rejected items; all are in the items list")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class BatchItemOutput(serializers.Serializer):
    index = serializers.IntegerField()
    row = serializers.IntegerField(allow_null=True)
    request_id = serializers.CharField(allow_null=True)
    status = enum_field("PointsBatchItemStatus", PointsBatchItem.Status.choices)
    error = ErrorOutput(allow_null=True)
    points_request_id = serializers.UUIDField(allow_null=True)


class UploadInput(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"CSV (UTF-8, .csv) or Excel (.xlsx) of at most {MAX_FILE_BYTES} bytes, with the columns "
        "employee_id, points, reason, request_id, programme; each row is checked and reported in `errors`"
    )


class UploadErrorOutput(ErrorOutput):
    row = serializers.IntegerField(help_text="Row of the file; the header is row 1")


class UploadOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = enum_field("PointsUploadStatus", PointsUpload.Status.choices)
    filename = serializers.CharField()
    rows = serializers.IntegerField()
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    errors = UploadErrorOutput(many=True, help_text="The first 1,000 row errors")
    batch = serializers.UUIDField(allow_null=True, help_text="The batch made by confirming")
    created_at = serializers.DateTimeField()


def _status_filter(request) -> str | None:
    return request.query_params.get("status")


@extend_schema_view(
    list=extend_schema(parameters=[BATCH_STATUS], responses=BatchOutput(many=True)),
    create=extend_schema(
        request=PointsBatchCommand,
        responses={202: BatchReceiptOutput, 200: BatchReceiptOutput, **problems(_409="batch_id_conflict")},
    ),
    retrieve=extend_schema(parameters=[ID], responses=BatchOutput),
    items=extend_schema(parameters=[ID, ITEM_STATUS], responses=BatchItemOutput(many=True)),
)
class PointsBatchViewSet(PlumViewSet):
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "head", "options"]
    required_scopes = {"list": READ, "create": WRITE, "retrieve": READ, "items": READ}
    serializer_class = BatchOutput
    query_parameters = {"list": ("status",), "items": ("status",)}  # the batch selectors check the value

    @property
    def pagination_ordering(self):
        return ("index",) if self.action == "items" else ("created_at", "id")

    def get_max_body_bytes(self):
        return BULK_MAX_BODY_BYTES if self.action == "create" else super().get_max_body_bytes()

    def list(self, request):
        batches = selectors.batch_list(actor=actor_of(request), status=_status_filter(request))
        page = self.paginate_queryset(batches)
        return self.get_paginated_response([selectors.batch_document(b) for b in page])

    @idempotent
    def create(self, request):
        command = PointsBatchCommand.parse(self.json_object(request, allowed=("batch_id", "requests")))
        result = services.points_batch_create(actor=actor_of(request), command=command)
        return Response(selectors.batch_receipt(result.batch), status=result.http_status)

    def retrieve(self, request, pk):
        return Response(selectors.batch_document(selectors.batch_get(actor=actor_of(request), batch_uuid=pk)))

    @action(detail=True, methods=["get"], paginated=True)
    def items(self, request, pk):
        items = selectors.batch_items(actor=actor_of(request), batch_uuid=pk, status=_status_filter(request))
        page = self.paginate_queryset(items)
        return self.get_paginated_response([selectors.item_document(i) for i in page])


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": UploadInput},
        responses={
            201: UploadOutput,
            **problems(_400="invalid_file, validation_error", _413="file_too_large", _415="unsupported_file_type"),
        },
    ),
    retrieve=extend_schema(parameters=[ID], responses=UploadOutput),
    confirm=extend_schema(
        parameters=[ID],
        request=None,
        responses={202: BatchReceiptOutput, 200: BatchReceiptOutput, **problems(_422="nothing_to_confirm")},
    ),
)
class PointsUploadViewSet(PlumViewSet):
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "head", "options"]
    required_scopes = {"create": WRITE, "retrieve": READ, "confirm": WRITE}
    parser_classes = [MultiPartParser]  # files only here; the API's default parser is JSON
    max_body_bytes = MAX_FILE_BYTES + 64 * 1024  # the file and the multipart envelope around it
    serializer_class = UploadOutput

    @idempotent
    def create(self, request):
        file = request.data.get("file")
        if file is None or isinstance(file, str):
            raise ValidationError({"file": [ErrorDetail("Send the file as the multipart part `file`.", "required")]})
        upload = services.points_upload_create(
            actor=actor_of(request), file=file, filename=file.name, content_type=file.content_type
        )
        return Response(selectors.upload_document(upload), status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk):
        upload = selectors.upload_get(actor=actor_of(request), upload_uuid=pk)
        return Response(selectors.upload_document(upload))

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk):
        command = PointsUploadConfirmCommand.parse({"upload": pk})
        result = services.points_upload_confirm(actor=actor_of(request), command=command)
        return Response(selectors.batch_receipt(result.batch), status=result.http_status)


def register(router) -> None:
    router.register("points/batches", PointsBatchViewSet, basename="points-batch")
    router.register("points/uploads", PointsUploadViewSet, basename="points-upload")
