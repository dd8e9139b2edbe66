"""Typed input of every SCIM call, read with scim2-models: resource bodies, PATCH operations, queries.

What a request body or query cannot be (not SCIM, a bad filter, a wrong type) is refused here with the
RFC 7644 error it calls for; rules that need the database are the services'.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, PatchOp, ResponseParameters, SCIMException, ScimFilter, SearchRequest

from integrations.scim.errors import ScimError, ScimErrorCode, invalid_value, refused
from integrations.scim.resources import ENTERPRISE_SCHEMA, MAX_RESULTS, POLICY, FullUser, Group
from users.commands import EMPLOYEE_ID_PATTERN

# The query parameters of RFC 7644 §3.4.2 and §3.9. Sorting is not supported and is ignored, as
# ServiceProviderConfig says; anything else is refused, so a misspelt filter never answers everyone.
LIST_PARAMETERS = frozenset(
    {"filter", "startIndex", "count", "attributes", "excludedAttributes", "sortBy", "sortOrder"}
)
RESOURCE_PARAMETERS = frozenset({"attributes", "excludedAttributes"})
IGNORED_PARAMETERS = ("sortBy", "sortOrder")


@dataclass(frozen=True)
class Query:
    """A page of a list or search: the filter (checked against the schemas), where the page starts (1-based),
    how many it holds (at most MAX_RESULTS), and which attributes the answer shows."""

    filter: ScimFilter | None
    start_index: int
    count: int
    shown: ResponseParameters


@dataclass(frozen=True)
class UserWrite:
    """A User to create (POST) or to replace the one `resource_id` names with (PUT). A creation carries the
    employee_id (employeeNumber, or derived from userName); `kept` lists what a replacement left out and
    Plum keeps (`active`)."""

    user: FullUser
    employee_id: str | None = None
    resource_id: str | None = None
    if_match: str | None = None
    kept: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GroupWrite:
    group: Group
    resource_id: str | None = None
    if_match: str | None = None


@dataclass(frozen=True)
class ResourcePatch:
    resource_id: str
    patch: PatchOp
    if_match: str | None = None


@dataclass(frozen=True)
class ResourceRef:
    resource_id: str
    if_match: str | None = None


def derived_employee_id(user_name: str) -> str:
    """The employee_id of a user created without employeeNumber: its userName when that is a valid
    employee_id, otherwise `scim-` and a hash of the lower-cased userName (stable: the same name, the same id)."""
    if EMPLOYEE_ID_PATTERN.fullmatch(user_name):
        return user_name
    return "scim-" + hashlib.sha256(user_name.lower().encode("utf-8", "surrogatepass")).hexdigest()[:24]


def user_create(body: Any) -> UserWrite:
    """employeeNumber is read-only in the schema, since it never changes; a creation sets it all the same."""
    body = _writable(body)
    if _key(body, "active") is None:
        body["active"] = True
    employee_number = _pop_employee_number(body)
    user = _validate(FullUser, body, Context.RESOURCE_CREATION_REQUEST)
    if employee_number is not None and not isinstance(employee_number, str):
        raise invalid_value(f"{ENTERPRISE_SCHEMA}:employeeNumber: must be a string.")
    employee_id = employee_number.strip() if employee_number else derived_employee_id(user.user_name.strip())
    return UserWrite(user=user, employee_id=employee_id)


def user_replace(resource_id: str, body: Any, if_match: str | None) -> UserWrite:
    """employeeNumber, read-only, is ignored (RFC 7644 §3.5.1): the employee keeps its employee_id."""
    body = _writable(body)
    kept = set()
    if _key(body, "active") is None:
        body["active"], kept = True, {"active"}
    user = _validate(FullUser, body, Context.RESOURCE_REPLACEMENT_REQUEST)
    return UserWrite(user=user, resource_id=resource_id, if_match=if_match, kept=frozenset(kept))


def group_create(body: Any) -> GroupWrite:
    return GroupWrite(group=_validate(Group, _writable(body), Context.RESOURCE_CREATION_REQUEST))


def group_replace(resource_id: str, body: Any, if_match: str | None) -> GroupWrite:
    group = _validate(Group, _writable(body), Context.RESOURCE_REPLACEMENT_REQUEST)
    return GroupWrite(group=group, resource_id=resource_id, if_match=if_match)


def resource_patch(model, resource_id: str, body: Any, if_match: str | None) -> ResourcePatch:
    body = _object(body)
    operations = body.get(_key(body, "Operations") or "Operations")
    if isinstance(operations, list):
        body["Operations"] = [_entra_operation(op) for op in operations]
    patch = _validate(PatchOp[model], body, Context.RESOURCE_PATCH_REQUEST)
    return ResourcePatch(resource_id=resource_id, patch=patch, if_match=if_match)


def list_query(model, parameters: dict[str, list[str]]) -> Query:
    """A GET on a collection: its query parameters, each given once."""
    return _query(model, _single_values(parameters, LIST_PARAMETERS))


def search_query(model, body: Any) -> Query:
    """A POST …/.search: the SearchRequest body (RFC 7644 §3.4.3)."""
    return _query(model, _object(body))


def shown_attributes(model, parameters: dict[str, list[str]]) -> ResponseParameters:
    """`attributes` / `excludedAttributes` of a call answering one resource."""
    values = _single_values(parameters, RESOURCE_PARAMETERS)
    return _validate(ResponseParameters[model], values, None)


def _query(model, values: dict) -> Query:
    values = {k: v for k, v in values.items() if k not in IGNORED_PARAMETERS}
    request = _validate(SearchRequest[model], values, Context.SEARCH_REQUEST)
    count = MAX_RESULTS if request.count is None else max(0, min(request.count, MAX_RESULTS))
    start_index = max(1, min(request.start_index or 1, 2**31))
    return Query(filter=request.filter, start_index=start_index, count=count, shown=request)


def _single_values(parameters: dict[str, list[str]], known: frozenset) -> dict[str, str]:
    values = {}
    for name, given in parameters.items():
        if name not in known:
            raise invalid_value(f"Unknown query parameter {name!r}.")
        if len(given) != 1:
            raise invalid_value(f"Give the query parameter {name!r} once.")
        values[name] = given[0]
    return values


def _validate(model, data: Any, context: Context | None):
    try:
        return model.model_validate(data, scim_ctx=context, scim_policy=POLICY)
    except (ValidationError, SCIMException) as exc:
        raise refused(exc) from None


def _object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise ScimError(ScimErrorCode.INVALID_SYNTAX, "The request body must be a JSON object.")
    return dict(body)


def _writable(body: Any) -> dict:
    """The body without `id` and `meta`: read-only attributes in a request are ignored (RFC 7644 §3.3)."""
    return {k: v for k, v in _object(body).items() if not (isinstance(k, str) and k.lower() in ("id", "meta"))}


def _key(mapping: dict, name: str) -> str | None:
    """The key naming an attribute, whatever its case (RFC 7643 §2.1: attribute names are case-insensitive)."""
    return next((k for k in mapping if isinstance(k, str) and k.lower() == name.lower()), None)


def _pop_employee_number(body: dict):
    """Take employeeNumber out of the enterprise extension (a creation request may not hold read-only
    attributes, for scim2-models): the value, or None when there is none."""
    key = _key(body, ENTERPRISE_SCHEMA)
    extension = body.get(key) if key else None
    if not isinstance(extension, dict):
        return None  # none, or not an object: validation says so
    extension = dict(extension)
    number_key = _key(extension, "employeeNumber")
    value = extension.pop(number_key) if number_key else None
    body[key] = extension
    return value


def _entra_operation(operation: Any) -> Any:
    """Microsoft Entra ID sets the manager with the bare id as value, and removes it with a value."""
    if not isinstance(operation, dict):
        return operation
    path, value = operation.get("path"), operation.get("value")
    if not (isinstance(path, str) and path.lower().endswith(f"{ENTERPRISE_SCHEMA}:manager".lower())):
        return operation
    operation = dict(operation)
    if str(operation.get("op", "")).lower() == "remove":
        operation.pop("value", None)
    elif isinstance(value, str):
        operation["value"] = {"value": value}
    return operation
