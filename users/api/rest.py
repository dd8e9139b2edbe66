"""REST door of the users app: thin adapters around users.services and users.selectors."""

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from plum.api.auth import actor_of
from plum.api.idempotency import idempotent
from plum.api.openapi import filter_parameters, problems
from plum.api.scopes import Scope
from plum.api.views import PlumViewSet
from users import selectors, services
from users.filters import EmployeeFilter
from users.models import Employee
from users.records import CODE_FIELDS, COUNTRY_CODES, EMAIL_MAX_LENGTH, EMPLOYEE_ID_PATTERN, NAME_FIELDS, TEXT_FIELDS
from users.services.sync import MAX_SYNC_RECORDS, SOURCE_MAX_LENGTH, SYNC_MODES

READ, WRITE = Scope.EMPLOYEES_READ, Scope.EMPLOYEES_WRITE


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


def _text(limit: int, *, nonblank: bool = False, **options) -> serializers.CharField:
    """A text field of at most `limit` characters (after trimming); `nonblank` ones need a visible character."""
    if nonblank:
        return serializers.RegexField(r"\S", max_length=limit, **options)
    return serializers.CharField(max_length=limit, allow_blank=True, allow_null=True, required=False, **options)


def _employee_id(**options) -> serializers.RegexField:
    return serializers.RegexField(EMPLOYEE_ID_PATTERN.pattern, min_length=1, max_length=64, **options)


@extend_schema_field(
    {"type": "string", "enum": ["", *sorted(COUNTRY_CODES)], "nullable": True}, component_name="CountryCode"
)
class CountryField(serializers.CharField):
    pass


class EmployeeInput(serializers.Serializer):
    """The users service validates it (users.records: the same rules for REST, GraphQL and sync); this
    serializer documents those rules from the same constants."""

    employee_id = _employee_id(help_text="Letters, digits and . _ @ : + - (not first); unique in your organisation")
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    first_name = _text(NAME_FIELDS["first_name"], nonblank=True)
    last_name = _text(NAME_FIELDS["last_name"], nonblank=True)
    status = serializers.ChoiceField(choices=Employee.Status.choices, required=False)
    role = _text(TEXT_FIELDS["role"])
    department = _text(TEXT_FIELDS["department"])
    business_unit = _text(CODE_FIELDS["business_unit"], help_text="Business unit code; created on first use")
    cost_centre = _text(CODE_FIELDS["cost_centre"], help_text="Cost centre code; created on first use")
    country = CountryField(
        required=False, allow_blank=True, allow_null=True, help_text="ISO 3166-1 alpha-2 (any case), or empty"
    )
    manager_employee_id = serializers.RegexField(
        f"^$|{EMPLOYEE_ID_PATTERN.pattern}",
        max_length=64,
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text="An existing employee other than this one; empty or null for none",
    )
    hire_date = serializers.DateField(required=False, allow_null=True)
    exit_date = serializers.DateField(required=False, allow_null=True, help_text="Not before hire_date")
    slack_user_id = _text(TEXT_FIELDS["slack_user_id"])
    teams_user_id = _text(TEXT_FIELDS["teams_user_id"])


class EmployeePatchInput(EmployeeInput):
    """Omitted fields keep their values. employee_id cannot change (sending the same one is allowed)."""

    employee_id = None
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH, required=False)
    first_name = _text(NAME_FIELDS["first_name"], nonblank=True, required=False)
    last_name = _text(NAME_FIELDS["last_name"], nonblank=True, required=False)


class EmployeeSyncInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=SYNC_MODES, help_text="`full` also deactivates everyone not listed")
    source = serializers.CharField(max_length=SOURCE_MAX_LENGTH, required=False, allow_blank=True, allow_null=True)
    employees = serializers.ListField(
        child=EmployeeInput(),
        max_length=MAX_SYNC_RECORDS,
        help_text=f"At most {MAX_SYNC_RECORDS} (more: 413); a bad record is reported in `errors`, not refused",
    )


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


class DimensionOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()


@extend_schema_view(
    list=extend_schema(parameters=filter_parameters(EmployeeFilter), responses=EmployeeOutput(many=True)),
    retrieve=extend_schema(responses=EmployeeOutput),
    create=extend_schema(
        request=EmployeeInput,
        responses={
            201: EmployeeOutput,
            **problems(_409="employee_exists", _422="manager_not_found, manager_is_self"),
        },
    ),
    partial_update=extend_schema(
        request=EmployeePatchInput,
        responses={200: EmployeeOutput, **problems(_422="manager_not_found, manager_is_self")},
    ),
    deactivate=extend_schema(request=None, responses=EmployeeOutput),
    sync=extend_schema(
        request=EmployeeSyncInput, responses={200: EmployeeSyncOutput, **problems(_413="too_many_records")}
    ),
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
        employee = services.employee_create(actor=actor_of(request), data=self.json_object(request))
        return Response(EmployeeOutput(employee).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, employee_id):
        employee = services.employee_update(
            actor=actor_of(request), employee_id=employee_id, data=self.json_object(request)
        )
        return Response(EmployeeOutput(employee).data)

    @action(detail=True, methods=["post"])
    def deactivate(self, request, employee_id):
        employee = services.employee_deactivate(actor=actor_of(request), employee_id=employee_id)
        return Response(EmployeeOutput(employee).data)

    @action(detail=False, methods=["post"])
    def sync(self, request):
        body = self.json_object(request, allowed=("mode", "source", "employees"))
        result = services.employees_sync(
            actor=actor_of(request),
            mode=body.get("mode"),
            source=body.get("source"),
            records=body.get("employees"),
        )
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
