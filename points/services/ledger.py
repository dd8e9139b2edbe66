"""Ledger primitives: the only code that moves points.

Lock order, everywhere: a points request row, then the wallet, then budget shards (in primary-key
order when more than one is waited for), then organisation accounts. A shared order means no two
transactions can wait on each other in a cycle.

The budget problem: every credit draws on its programme's budget, and one budget row would queue all
credits of a programme behind each other. The budget is therefore split into shard accounts. A credit
takes one shard that has enough points and that no other transaction holds (SKIP LOCKED), so parallel
credits proceed on different shards. When every such shard is busy it waits for one of them: waiting
while holding no shard cannot close a cycle (a failed attempt is rolled back to a savepoint, which lets
its shard go). Only when no shard can pay alone does a credit lock all shards (in primary-key order)
and take from several; doing that merely because the shards were busy made every credit under load
lock them all, one credit at a time. Each shard carries CHECK (balance >= 0), so the budget, the sum
of its shards, is exact and can never be overspent.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.transaction import atomic
from django.utils import timezone

from plum.core.db import fetchall, fetchone
from plum.core.ids import uuid7
from points.errors import PointsError, PointsErrorCode
from points.models import Account, LedgerTransaction, Lot, Programme

# (account id, signed amount, balance after or None for untracked sinks)
Line = tuple[int, int, int | None]


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
    """Add `delta` to an employee's wallet, locking it; answers (account id, new balance), or None
    when a debit would overdraw it. The wallet is created on first use (an employee always has one)."""
    params = {"delta": delta, "employee": employee_pk}
    row = fetchone(_WALLET_MOVE, params)
    if row is None and delta > 0:
        fetchone(
            "INSERT INTO points_account (organisation_id, kind, employee_id, balance, created_at)"
            " VALUES (%s, 'wallet', %s, 0, now()) ON CONFLICT (employee_id) WHERE kind = 'wallet' DO NOTHING"
            " RETURNING id",
            [organisation_id, employee_pk],
        )
        row = fetchone(_WALLET_MOVE, params)
    return row


def budget_shards_create(programme: Programme) -> None:
    Account.objects.bulk_create(
        [
            Account(organisation_id=programme.organisation_id, kind=Account.Kind.BUDGET, programme=programme, shard=n)
            for n in range(programme.budget_shards)
        ],
        ignore_conflicts=True,
    )


def budget_take(programme: Programme, points: int) -> list[Line]:
    """Debit the programme's budget by `points` (see the module's note); raises budget_exhausted."""
    if not connection.in_atomic_block:
        raise RuntimeError("A budget is taken inside the transaction of the credit.")
    shard_id = _shard_that_pays(programme, points)
    if shard_id is not None:
        balance = fetchone(
            "UPDATE points_account SET balance = balance - %s WHERE id = %s RETURNING balance", [points, shard_id]
        )[0]
        return [(shard_id, -points, balance)]
    shards = fetchall(
        "SELECT id, balance FROM points_account WHERE programme_id = %s AND kind = 'budget' ORDER BY id FOR UPDATE",
        [programme.pk],
    )
    if sum(balance for _, balance in shards) < points:
        raise PointsError(
            PointsErrorCode.BUDGET_EXHAUSTED, f"The budget of programme {programme.code!r} cannot pay {points} points."
        )
    lines, missing = [], points
    for shard_id, balance in sorted(shards, key=lambda s: -s[1]):
        take = min(balance, missing)
        if take:
            lines.append((shard_id, -take, balance - take))
            missing -= take
        if not missing:
            break
    _update_balances(lines)
    return lines


class _Unused(Exception):
    """Rolls a failed attempt back to its savepoint, and with it the lock of a shard that cannot pay."""


def _shard_that_pays(programme: Programme, points: int) -> int | None:
    """A free shard that can pay alone, else a busy one that could, waited for while holding no other
    shard (so no cycle), else None. Each attempt runs in a savepoint: PostgreSQL keeps the lock of a row
    that, once locked, no longer matches the query, and such a stray shard, kept while all shards are
    then locked in primary-key order, could close a cycle with another credit doing the same."""
    free_sql = (
        "SELECT id FROM points_account WHERE programme_id = %s AND kind = 'budget' AND balance >= %s"
        " ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED"
    )
    busy_sql = (
        "SELECT id FROM points_account WHERE programme_id = %s AND kind = 'budget' AND balance >= %s"
        " ORDER BY random() LIMIT 1"
    )
    try:
        with atomic():
            row = fetchone(free_sql, [programme.pk, points])
            if row is None:
                raise _Unused
            return row[0]
    except _Unused:
        pass
    busy = fetchone(busy_sql, [programme.pk, points])  # no lock: only this one row is waited for, below
    if busy is None:
        return None
    try:
        with atomic():
            (balance,) = fetchone("SELECT balance FROM points_account WHERE id = %s FOR UPDATE", busy)
            if balance < points:  # drained while we waited
                raise _Unused
            return busy[0]
    except _Unused:
        return None


def budget_give(programme: Programme, points: int) -> list[Line]:
    """Return points to the budget (reversals, refunds): onto any free shard, else wait for any one."""
    any_shard = "SELECT id FROM points_account WHERE programme_id = %s AND kind = 'budget' ORDER BY random() LIMIT 1"
    row = fetchone(any_shard + " FOR UPDATE SKIP LOCKED", [programme.pk]) or fetchone(
        any_shard + " FOR UPDATE", [programme.pk]
    )
    balance = fetchone(
        "UPDATE points_account SET balance = balance + %s WHERE id = %s RETURNING balance", [points, row[0]]
    )[0]
    return [(row[0], points, balance)]


def budget_topup(programme: Programme, points: int) -> list[Line]:
    """Move `points` from the organisation's funding account into the programme's shards, poorest first,
    so that the shards end as even as possible (a credit's fast path needs one shard that can pay alone)."""
    shards = fetchall(
        "SELECT id, balance FROM points_account WHERE programme_id = %s AND kind = 'budget' ORDER BY id FOR UPDATE",
        [programme.pk],
    )
    gets = even_out([balance for _, balance in shards], points)
    lines = [(sid, get, balance + get) for (sid, balance), get in zip(shards, gets, strict=True) if get]
    _update_balances(lines)
    funding = organisation_account_id(programme.organisation_id, Account.Kind.FUNDING)
    balance = fetchone(
        "UPDATE points_account SET balance = balance - %s WHERE id = %s RETURNING balance", [points, funding]
    )[0]
    return [*lines, (funding, -points, balance)]


def even_out(balances: list[int], points: int) -> list[int]:
    """How much of `points` each balance gets: the k poorest are raised to one level L (or L + 1 for the
    remainder, lowest position first), with k the largest count whose level does not pass the next one."""
    order = sorted(range(len(balances)), key=lambda n: (balances[n], n))
    total, k = points, 0
    while k < len(order):
        total += balances[order[k]]
        k += 1
        if k == len(order) or total // k <= balances[order[k]]:
            break
    level, extra = divmod(total, k)
    gets = [0] * len(balances)
    for rank, n in enumerate(order[:k]):
        gets[n] = level + (1 if rank < extra else 0) - balances[n]
    return gets


def _update_balances(lines: list[Line]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE points_account SET balance = balance + %s WHERE id = %s",
            [(amount, aid) for aid, amount, _ in lines],
        )


_INSERT_TRANSACTION = (
    "INSERT INTO points_ledgertransaction (id, organisation_id, kind, reference, memo, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)
_INSERT_ENTRIES = (
    "INSERT INTO points_ledgerentry (id, transaction_id, account_id, amount, balance_after, reference, created_at)"
    " SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::bigint[], %s::bigint[], %s::bigint[], %s::text[],"
    " %s::timestamptz[])"
)


def post_transaction(
    organisation_id,
    kind: str,
    lines: list[Line],
    *,
    reference: str = "",
    memo: str = "",
    line_reference: str | None = None,
    lot: Lot | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction (PostgreSQL checks the sum at commit), and the lot it creates if any,
    in one round trip: this is on the path of every credit."""
    now = timezone.now()
    transaction = LedgerTransaction(
        id=uuid7(), organisation_id=organisation_id, kind=kind, reference=reference, memo=memo[:500], created_at=now
    )
    line_ref = reference if line_reference is None else line_reference
    sql = f"WITH t AS ({_INSERT_TRANSACTION}), e AS ({_INSERT_ENTRIES})"
    params = [transaction.id, organisation_id, kind, reference, transaction.memo, now]
    params += [
        [uuid7() for _ in lines],
        [transaction.id] * len(lines),
        [a for a, _, _ in lines],
        [m for _, m, _ in lines],
        [b for _, _, b in lines],
        [line_ref] * len(lines),
        [now] * len(lines),
    ]
    if lot is not None:
        sql += (
            ", l AS (INSERT INTO points_lot (id, organisation_id, account_id, points, remaining, expires_at,"
            " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s))"
        )
        params += [lot.id, lot.organisation_id, lot.account_id, lot.points, lot.remaining, lot.expires_at, now]
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT 1", params)
    return transaction


@dataclass(frozen=True)
class Award:
    transaction: LedgerTransaction
    balance_after: int
    lot: Lot


def award(*, programme: Programme, employee_pk, points: int, reference: str, now: datetime, memo: str = "") -> Award:
    """Credit a wallet from the programme's budget, as one lot expiring after the programme's validity."""
    wallet_id, balance = wallet_move(programme.organisation_id, employee_pk, points)
    budget_lines = budget_take(programme, points)
    lot = Lot(
        id=uuid7(),
        organisation_id=programme.organisation_id,
        account_id=wallet_id,
        points=points,
        remaining=points,
        expires_at=now + timedelta(days=programme.points_validity_days),
    )
    transaction = post_transaction(
        programme.organisation_id,
        LedgerTransaction.Kind.AWARD,
        [(wallet_id, points, balance), *budget_lines],
        reference=reference,
        memo=memo,
        lot=lot,
    )
    return Award(transaction, balance, lot)


def consume_lots(wallet_id: int, points: int, now: datetime) -> list[tuple[object, int]]:
    """Take `points` from the wallet's unexpired lots, first to expire first. The caller holds the wallet
    lock. Answers [(lot id, points taken)]; raises insufficient_balance if the lots cannot cover it."""
    lots = fetchall(
        "SELECT id, remaining FROM points_lot WHERE account_id = %s AND remaining > 0 AND expires_at > %s"
        " ORDER BY expires_at, id FOR UPDATE",
        [wallet_id, now],
    )
    taken, missing = [], points
    for lot_id, remaining in lots:
        take = min(remaining, missing)
        taken.append((lot_id, take))
        missing -= take
        if not missing:
            break
    if missing:
        raise insufficient_balance(points)
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE points_lot SET remaining = remaining - %s WHERE id = %s", [(take, lot_id) for lot_id, take in taken]
        )
    return taken


def insufficient_balance(points: int) -> PointsError:
    return PointsError(PointsErrorCode.INSUFFICIENT_BALANCE, f"The wallet does not hold {points} spendable points.")
