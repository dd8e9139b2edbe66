"""Accounts: the organisation's funding account and sinks, employee wallets (created on first use) and
the shards of a programme's budget."""

from plum.core.db import array, fetchall, fetchone
from points.models import Account, Programme


def organisation_account_id(organisation_id, kind: str) -> int:
    """The organisation's funding account or a sink, created on first use."""
    row = fetchone("SELECT id FROM points_account WHERE organisation_id = %s AND kind = %s", [organisation_id, kind])
    if row:
        return row[0]
    fetchone(
        "INSERT INTO points_account (organisation_id, kind, balance, created_at) VALUES (%s, %s, 0, now())"
        " ON CONFLICT (organisation_id, kind) WHERE kind IN ('funding', 'redemption', 'expiry') DO NOTHING"
        " RETURNING id",
        [organisation_id, kind],
    )
    return fetchone("SELECT id FROM points_account WHERE organisation_id = %s AND kind = %s", [organisation_id, kind])[
        0
    ]


_WALLET_MOVE = (
    "UPDATE points_account SET balance = balance + %(delta)s"
    " WHERE kind = 'wallet' AND employee_id = %(employee)s AND balance + %(delta)s >= 0"
    " RETURNING id, balance"
)


def wallet_move(organisation_id, employee_pk, delta: int) -> tuple[int, int] | None:
    """Add `delta` to one employee's wallet, locking it; answers (account id, new balance), or None when a
    debit would overdraw it (or there is no wallet). A credit creates the wallet on first use."""
    params = {"delta": delta, "employee": employee_pk}
    row = fetchone(_WALLET_MOVE, params)
    if row is None and delta > 0:
        wallets_lock(organisation_id, [employee_pk])
        row = fetchone(_WALLET_MOVE, params)
    return row


def wallets_lock(organisation_id, employee_pks) -> dict:
    """Create the wallets missing among these employees', then lock them all in primary-key order;
    answers {employee pk: (wallet id, balance)}. Two callers creating the same wallets insert them in one
    order, so neither waits on the other in a cycle."""
    employees = array(sorted(set(employee_pks)))
    fetchall(
        "INSERT INTO points_account (organisation_id, kind, employee_id, balance, created_at)"
        " SELECT %s, 'wallet', e, 0, now() FROM unnest(%s::uuid[]) AS e ORDER BY e"
        " ON CONFLICT (employee_id) WHERE kind = 'wallet' DO NOTHING RETURNING id",
        [organisation_id, employees],
    )
    rows = fetchall(
        "SELECT employee_id, id, balance FROM points_account WHERE kind = 'wallet'"
        " AND employee_id = ANY(%s::uuid[]) ORDER BY id FOR NO KEY UPDATE",
        [employees],
    )
    return {employee: (wallet_id, balance) for employee, wallet_id, balance in rows}


def wallet_balances(employee_pks) -> dict:
    """{employee pk: wallet balance} read without a lock (a guess, corrected once the wallets are locked)."""
    return dict(
        fetchall(
            "SELECT employee_id, balance FROM points_account WHERE kind = 'wallet' AND employee_id = ANY(%s::uuid[])",
            [array(set(employee_pks))],
        )
    )


def budget_shards_create(programme: Programme) -> None:
    Account.objects.bulk_create(
        [
            Account(organisation_id=programme.organisation_id, kind=Account.Kind.BUDGET, programme=programme, shard=n)
            for n in range(programme.budget_shards)
        ],
        ignore_conflicts=True,
    )
