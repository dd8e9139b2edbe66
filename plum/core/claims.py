"""Row claims that take exactly what they ask for, whatever plan PostgreSQL picks.

`UPDATE … FROM (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` (or `WHERE id IN (…)`) is not evaluated once:
when the planner puts the subquery on the inner side of a nested loop (stale statistics that call a
table nearly empty are enough), every rescan skips the rows the statement itself has just updated and
locks fresh ones, so one statement claims far more than n. Claims here are either a plain `SELECT … LIMIT
n FOR UPDATE SKIP LOCKED` (LIMIT is the top of its plan) or an `UPDATE` that takes the ids from a
`WITH … AS MATERIALIZED (…)` claim (evaluated once, rescans read the stored rows). `claim_rows` refuses
any other shape, and a claim that still answers more than n rows is an error inside the transaction.
"""

import re

from django.db import connection

_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.I)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
# WITH <name> AS MATERIALIZED (<the claim>) UPDATE|DELETE <the rest>
_MATERIALIZED_CLAIM = re.compile(
    r"\s*WITH\s+\w+\s+AS\s+MATERIALIZED\s*\((.*?)\)\s*(?:UPDATE|DELETE)\b(.*)", re.I | re.S
)


class ClaimOverrun(RuntimeError):
    """A claim answered more rows than it may take: a bug, never a result to use."""


def check_claim_shape(sql: str) -> None:
    """Refuse a claim whose locking query PostgreSQL may evaluate more than once: a claim is a plain SELECT,
    or one MATERIALIZED query that locks, with an UPDATE or DELETE after it that locks nothing more."""
    text = _COMMENTS.sub(" ", sql)
    if re.match(r"\s*SELECT\b", text, re.I):
        return
    shaped = _MATERIALIZED_CLAIM.match(text)
    if shaped and _LOCKING.search(shaped.group(1)) and not _LOCKING.search(shaped.group(2)):
        return
    raise ValueError("A claim takes its rows in a plain SELECT or a WITH … AS MATERIALIZED query, not inline")


def claim_rows(sql: str, params, *, at_most: int) -> list[tuple]:
    """Run a claim in the caller's transaction and answer its rows; more than `at_most` is ClaimOverrun,
    raised before the caller can use them (its transaction then rolls back)."""
    check_claim_shape(sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if len(rows) > at_most:
        raise ClaimOverrun(f"A claim of at most {at_most} rows answered {len(rows)}")
    return rows
