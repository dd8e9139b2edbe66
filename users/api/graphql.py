"""GraphQL door of the users app: types, queries and mutations around the same services as REST."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from plum.api.auth import actor_of
from plum.api.graphql.base import BaseMutation
from plum.api.graphql.commands import command_fields, command_input, parse_input
from plum.api.graphql.connection import CountedConnection, PlumConnectionField
from plum.api.graphql.errors import error_type
from plum.api.graphql.inputs import plain
from plum.api.graphql.scalars import DateTime
from plum.api.graphql.scoping import register_query_scopes
from plum.api.scopes import Scope
from users import commands, selectors, services
from users.errors import UsersErrorCode
from users.models import EMPLOYEE_PLAIN_FIELDS, Employee

EmployeeStatus = graphene.Enum("EmployeeStatus", [("active", "active"), ("inactive", "inactive")])
SyncMode = graphene.Enum("EmployeeSyncMode", [("upsert", "upsert"), ("full", "full")])
UsersError = error_type("Users", UsersErrorCode)


class EmployeeNode(DjangoObjectType):
    status = graphene.Field(EmployeeStatus, required=True)
    business_unit = graphene.String(description="Business unit code")
    cost_centre = graphene.String(description="Cost centre code")
    manager_employee_id = graphene.String()

    class Meta:
        model = Employee
        name = "Employee"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = ("id", "employee_id", *(f for f in EMPLOYEE_PLAIN_FIELDS if f != "status"), "created_at", "updated_at")

    def resolve_status(self, info):
        return str(self.status)  # a plain value: graphene cannot serialise Django's Status enum members

    def resolve_business_unit(self, info):
        return self.business_unit.code if self.business_unit_id else None

    def resolve_cost_centre(self, info):
        return self.cost_centre.code if self.cost_centre_id else None

    def resolve_manager_employee_id(self, info):
        return self.manager.employee_id if self.manager_id else None


class UsersQuery(graphene.ObjectType):
    employees = PlumConnectionField(
        EmployeeNode,
        status=EmployeeStatus(),
        business_unit=graphene.String(),
        cost_centre=graphene.String(),
        country=graphene.String(),
        department=graphene.String(),
        updated_since=DateTime(),
        email=graphene.String(),
    )
    employee = graphene.Field(EmployeeNode, employee_id=graphene.String(required=True))

    def resolve_employees(root, info, **kwargs):
        filters = plain({k: v for k, v in kwargs.items() if k not in ("first", "last", "before", "after", "offset")})
        if filters.get("updated_since") is not None:
            filters["updated_since"] = filters["updated_since"].isoformat()
        return selectors.employee_list(actor=actor_of(info), filters=filters).order_by("employee_id")

    def resolve_employee(root, info, employee_id):
        return selectors.employee_list(actor=actor_of(info)).filter(employee_id=employee_id).first()


register_query_scopes({"employees": Scope.EMPLOYEES_READ, "employee": Scope.EMPLOYEES_READ})


FIELD_TYPES = {"status": EmployeeStatus, "mode": SyncMode, "country": graphene.String}
EmployeeSyncRecordInput = command_input(commands.EmployeeRecord, "EmployeeSyncRecordInput", types=FIELD_TYPES)


class EmployeeMutation(BaseMutation):
    employee = graphene.Field(EmployeeNode)

    class Meta:
        abstract = True


class EmployeeCreate(EmployeeMutation):
    class Meta:
        scopes = (Scope.EMPLOYEES_WRITE,)
        error_type = UsersError

    Input = command_fields(commands.EmployeeCreate, types=FIELD_TYPES)

    @classmethod
    def perform(cls, info, **data):
        command = parse_input(commands.EmployeeCreate, data)
        return cls(employee=services.employee_create(actor=actor_of(info), command=command))


class EmployeeUpdate(EmployeeMutation):
    class Meta:
        scopes = (Scope.EMPLOYEES_WRITE,)
        error_type = UsersError

    Input = command_fields(commands.EmployeeUpdate, types=FIELD_TYPES)

    @classmethod
    def perform(cls, info, **data):
        command = parse_input(commands.EmployeeUpdate, data)
        return cls(employee=services.employee_update(actor=actor_of(info), command=command))


class EmployeeDeactivate(EmployeeMutation):
    class Meta:
        scopes = (Scope.EMPLOYEES_WRITE,)
        error_type = UsersError

    Input = command_fields(commands.EmployeeDeactivate)

    @classmethod
    def perform(cls, info, **data):
        command = parse_input(commands.EmployeeDeactivate, data)
        return cls(employee=services.employee_deactivate(actor=actor_of(info), command=command))


class SyncRecordError(graphene.ObjectType):
    index = graphene.Int(required=True)
    employee_id = graphene.String()
    field = graphene.String()
    code = graphene.Field(UsersError.code_enum, required=True)
    message = graphene.String(required=True)


class EmployeesSync(BaseMutation):
    created = graphene.Int()
    updated = graphene.Int()
    deactivated = graphene.Int()
    unchanged = graphene.Int()
    record_errors = graphene.List(graphene.NonNull(SyncRecordError), description="Per-record errors, by index")

    class Meta:
        scopes = (Scope.EMPLOYEES_WRITE,)
        error_type = UsersError

    Input = command_fields(commands.EmployeesSync, types=FIELD_TYPES)

    @classmethod
    def perform(cls, info, **data):
        command = parse_input(commands.EmployeesSync, data)
        result = services.employees_sync(actor=actor_of(info), command=command)
        counts = result.as_dict()
        return cls(record_errors=counts.pop("errors"), **counts)


class UsersMutation(graphene.ObjectType):
    employee_create = EmployeeCreate.Field()
    employee_update = EmployeeUpdate.Field()
    employee_deactivate = EmployeeDeactivate.Field()
    employees_sync = EmployeesSync.Field()
