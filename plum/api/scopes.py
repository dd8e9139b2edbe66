"""The one scope registry: it feeds django-oauth-toolkit, the DRF permission and GraphQL."""

from oauth2_provider.scopes import BaseScopes

from plum.core.scopes import ALL_SCOPES, Scope

__all__ = ["ALL_SCOPES", "AUTHENTICATED", "PUBLIC", "SCOPE_DESCRIPTIONS", "ClientScopesBackend", "Scope"]

SCOPE_DESCRIPTIONS: dict[Scope, str] = {
    Scope.EMPLOYEES_READ: "Read employees, business units and cost centres",
    Scope.EMPLOYEES_WRITE: "Create, update, deactivate and sync employees",
    Scope.EMPLOYEES_ERASE: "Erase an employee's personal data (irreversible)",
    Scope.POINTS_READ: "Read programmes, wallets, points requests and batches",
    Scope.POINTS_WRITE: "Send points requests, batches and uploads; reverse requests",
    Scope.POINTS_APPROVE: "Approve or reject points requests",
    Scope.VOUCHERS_READ: "Read the catalogue, orders, vouchers and campaigns",
    Scope.VOUCHERS_WRITE: "Order, cancel and redeem vouchers; run campaigns",
    Scope.VOUCHERS_REVEAL: "Reveal full voucher codes",
    Scope.REPORTS_READ: "Run reports",
    Scope.INTEGRATIONS_MANAGE: "Manage HRMS connections, reward rules, webhooks and notifications",
    Scope.SCIM: "Provision employees through SCIM 2.0",
    Scope.AUDIT_READ: "Read the audit trail",
}

# Marks a view that needs no token at all (API docs), or any valid token whatever its scopes
# (the GraphQL endpoint, whose root fields then check their own).
PUBLIC = "public"
AUTHENTICATED = "authenticated"


class ClientScopesBackend(BaseScopes):
    """django-oauth-toolkit asks this which scopes a client may get: only those it was allowed."""

    def get_all_scopes(self):
        return {s.value: SCOPE_DESCRIPTIONS[s] for s in Scope}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(ALL_SCOPES)
        return [s for s in application.allowed_scopes if s in ALL_SCOPES]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request)
