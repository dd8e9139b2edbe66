"""GraphQL door of the points app: types, queries and mutations around the same services as REST."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType
from graphql_relay import from_global_id

from plum.api.auth import actor_of
from plum.api.graphql.base import BaseMutation
from plum.api.graphql.batching import page_batched
from plum.api.graphql.connection import CountedConnection, PlumConnectionField
from plum.api.graphql.errors import error_type
from plum.api.graphql.inputs import WholeNumber, plain
from plum.api.graphql.scalars import DateTime, GenericScalar
from plum.api.graphql.scoping import register_query_scopes, require_scopes
from plum.api.scopes import Scope
from points import selectors, services
from points.errors import PointsErrorCode
from points.models import LedgerEntry, LedgerTransaction, PointsRequest, Programme
from users.errors import EmployeeNotFound

PointsError = error_type("Points", PointsErrorCode)
ProgrammeStatus = graphene.Enum(
    "ProgrammeStatus", [(v, v) for v in Programme.Status.values], description="Inactive programmes award nothing."
)
PointsRequestStatus = graphene.Enum(
    "PointsRequestStatus", [(v, v) for v in PointsRequest.Status.values], description="Where a request stands."
)
LedgerLineKind = graphene.Enum(
    "LedgerLineKind", [(v, v) for v in LedgerTransaction.Kind.values], description="What moved the points."
)
PAGE_ARGUMENTS = ("first", "last", "before", "after", "offset")


class ProgrammeNode(DjangoObjectType):
    budget_balance = graphene.BigInt(required=True, description="Points left in the programme's budget")
    status = graphene.Field(ProgrammeStatus, required=True)

    class Meta:
        model = Programme
        name = "Programme"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = ("id", "code", "name", "approval_threshold", "max_points_per_request", "points_validity_days")

    def resolve_status(self, info):
        return str(self.status)


class PointsRequestNode(DjangoObjectType):
    status = graphene.Field(PointsRequestStatus, required=True)
    employee_id = graphene.String(required=True)
    programme = graphene.String(required=True, description="Programme code")
    metadata = GenericScalar(required=True)
    balance_after = graphene.BigInt(description="The wallet's balance once credited")
    transaction_id = graphene.UUID(description="The ledger transaction of the credit")

    class Meta:
        model = PointsRequest
        name = "PointsRequest"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = (
            "id",
            "request_id",
            "points",
            "reason",
            "source",
            "credited_at",
            "expires_at",
            "decided_at",
            "reversed_at",
            "reversal_reason",
            "created_at",
        )

    def resolve_status(self, info):
        return str(self.status)

    def resolve_employee_id(self, info):
        return self.employee.employee_id

    def resolve_programme(self, info):
        return self.programme.code

    def resolve_transaction_id(self, info):
        return self.transaction_id


class LedgerLineNode(DjangoObjectType):
    kind = graphene.Field(LedgerLineKind, required=True)
    points = graphene.BigInt(required=True, description="Signed: credits are positive, debits negative")
    balance_after = graphene.BigInt(required=True)

    class Meta:
        model = LedgerEntry
        name = "LedgerLine"
        interfaces = (relay.Node,)
        connection_class = CountedConnection
        fields = ("id", "reference", "created_at")

    def resolve_kind(self, info):
        return str(self.transaction.kind)

    def resolve_points(self, info):
        return self.amount


# Wallets are the selector's documents (dicts): graphene's default resolver reads their keys.
class WalletExpiry(graphene.ObjectType):
    points = graphene.BigInt(required=True)
    expires_at = DateTime(required=True)


class Wallet(graphene.ObjectType):
    """Every employee has one; it answers balance 0 until points arrive."""

    employee_id = graphene.String(required=True)
    balance = graphene.BigInt(required=True, description="Spendable points: the unexpired rest of every lot")
    expiring = graphene.List(graphene.NonNull(WalletExpiry), required=True, description="Within 90 days")
    updated_at = DateTime(description="Last movement; null if it never moved")


def add_employee_wallet(employee_type: type[graphene.ObjectType]) -> None:
    """`Employee.wallet`: users sits below points and cannot name wallets, so the schema's composition root
    adds the field to the users door's type through this function."""
    employee_type._meta.fields["wallet"] = graphene.Field(
        Wallet,
        required=True,
        description="Needs the scope points:read; loaded for a whole page of employees at once",
        resolver=resolve_employee_wallet,
    )


def resolve_employee_wallet(employee, info):
    require_scopes(info, Scope.POINTS_READ)
    actor = actor_of(info)
    return page_batched(employee, "wallet", lambda page: selectors.wallet_documents(actor=actor, employees=page))


class PointsQuery(graphene.ObjectType):
    programmes = PlumConnectionField(ProgrammeNode)
    wallet = graphene.Field(Wallet, employee_id=graphene.String(required=True))
    points_requests = PlumConnectionField(
        PointsRequestNode,
        status=PointsRequestStatus(),
        employee_id=graphene.String(),
        programme=graphene.String(),
        source=graphene.String(),
        created_since=DateTime(),
    )
    ledger_lines = PlumConnectionField(LedgerLineNode, employee_id=graphene.String(required=True))

    def resolve_programmes(root, info, **kwargs):
        return selectors.programme_list(actor=actor_of(info)).order_by("code")

    def resolve_wallet(root, info, employee_id):
        try:
            return selectors.wallet_get(actor=actor_of(info), employee_id=employee_id)
        except EmployeeNotFound:
            return None  # like `employee`: another organisation's employee does not exist here

    def resolve_points_requests(root, info, **kwargs):
        filters = plain({k: v for k, v in kwargs.items() if k not in PAGE_ARGUMENTS})
        if filters.get("created_since") is not None:
            filters["created_since"] = filters["created_since"].isoformat()
        requests = selectors.points_request_list(actor=actor_of(info), filters=filters)
        return requests.order_by("-created_at", "-id")

    def resolve_ledger_lines(root, info, employee_id, **kwargs):
        try:
            lines = selectors.wallet_lines(actor=actor_of(info), employee_id=employee_id)
        except EmployeeNotFound:
            # Never None: graphene-django would fall back to every row of the table.
            return LedgerEntry.objects.none()
        return lines.order_by("-created_at", "-id")


register_query_scopes(
    {
        "programmes": Scope.POINTS_READ,
        "wallet": Scope.POINTS_READ,
        "pointsRequests": Scope.POINTS_READ,
        "ledgerLines": Scope.POINTS_READ,
    }
)


def request_uuid(global_id: str) -> str | None:
    """The UUID inside a PointsRequest global id; anything else names no request (not found)."""
    try:
        type_name, value = from_global_id(global_id)
    except (TypeError, ValueError, UnicodeDecodeError):
        return None
    return value if type_name == PointsRequestNode._meta.name else None


class ProgrammeCreate(BaseMutation):
    programme = graphene.Field(ProgrammeNode)

    class Meta:
        scopes = (Scope.POINTS_WRITE,)
        error_type = PointsError

    class Input:
        code = graphene.String(required=True)
        name = graphene.String(required=True)
        approval_threshold = graphene.Int()
        max_points_per_request = graphene.Int()
        points_validity_days = graphene.Int()
        status = ProgrammeStatus()

    @classmethod
    def perform(cls, info, **data):
        actor = actor_of(info)
        programme = services.programme_create(actor=actor, data=plain(data))
        return cls(programme=selectors.programme_get(actor=actor, code=programme.code))


class PointsRequestMutation(BaseMutation):
    points_request = graphene.Field(PointsRequestNode)

    class Meta:
        abstract = True


class PointsRequestCreate(PointsRequestMutation):
    replayed = graphene.Boolean(description="True when this request_id was sent before with the same body")

    class Meta:
        scopes = (Scope.POINTS_WRITE,)
        error_type = PointsError

    class Input:
        request_id = graphene.String(required=True, description="Your own reference; idempotent forever")
        employee_id = graphene.String(required=True)
        points = WholeNumber(required=True)
        programme = graphene.String(required=True, description="Programme code")
        reason = graphene.String()
        source = graphene.String()
        metadata = GenericScalar(description="Any JSON object up to 4 KB, returned as sent")

    @classmethod
    def perform(cls, info, **data):
        result = services.points_request_submit(actor=actor_of(info), data=plain(data))
        return cls(points_request=result.request, replayed=result.replayed)


class _PointsRequestDecision(PointsRequestMutation):
    """Approve or reject: the same adapter around one of two services."""

    decide = None  # the service, set by each subclass

    class Meta:
        abstract = True

    @classmethod
    def perform(cls, info, id, note=""):
        request = cls.decide(actor=actor_of(info), request_uuid=request_uuid(id), note=note)
        return cls(points_request=request)


class DecisionInput:
    id = graphene.ID(required=True, description="The request's global id")
    note = graphene.String()


class PointsRequestApprove(_PointsRequestDecision):
    decide = staticmethod(services.points_request_approve)

    class Meta:
        scopes = (Scope.POINTS_APPROVE,)
        error_type = PointsError

    Input = DecisionInput


class PointsRequestReject(_PointsRequestDecision):
    decide = staticmethod(services.points_request_reject)

    class Meta:
        scopes = (Scope.POINTS_APPROVE,)
        error_type = PointsError

    Input = DecisionInput


class PointsRequestReverse(PointsRequestMutation):
    class Meta:
        scopes = (Scope.POINTS_WRITE,)
        error_type = PointsError

    class Input:
        id = graphene.ID(required=True, description="The request's global id")
        reason = graphene.String(description="Why the points are taken back; kept on the ledger")

    @classmethod
    def perform(cls, info, id, reason=""):
        request = services.points_request_reverse(actor=actor_of(info), request_uuid=request_uuid(id), reason=reason)
        return cls(points_request=request)


class PointsMutation(graphene.ObjectType):
    programme_create = ProgrammeCreate.Field()
    points_request_create = PointsRequestCreate.Field()
    points_request_approve = PointsRequestApprove.Field()
    points_request_reject = PointsRequestReject.Field()
    points_request_reverse = PointsRequestReverse.Field()
