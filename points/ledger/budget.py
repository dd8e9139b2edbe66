"""A programme's budget, split into shard accounts (see the package's note on the budget problem)."""

import logging

from django.db import connection
from django.db.transaction import atomic

from plum.core.db import fetchall, fetchone
from points.errors import PointsError, PointsErrorCode
from points.ledger.accounts import organisation_account_id
from points.ledger.postings import Line, apply_lines
from points.models import Account, Programme

logger = logging.getLogger(__name__)
_SHARDS_LOCKED = (
    "SELECT id, balance FROM points_account WHERE programme_id = %s AND kind = 'budget' ORDER BY id FOR UPDATE"
)


def budget_exhausted(programme: Programme, points: int) -> PointsError:
    return PointsError(
        PointsErrorCode.BUDGET_EXHAUSTED, f"The budget of programme {programme.code!r} cannot pay {points} points."
    )


def budget_take(programme: Programme, points: int) -> list[Line]:
    """Debit the programme's budget by `points`: one shard that pays alone if there is one, else all
    shards locked in primary-key order and the fewest of them taken; raises budget_exhausted."""
    if not connection.in_atomic_block:
        raise RuntimeError("A budget is taken inside the transaction of the credit.")
    shard_id = shard_that_pays(programme, points)
    if shard_id is not None:
        balance = fetchone(
            "UPDATE points_account SET balance = balance - %s WHERE id = %s RETURNING balance", [points, shard_id]
        )[0]
        return [(shard_id, -points, balance)]
    lines, paid = budget_take_each(programme, [points])
    if not paid[0]:
        raise budget_exhausted(programme, points)
    return lines


def budget_take_each(programme: Programme, amounts: list[int]) -> tuple[list[Line], list[bool]]:
    """Lock every shard (in primary-key order) and pay the amounts in order while the budget lasts (an
    amount it cannot pay is skipped, a smaller one after it may still be paid), from the fewest shards,
    richest first. Answers the budget's lines and, for each amount, whether it was paid."""
    logger.debug("every budget shard of programme %s locked", programme.pk)
    shards = fetchall(_SHARDS_LOCKED, [programme.pk])
    available, paid = sum(balance for _, balance in shards), []
    for amount in amounts:
        paid.append(amount <= available)
        if paid[-1]:
            available -= amount
    missing = sum(amount for amount, ok in zip(amounts, paid, strict=True) if ok)
    lines = []
    for shard_id, balance in sorted(shards, key=lambda s: -s[1]):
        take = min(balance, missing)
        if take:
            lines.append((shard_id, -take, balance - take))
            missing -= take
    if lines:
        apply_lines(lines)
    return lines, paid


def split_lines(lines: list[Line], amounts: list[int]) -> list[tuple[Line, ...]]:
    """Share a budget's lines out over amounts that sum to them, in order: each amount's own lines, with
    the shard's balance after each."""
    shards = [[shard_id, -amount, after - amount] for shard_id, amount, after in lines]  # id, left, running
    position, shares = 0, []
    for need in amounts:
        share = []
        while need:
            shard = shards[position]
            take = min(shard[1], need)
            shard[1] -= take
            shard[2] -= take
            need -= take
            share.append((shard[0], -take, shard[2]))
            if not shard[1]:
                position += 1
        shares.append(tuple(share))
    return shares


class _Unused(Exception):
    """Rolls a failed attempt back to its savepoint, and with it the lock of a shard that cannot pay."""


def shard_that_pays(programme: Programme, points: int) -> int | None:
    """A free shard that can pay alone (locked), else a busy one that could, waited for while holding no
    other shard (so no cycle), else None. Each attempt runs in a savepoint: PostgreSQL keeps the lock of a
    row that, once locked, no longer matches the query, and such a stray shard, kept while all shards are
    then locked in primary-key order, could close a cycle with another credit doing the same.
    sql/points_request_credit.sql makes the same choice in one statement."""
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
    so that the shards end as even as possible (a credit's fast path needs one shard that can pay alone).
    Answers the lines; the caller posts them."""
    shards = fetchall(_SHARDS_LOCKED, [programme.pk])
    gets = even_out([balance for _, balance in shards], points)
    lines = [(sid, get, balance + get) for (sid, balance), get in zip(shards, gets, strict=True) if get]
    apply_lines(lines)
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
