"""Deny by default: a view must declare the scopes of each action, or nobody gets in."""

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from plum.api.scopes import AUTHENTICATED, PUBLIC


def declared_scopes(view, action: str | None) -> tuple[str, ...] | None:
    """The scopes a view declares for an action: `required_scopes = {"list": Scope.X, ...}` or `"*"`."""
    declared = getattr(view, "required_scopes", None)
    if declared is None:
        return None
    if isinstance(declared, str):
        return (declared,)
    value = declared.get(action) if action else None
    if value is None:
        value = declared.get("*")
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def view_action(view, request) -> str | None:
    return getattr(view, "action", None) or request.method.lower()


class HasDeclaredScopes(BasePermission):
    message = "The token lacks a scope this call needs."

    def has_permission(self, request, view):
        if request.method.upper() not in view.allowed_methods:
            return True  # no handler: the view answers 405 without running anything
        scopes = declared_scopes(view, view_action(view, request))
        if scopes is None:
            raise exceptions.PermissionDenied("This endpoint declares no scopes and is closed.")
        if scopes == (PUBLIC,):
            return True
        if not getattr(request.user, "is_authenticated", False):
            raise exceptions.NotAuthenticated()
        if scopes == (AUTHENTICATED,):
            return True
        granted = request.user.actor.scopes
        missing = [s for s in scopes if s not in granted]
        if missing:
            raise exceptions.PermissionDenied(f"The token lacks the scope {' '.join(missing)}.")
        return True
