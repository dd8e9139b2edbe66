"""Every write of the users app. Doors (REST, GraphQL, admin, commands) only call these."""

from users.services.clients import (
    IssuedClient,
    IssuedToken,
    api_client_create,
    api_client_issue_token,
    api_client_rotate_secret,
    api_client_update,
)
from users.services.employees import employee_create, employee_deactivate, employee_update
from users.services.erasure import employee_erase
from users.services.organisations import organisation_ensure, organisation_update
from users.services.sync import SyncResult, employees_sync

__all__ = [
    "IssuedClient",
    "IssuedToken",
    "SyncResult",
    "api_client_create",
    "api_client_issue_token",
    "api_client_rotate_secret",
    "api_client_update",
    "employee_create",
    "employee_deactivate",
    "employee_erase",
    "employee_update",
    "employees_sync",
    "organisation_ensure",
    "organisation_update",
]
