"""SCIM filters (RFC 7644 §3.4.2.2) as database conditions: the filter scim2-models parsed and checked
against the schemas, turned into a Django Q over SCIM identities (Users) or groups.

Strings compare without case unless the schema says caseExact (externalId, employeeNumber); an absent
value (null, or an empty role, department, …) is not equal to anything, so `ne` keeps it. An attribute
the schemas declare but Plum cannot filter on is `invalidFilter`, never a silent match-all.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from integrations.scim.errors import ScimError, ScimErrorCode
from integrations.scim.resources import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA
from plum.core.text import storable_text
from users.models import Employee

NEVER = Q(pk__in=[])
ORDERINGS = {
    CompareOperator.gt: GreaterThan,
    CompareOperator.ge: GreaterThanOrEqual,
    CompareOperator.lt: LessThan,
    CompareOperator.le: LessThanOrEqual,
}
RANGES = {CompareOperator.gt: "gt", CompareOperator.ge: "gte", CompareOperator.lt: "lt", CompareOperator.le: "lte"}
TEXT_MATCHES = {CompareOperator.co: "contains", CompareOperator.sw: "startswith", CompareOperator.ew: "endswith"}


@dataclass(frozen=True)
class Column:
    field: str
    kind: str  # text (without case), exact (case-exact text), bool, active, time, uuid, member


USER_COLUMNS = {
    "id": Column("pk", "uuid"),
    "externalid": Column("external_id", "exact"),
    "username": Column("user_name", "text"),
    "name.givenname": Column("employee__first_name", "text"),
    "name.familyname": Column("employee__last_name", "text"),
    "title": Column("employee__role", "text"),
    "active": Column("employee__status", "active"),
    "emails": Column("employee__email", "text"),
    "emails.value": Column("employee__email", "text"),
    "emails.type": Column("email_type", "text"),
    "emails.primary": Column("email_primary", "bool"),
    "meta.created": Column("employee__created_at", "time"),
    "meta.lastmodified": Column("last_modified", "time"),
    "enterprise:employeenumber": Column("employee__employee_id", "exact"),
    "enterprise:costcenter": Column("employee__cost_centre__code", "text"),
    "enterprise:organization": Column("organization", "text"),
    "enterprise:division": Column("employee__business_unit__code", "text"),
    "enterprise:department": Column("employee__department", "text"),
    "enterprise:manager": Column("employee__manager_id", "uuid"),
    "enterprise:manager.value": Column("employee__manager_id", "uuid"),
}
GROUP_COLUMNS = {
    "id": Column("pk", "uuid"),
    "externalid": Column("external_id", "exact"),
    "displayname": Column("display_name", "text"),
    "meta.created": Column("created_at", "time"),
    "meta.lastmodified": Column("updated_at", "time"),
    "members": Column("members", "member"),
    "members.value": Column("members", "member"),
}


def user_condition(node: FilterNode | None, *, searching_groups_too: bool = False) -> Q:
    return _Transpiler(USER_COLUMNS, USER_SCHEMA, GROUP_COLUMNS if searching_groups_too else {}).condition(node)


def group_condition(node: FilterNode | None, *, searching_users_too: bool = False) -> Q:
    return _Transpiler(GROUP_COLUMNS, GROUP_SCHEMA, USER_COLUMNS if searching_users_too else {}).condition(node)


def _invalid(detail: str) -> ScimError:
    return ScimError(ScimErrorCode.INVALID_FILTER, detail)


class _Transpiler(FilterVisitor[Q]):
    """`foreign`: the columns of the other resource type of a root search, whose attributes are false here."""

    def __init__(self, columns: dict, core_schema: str, foreign: dict):
        self.columns, self.core_schema, self.foreign = columns, core_schema.lower(), foreign
        self.parent: str | None = None  # inside emails[...], the attribute the sub-attributes belong to

    def condition(self, node: FilterNode | None) -> Q:
        return Q() if node is None else self.visit(node)

    def _column(self, attr_path) -> Column | None:
        uri = (attr_path.uri or "").lower()
        prefix = "enterprise:" if uri == ENTERPRISE_SCHEMA.lower() else ""
        if uri and not prefix and uri != self.core_schema:
            return None if uri in (USER_SCHEMA.lower(), GROUP_SCHEMA.lower()) else self._unknown(attr_path)
        name = ".".join(p for p in (self.parent, attr_path.attr, attr_path.sub_attr) if p).lower()
        key = prefix + name
        if key in self.columns:
            return self.columns[key]
        if key in self.foreign:
            return None  # an attribute of the other resource type: false here (RFC 7644 §3.4.2.1)
        return self._unknown(attr_path)

    @staticmethod
    def _unknown(attr_path):
        shown = ".".join(p for p in (attr_path.attr, attr_path.sub_attr) if p)
        raise _invalid(f"Plum cannot filter on {shown!r}.")

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        terms = [self.visit(term) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op == LogicalOperator.and_ else combined | term
        return combined

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_value_path(self, node: ValuePath) -> Q:
        if self.parent is not None:
            raise _invalid("A value filter cannot be nested.")
        self.parent = node.attr_path.attr
        try:
            return self.visit(node.val_filter)
        finally:
            self.parent = None

    def visit_present(self, node: Present) -> Q:
        column = self._column(node.attr_path)
        if column is None:
            return NEVER
        if column.kind == "member":
            return Q(Exists(_members()))
        present = Q(**{f"{column.field}__isnull": False})
        return present & ~Q(**{column.field: ""}) if column.kind in ("text", "exact") else present

    def visit_comparison(self, node: Comparison) -> Q:
        column = self._column(node.attr_path)
        if column is None:
            return NEVER
        if node.value is None:  # `eq null` asks whether the attribute is absent
            if node.op not in (CompareOperator.eq, CompareOperator.ne):
                raise _invalid("null can only be compared with eq or ne.")
            present = self.visit_present(Present(attr_path=node.attr_path))
            return ~present if node.op == CompareOperator.eq else present
        return getattr(self, f"_{column.kind}")(column.field, node.op, node.value)

    # --- one method per kind of column ------------------------------------------------------------

    def _text(self, field: str, op, value) -> Q:
        value = _string(value)
        if op in (CompareOperator.eq, CompareOperator.ne):
            match = Q(**{f"{field}__iexact": value})
            return match if op == CompareOperator.eq else ~match
        if op in TEXT_MATCHES:
            return Q(**{f"{field}__i{TEXT_MATCHES[op]}": value})
        return Q(ORDERINGS[op](Lower(field), value.lower()))

    def _exact(self, field: str, op, value) -> Q:
        value = _string(value)
        if op in (CompareOperator.eq, CompareOperator.ne):
            match = Q(**{field: value})
            return match if op == CompareOperator.eq else ~match
        if op in TEXT_MATCHES:
            return Q(**{f"{field}__{TEXT_MATCHES[op]}": value})
        return Q(**{f"{field}__{RANGES[op]}": value})

    def _bool(self, field: str, op, value) -> Q:
        match = Q(**{field: _boolean(value, op)})
        return match if op == CompareOperator.eq else ~match

    def _active(self, field: str, op, value) -> Q:
        match = Q(**{field: Employee.Status.ACTIVE if _boolean(value, op) else Employee.Status.INACTIVE})
        return match if op == CompareOperator.eq else ~match

    def _time(self, field: str, op, value) -> Q:
        if op in TEXT_MATCHES:
            raise _invalid(f"A date and time cannot be compared with {op.value}.")
        moment = _moment(value)
        if op in (CompareOperator.eq, CompareOperator.ne):
            match = Q(**{field: moment})
            return match if op == CompareOperator.eq else ~match
        return Q(**{f"{field}__{RANGES[op]}": moment})

    def _uuid(self, field: str, op, value) -> Q:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise _invalid(f"An id can only be compared with eq or ne, not {op.value}.")
        key = _uuid_or_none(_string(value))
        match = Q(**{field: key}) if key is not None else NEVER
        return match if op == CompareOperator.eq else ~match

    def _member(self, field: str, op, value) -> Q:
        if op != CompareOperator.eq:
            raise _invalid("Members can only be compared with eq.")
        key = _uuid_or_none(_string(value))
        return Q(Exists(_members().filter(pk=key))) if key is not None else NEVER


def _members():
    """Employees of the group's business unit still known to SCIM (correlated with the outer group)."""
    return Employee.objects.filter(
        organisation_id=OuterRef("organisation_id"), business_unit__code=OuterRef("display_name")
    ).exclude(scim_identity__deleted_at__isnull=False)


def _string(value) -> str:
    if not isinstance(value, str):
        raise _invalid(f"{value!r} is not a string.")
    if not storable_text(value):
        raise _invalid("A filter value may not contain NUL or unpaired surrogates.")
    return value


def _boolean(value, op) -> bool:
    if op not in (CompareOperator.eq, CompareOperator.ne):
        raise _invalid(f"A boolean can only be compared with eq or ne, not {op.value}.")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"  # Microsoft Entra ID quotes its booleans
    raise _invalid(f"{value!r} is not a boolean.")


def _moment(value) -> datetime:
    try:
        moment = datetime.fromisoformat(_string(value))
    except ValueError:
        raise _invalid(f"{value!r} is not a date and time (ISO 8601).") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
