"""The points ledger: the only code that writes accounts, budget shards, ledger transactions, entries and
lots. Services (points.services) decide what happens and call these primitives:

    credit_many         wallets from programme budgets, a lot each    single requests (general path and
                                                                     approvals), batch chunks, uploads
    debit_wallet        a wallet into the redemption sink, FIFO lots  points_spend (voucher orders)
    refund_into_lots    back into the lots a debit took               points_refund
    reverse_credit      a credit's lot back into the budget           points_request_reverse
    expire_wallet       lots past their date into the expiry sink     lots_expire
    budget_to_sink, budget_units_to_sink, sink_to_budget, budget_topup
                        moves between accounts                        budget spends and refunds, top-ups
    post_transaction    one balanced ledger transaction               every move above

SQL that must live in PostgreSQL is in sql/ beside this package and is loaded by migrations
(sql_files.py; a test proves the database's definitions equal the files): the invariants (append-only
rows, transactions balanced at commit), the acceptance rule of a points request, and the one-statement
credit points_request_credit, the single-credit fast path, which writes the rows credit_many writes for
one request (the REST benchmark needs it to stay one prepared statement, one round trip).

The acceptance rule (programme found and active, employee found and active, points from 1 to the
programme's maximum, at or above the approval threshold: pending approval) is the SQL function
points_request_decision, which the fast statement calls. Python's callers use acceptance.decision,
the same rule written for values already in memory (a batch chunk decides 2,000 items against two
queries; a round trip to ask PostgreSQL would cost more than the rule). The two are one definition by
test: points/tests/test_ledger_acceptance.py runs the whole decision matrix through both. The budget is
not in the rule: credit_many asks it, and the fast statement falls back to the general path when no
single shard can pay.

Lock order, everywhere: a points request row, then wallets (in primary-key order), then budget shards
(in primary-key order when more than one is waited for), then organisation accounts. A shared order
means no two transactions can wait on each other in a cycle.

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

from points.ledger.accounts import budget_shards_create, organisation_account_id, wallet_balances
from points.ledger.budget import budget_exhausted, budget_topup, shard_that_pays
from points.ledger.credits import Award, Credit, credit_many
from points.ledger.debits import (
    debit_wallet,
    expire_wallet,
    refund_into_lots,
    reverse_credit,
    wallets_with_lots_due,
)
from points.ledger.moves import budget_to_sink, budget_units_to_sink, sink_to_budget
from points.ledger.postings import post_transaction
from points.ledger.reconcile import balance_mismatches

__all__ = [
    "Award",
    "Credit",
    "balance_mismatches",
    "budget_exhausted",
    "budget_shards_create",
    "budget_to_sink",
    "budget_topup",
    "budget_units_to_sink",
    "credit_many",
    "debit_wallet",
    "expire_wallet",
    "organisation_account_id",
    "post_transaction",
    "refund_into_lots",
    "reverse_credit",
    "shard_that_pays",
    "sink_to_budget",
    "wallet_balances",
    "wallets_with_lots_due",
]
