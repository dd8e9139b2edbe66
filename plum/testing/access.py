"""The four callers an access matrix tries on a victim organisation's objects (test_*_access.py)."""

from rest_framework.test import APIClient

from plum.core.scopes import ALL_SCOPES

CALLERS = ("anonymous", "expired", "no_scope", "other_organisation")


def caller(name: str, victim, make_tenant, scope, prepare=None):
    """The client, the status it must get for a call naming the victim's object, and the status for one that
    does not (None: allowed, on the intruder's own organisation). `prepare(intruder)` gives the intruder
    what its own calls need."""
    if name == "anonymous":
        return APIClient(), 401, 401
    if name == "expired":
        return victim.api(expired=True), 401, 401
    if name == "no_scope":
        return victim.api(scopes=[s for s in ALL_SCOPES if s != scope]), 403, 403
    intruder = make_tenant("intruder")
    if prepare is not None:
        prepare(intruder)
    return intruder.api(), 404, None
