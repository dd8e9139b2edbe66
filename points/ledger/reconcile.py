"""The proof of cached balances: balance = sum of entries (every tracked account), = sum of lots (wallets)."""

from plum.core.db import fetchall


def balance_mismatches() -> list[tuple]:
    """(account id, organisation id, kind, cached balance, sum of entries, sum of lots) of every tracked
    account whose figures disagree. One statement, one snapshot, so transactions committing meanwhile
    cannot show up as mismatches."""
    return fetchall(
        """
        SELECT a.id, a.organisation_id, a.kind, a.balance, COALESCE(e.total, 0)::bigint, COALESCE(l.total, 0)::bigint
        FROM points_account a
        LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM points_ledgerentry GROUP BY account_id) e
               ON e.account_id = a.id
        LEFT JOIN (SELECT account_id, SUM(remaining) AS total FROM points_lot GROUP BY account_id) l
               ON l.account_id = a.id
        WHERE a.kind NOT IN ('redemption', 'expiry')
          AND (a.balance <> COALESCE(e.total, 0) OR (a.kind = 'wallet' AND a.balance <> COALESCE(l.total, 0)))
        ORDER BY a.id
        """,
        [],
    )
