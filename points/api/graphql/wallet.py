"""Wallets: the `wallet` and `ledgerLines` queries and `Employee.wallet`."""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from plum.api.auth import actor_of
from plum.api.graphql.batching import page_batched
from plum.api.graphql.connection import CountedConnection
from plum.api.graphql.scalars import DateTime
from plum.api.graphql.scoping import require_scopes
from plum.api.scopes import Scope
from points import selectors
from points.models import LedgerEntry, LedgerTransaction
from users.errors import EmployeeNotFound

LedgerLineKind = graphene.Enum(
    "LedgerLineKind", [(v, v) for v in LedgerTransaction.Kind.values], description="What moved the points."
)


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


def resolve_wallet(root, info, employee_id):
    try:
        return selectors.wallet_get(actor=actor_of(info), employee_id=employee_id)
    except EmployeeNotFound:
        return None  # like `employee`: another organisation's employee does not exist here


def resolve_ledger_lines(root, info, employee_id, **kwargs):
    # Another organisation's employee has no lines here; never None: graphene-django would then fall back
    # to every row of the table.
    lines = selectors.wallet_lines(actor=actor_of(info), employee_id=employee_id, unknown_is_empty=True)
    return lines.order_by("-created_at", "-id")
