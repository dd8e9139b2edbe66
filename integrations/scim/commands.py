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
EMPLOYEE_NUMBER = f"{ENTERPRISE_SCHEMA}:employeeNumber"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


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
    """A User to create (POST) or to replace the one `resource_id` names with (PUT). `employee_id`: for a
    creation, the employeeNumber or one derived from userName; for a replacement, the employeeNumber it
    restates, if any (it must be the employee's). `kept` lists what a replacement left out and Plum keeps
    (`active`)."""

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
    """`employee_numbers`: the values its operations set employeeNumber to, taken out of `patch` (None when
    nothing else is left); each must be the employee's employee_id."""

    resource_id: str
    patch: PatchOp | None
    if_match: str | None = None
    employee_numbers: tuple[str, ...] = ()


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
    employee_number = _employee_number(_pop_employee_number(body))
    user = _validate(FullUser, body, Context.RESOURCE_CREATION_REQUEST)
    return UserWrite(user=user, employee_id=employee_number or derived_employee_id(user.user_name.strip()))


def user_replace(resource_id: str, body: Any, if_match: str | None) -> UserWrite:
    """employeeNumber may be restated (identity providers send the whole user), never changed."""
    body = _writable(body)
    kept = set()
    if _key(body, "active") is None:
        body["active"], kept = True, {"active"}
    employee_number = _employee_number(_pop_employee_number(body))
    user = _validate(FullUser, body, Context.RESOURCE_REPLACEMENT_REQUEST)
    return UserWrite(
        user=user, employee_id=employee_number, resource_id=resource_id, if_match=if_match, kept=frozenset(kept)
    )


def group_create(body: Any) -> GroupWrite:
    return GroupWrite(group=_validate(Group, _writable(body), Context.RESOURCE_CREATION_REQUEST))


def group_replace(resource_id: str, body: Any, if_match: str | None) -> GroupWrite:
    group = _validate(Group, _writable(body), Context.RESOURCE_REPLACEMENT_REQUEST)
    return GroupWrite(group=group, resource_id=resource_id, if_match=if_match)


def resource_patch(model, resource_id: str, body: Any, if_match: str | None) -> ResourcePatch:
    body = _object(body)
    operations = body.pop(_key(body, "Operations") or "Operations", None)
    taken_out: list = []
    if isinstance(operations, list):
        operations = [_entra_operation(op) for op in operations]
        if model is FullUser:
            operations, taken_out = _employee_numbers_taken_out(operations)
    if operations is not None:
        body["Operations"] = operations
    numbers = tuple(n for n in (_employee_number(n) for n in taken_out) if n)
    if taken_out and not operations:  # nothing but employeeNumber restated: only the message itself to check
        if not _is_patch_message(body):
            raise invalid_value(f"schemas: must be [{PATCH_SCHEMA!r}].")
        return ResourcePatch(resource_id=resource_id, patch=None, if_match=if_match, employee_numbers=numbers)
    patch = _validate(PatchOp[model], body, Context.RESOURCE_PATCH_REQUEST)
    return ResourcePatch(resource_id=resource_id, patch=patch, if_match=if_match, employee_numbers=numbers)


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
    """Take employeeNumber out of the enterprise extension (scim2-models refuses a read-only attribute in a
    request): the value, or None when there is none."""
    key = _key(body, ENTERPRISE_SCHEMA)
    extension = body.get(key) if key else None
    if not isinstance(extension, dict):
        return None  # none, or not an object: validation says so
    extension = dict(extension)
    number_key = _key(extension, "employeeNumber")
    value = extension.pop(number_key) if number_key else None
    body[key] = extension
    return value


def _employee_number(value: Any) -> str | None:
    """An employeeNumber as sent: null or blank is none (as if left out); anything but a string is refused."""
    if value is not None and not isinstance(value, str):
        raise invalid_value(f"{EMPLOYEE_NUMBER}: must be a string.")
    return value.strip() or None if value else None


def _employee_numbers_taken_out(operations: list) -> tuple[list, list]:
    """The operations without their `add` / `replace` of employeeNumber, and the values those set. Identity
    providers restate it (Microsoft Entra ID PATCHes it with the value it has), and scim2-models refuses any
    write of a read-only attribute, whatever its value: the service compares them with the employee_id."""
    kept, numbers = [], []
    for operation in operations:
        if isinstance(operation, dict) and str(operation.get("op", "")).lower() in ("add", "replace"):
            operation, found = _without_employee_number(operation)
            numbers += found
        if operation is not None:
            kept.append(operation)
    return kept, numbers


def _without_employee_number(operation: dict) -> tuple[dict | None, list]:
    """The operation without employeeNumber (None when nothing else is left), and the values it set it to."""
    path, value = operation.get("path"), operation.get("value")
    path = path.lower() if isinstance(path, str) else path
    if path == EMPLOYEE_NUMBER.lower():
        return None, [value]
    if not isinstance(value, dict) or path not in (None, ENTERPRISE_SCHEMA.lower()):
        return operation, []
    value = dict(value)
    if path is None:  # the keys are attribute paths, or the extension's URN with its attributes in an object
        found = _popped(value, EMPLOYEE_NUMBER)
        extension_key = _key(value, ENTERPRISE_SCHEMA)
        if extension_key and isinstance(value[extension_key], dict):
            value[extension_key] = dict(value[extension_key])
            found += _popped(value[extension_key], "employeeNumber")
            if not value[extension_key]:
                del value[extension_key]
    else:
        found = _popped(value, "employeeNumber")
    if not found:
        return operation, []
    return ({**operation, "value": value} if value else None), found


def _popped(mapping: dict, name: str) -> list:
    key = _key(mapping, name)
    return [mapping.pop(key)] if key else []


def _is_patch_message(body: dict) -> bool:
    schemas = body.get(_key(body, "schemas") or "schemas")
    return isinstance(schemas, list) and [str(s).lower() for s in schemas] == [PATCH_SCHEMA.lower()]


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
