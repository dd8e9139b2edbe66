"""What the erasure walk (plum.core.personal_data) needs to know about the points app's tables."""

from django.db import connection
from django.db.models import Q

from plum.core.personal_data import (
    erased_by,
    export_section,
    holds_no_personal_data,
    postgres_pattern,
    rows_about_person,
)
from points import selectors
from points.models import Account, LedgerEntry, LedgerTransaction, PointsRequest, ReconciliationIssue


def _ledger_memos(person, scrubber) -> int:
    """Ledger transactions are append-only: their memos change only through the database function the
    append-only trigger permits (points/ledger/sql/invariants.sql)."""
    wallet_transactions = set(
        LedgerEntry.objects.filter(account__employee_id=person.employee_pk).values_list("transaction_id", flat=True)
    )
    rows = LedgerTransaction.objects.filter(
        organisation_id=person.organisation_id, memo__iregex=postgres_pattern(person.every_value)
    ).values_list("id", "memo")
    changes = [
        (pk, new)
        for pk, memo in rows
        if (new := scrubber.text(memo, about_person=pk in wallet_transactions)[:500]) != memo
    ]
    if not changes:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT points_ledger_erase_memo(%s, %s::uuid[], %s::text[])",
            [person.organisation_id, [pk for pk, _ in changes], [memo for _, memo in changes]],
        )
        return cursor.fetchone()[0]


def _wallet(actor, employee) -> dict:
    return selectors.wallet_documents(actor=actor, employees=[employee])[employee.pk]


def _ledger_lines(actor, employee) -> list[dict]:
    lines = selectors.wallet_lines(actor=actor, employee_id=employee.employee_id).order_by("created_at", "id")
    return [selectors.wallet_line_document(line) for line in lines]


def _points_requests(actor, employee) -> list[dict]:
    requests = selectors.points_request_list(actor=actor).filter(employee=employee).order_by("created_at", "id")
    return [selectors.points_request_document(r) for r in requests]


def register() -> None:
    export_section("wallet", _wallet)
    export_section("ledger_lines", _ledger_lines)
    export_section("points_requests", _points_requests)
    holds_no_personal_data(Account, LedgerEntry, ReconciliationIssue)
    erased_by(LedgerTransaction, _ledger_memos)
    rows_about_person(PointsRequest, lambda person: Q(employee_id=person.employee_pk))
