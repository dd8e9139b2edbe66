"""REST door of the users app: thin adapters around users.services and users.selectors."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from plum.core.personal_data import export_document
from users import selectors, services
from users.commands import (
    EmployeeChanges,
    EmployeeCreate,
    EmployeeDeactivate,
    EmployeeErase,
    EmployeesSync,
    EmployeeUpdate,
)
from users.filters import EmployeeFilter
from users.models import Employee

READ, WRITE, ERASE = Scope.EMPLOYEES_READ, Scope.EMPLOYEES_WRITE, Scope.EMPLOYEES_ERASE


class EmployeeOutput(serializers.Serializer):
    employee_id = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    status = serializers.ChoiceField(choices=Employee.Status.choices)
    role = serializers.CharField()
    department = serializers.CharField()
    business_unit = serializers.CharField(allow_null=True, help_text="Business unit code")
    cost_centre = serializers.CharField(allow_null=True, help_text="Cost centre code")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, or empty")
    manager_employee_id = serializers.CharField(allow_null=True)
    hire_date = serializers.DateField(allow_null=True)
    exit_date = serializers.DateField(allow_null=True)
    slack_user_id = serializers.CharField()
    teams_user_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.employee_document(instance)  # one representation for every door and event


class SyncErrorOutput(serializers.Serializer):
    index = serializers.IntegerField()
    employee_id = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class EmployeeSyncOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    deactivated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = SyncErrorOutput(many=True)


class PersonalDataExportOutput(serializers.Serializer):
    """Everything Plum holds about the employee, each part as its own endpoint shows it (codes masked)."""

    employee = EmployeeOutput()
    wallet = serializers.DictField(help_text="As GET /api/v1/wallets/{employee_id}/ shows it")
    ledger_lines = serializers.ListField(
        child=serializers.DictField(), help_text="As GET /api/v1/wallets/{employee_id}/transactions/, oldest first"
    )
    points_requests = serializers.ListField(child=serializers.DictField(), help_text="As the points requests API")
    vouchers = serializers.ListField(child=serializers.DictField(), help_text="As the vouchers API, codes masked")
    events = serializers.ListField(child=serializers.DictField(), help_text="As the events API")
    rewards = serializers.ListField(child=serializers.DictField(), help_text="Each event's rewards, with its event_id")
    notifications = serializers.ListField(child=serializers.DictField(), help_text="Slack and Teams notifications")
    exported_at = serializers.DateTimeField()


class DimensionOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()


@extend_schema_view(
    list=extend_schema(parameters=filter_parameters(EmployeeFilter), responses=EmployeeOutput(many=True)),
    retrieve=extend_schema(responses=EmployeeOutput),
    create=extend_schema(
        request=EmployeeCreate,
        responses={
            201: EmployeeOutput,
            **problems(_409="employee_exists", _422="manager_not_found, manager_is_self"),
        },
    ),
    partial_update=extend_schema(
        request=EmployeeChanges,
        responses={200: EmployeeOutput, **problems(_422="manager_not_found, manager_is_self")},
    ),
    deactivate=extend_schema(request=None, responses=EmployeeOutput),
    export=extend_schema(
        description="Everything Plum holds about the employee, as one JSON document (GDPR articles 15 and 20).",
        responses=PersonalDataExportOutput,
    ),
    erase=extend_schema(
        request=None,
        description=(
            "Irreversible: names, email, Slack and Teams ids become tombstones here and in every stored copy; the"
            " employee is inactive; amounts and ids stay so the books balance. A second call changes nothing."
        ),
        responses=EmployeeOutput,
    ),
    sync=extend_schema(request=EmployeesSync, responses={200: EmployeeSyncOutput, **problems(_413="too_many_records")}),
)
class EmployeeViewSet(PlumViewSet):
    lookup_field = "employee_id"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = {
        "list": READ,
        "retrieve": READ,
        "create": WRITE,
        "partial_update": WRITE,
        "deactivate": WRITE,
        "sync": WRITE,
        "export": READ,
        "erase": ERASE,
    }
    serializer_class = EmployeeOutput
    filterset_class = EmployeeFilter
    pagination_ordering = ("employee_id",)

    def get_max_body_bytes(self):
        return 16 * 1024 * 1024 if self.action == "sync" else super().get_max_body_bytes()

    def list(self, request):
        employees = selectors.employee_list(actor=actor_of(request), filters=request.query_params)
        page = self.paginate_queryset(employees)
        return self.get_paginated_response(EmployeeOutput(page, many=True).data)

    def retrieve(self, request, employee_id):
        employee = selectors.employee_get(actor=actor_of(request), employee_id=employee_id)
        return Response(EmployeeOutput(employee).data)

    @idempotent
    def create(self, request):
        command = EmployeeCreate.parse(self.json_object(request))
        employee = services.employee_create(actor=actor_of(request), command=command)
        return Response(EmployeeOutput(employee).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, employee_id):
        command = EmployeeUpdate.of(employee_id, self.json_object(request))
        employee = services.employee_update(actor=actor_of(request), command=command)
        return Response(EmployeeOutput(employee).data)

    @action(detail=True, methods=["post"])
    def deactivate(self, request, employee_id):
        command = EmployeeDeactivate.parse({"employee_id": employee_id})
        employee = services.employee_deactivate(actor=actor_of(request), command=command)
        return Response(EmployeeOutput(employee).data)

    @action(detail=True, methods=["get"])
    def export(self, request, employee_id):
        actor = actor_of(request)
        employee = selectors.employee_get(actor=actor, employee_id=employee_id)
        return Response(
            export_document(actor=actor, employee=employee, employee_document=EmployeeOutput(employee).data)
        )

    @action(detail=True, methods=["post"])
    def erase(self, request, employee_id):
        command = EmployeeErase.parse({"employee_id": employee_id})
        employee = services.employee_erase(actor=actor_of(request), command=command)
        return Response(EmployeeOutput(employee).data)

    @action(detail=False, methods=["post"])
    def sync(self, request):
        command = EmployeesSync.parse(self.json_object(request, allowed=tuple(EmployeesSync.model_fields)))
        result = services.employees_sync(actor=actor_of(request), command=command)
        return Response(result.as_dict())


class _DimensionViewSet(PlumViewSet):
    required_scopes = {"list": READ}
    serializer_class = DimensionOutput
    pagination_ordering = ("code",)
    selector = None

    def list(self, request):
        page = self.paginate_queryset(type(self).selector(actor=actor_of(request)))
        return self.get_paginated_response(DimensionOutput(page, many=True).data)


class BusinessUnitViewSet(_DimensionViewSet):
    selector = staticmethod(selectors.business_unit_list)


class CostCentreViewSet(_DimensionViewSet):
    selector = staticmethod(selectors.cost_centre_list)


def register(router) -> None:
    router.register("employees", EmployeeViewSet, basename="employee")
    router.register("business-units", BusinessUnitViewSet, basename="business-unit")
    router.register("cost-centres", CostCentreViewSet, basename="cost-centre")
