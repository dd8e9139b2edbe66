"""The scope names. The registry that feeds OAuth, DRF and GraphQL is plum.api.scopes."""

from enum import StrEnum


class Scope(StrEnum):
    EMPLOYEES_READ = "employees:read"
    EMPLOYEES_WRITE = "employees:write"
    EMPLOYEES_ERASE = "employees:erase"
    POINTS_READ = "points:read"
    POINTS_WRITE = "points:write"
    POINTS_APPROVE = "points:approve"
    VOUCHERS_READ = "vouchers:read"
    VOUCHERS_WRITE = "vouchers:write"
    VOUCHERS_REVEAL = "vouchers:reveal"
    REPORTS_READ = "reports:read"
    INTEGRATIONS_MANAGE = "integrations:manage"
    SCIM = "scim"
    AUDIT_READ = "audit:read"


ALL_SCOPES: tuple[str, ...] = tuple(s.value for s in Scope)
