"""SCIM errors. A code is the RFC 7644 §3.12 `scimType` where the RFC has one (400 and 409 only)."""

from pydantic import ValidationError
from scim2_models import Error, SCIMException

from plum.core.errors import DomainError, ErrorCode


class ScimErrorCode(ErrorCode):
    INVALID_FILTER = "invalidFilter", 400
    TOO_MANY = "tooMany", 400
    UNIQUENESS = "uniqueness", 409
    MUTABILITY = "mutability", 400
    INVALID_SYNTAX = "invalidSyntax", 400
    INVALID_PATH = "invalidPath", 400
    NO_TARGET = "noTarget", 400
    INVALID_VALUE = "invalidValue", 400
    FORBIDDEN = "forbidden", 403
    NOT_FOUND = "not_found", 404
    PRECONDITION_FAILED = "precondition_failed", 412

    @property
    def scim_type(self) -> str | None:
        """RFC 7644 defines scimType keywords for 400 and 409 answers only."""
        return self.value if self.http_status in (400, 409) else None


class ScimError(DomainError):
    """A refusal the SCIM door answers as a SCIM Error message."""


def not_found(kind: str, resource_id) -> ScimError:
    return ScimError(ScimErrorCode.NOT_FOUND, f"No {kind} {str(resource_id)!r}.")


def invalid_value(detail: str) -> ScimError:
    return ScimError(ScimErrorCode.INVALID_VALUE, detail)


def refused(exc: ValidationError | SCIMException) -> ScimError:
    """scim2-models' refusal of a payload (its first error) as a ScimError with the same scimType."""
    error = exc.to_error() if isinstance(exc, SCIMException) else Error.from_validation_error(exc.errors()[0])
    codes = {code.value: code for code in ScimErrorCode if code.scim_type}
    return ScimError(codes.get(error.scim_type or "", ScimErrorCode.INVALID_VALUE), error.detail or "Invalid request.")
