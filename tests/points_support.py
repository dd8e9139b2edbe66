"""Moved to points/tests/factories.py; the cross-app tests that stay in tests/ import it from here."""

from points.tests.factories import (
    PROGRAMMES,
    REQUESTS,
    balance,
    body,
    budget,
    iso,
    make_programme,
    points_nothing_changes,
    points_state,
    request_document,
    seed_employees,
    submit,
    system,
    topup,
)

__all__ = [
    "PROGRAMMES",
    "REQUESTS",
    "balance",
    "body",
    "budget",
    "iso",
    "make_programme",
    "points_nothing_changes",
    "points_state",
    "request_document",
    "seed_employees",
    "submit",
    "system",
    "topup",
]
