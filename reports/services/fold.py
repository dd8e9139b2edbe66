"""The fold: moves the insert-only deltas the capture trigger writes into the daily rollup.

Each round, in one transaction: claim up to `chunk` deltas (SKIP LOCKED, so folds running at once take
disjoint rows and never wait for each other), delete them, and add their sums to the rollup with one
upsert in key order (two folds touching the same rollup rows lock them in the same order). Readers see
the rollup and the unfolded deltas in one snapshot, so a fold never changes a report."""

from collections import defaultdict

from django.db import connection, transaction

from plum.core.claims import claim_rows

KEYS = ("organisation_id", "day", "programme_id", "business_unit_id", "cost_centre_id", "country", "department")
MEASURES = ("awarded", "reversed", "redeemed", "expired", "funded", "budget_net", "wallet_entries")
FOLD_LOCK = "reports_fold"  # taken shared here, exclusive by a time zone rebuild (reports/sql/rebuild.sql)

_CLAIM = f"""
WITH claimed AS MATERIALIZED (
    SELECT id FROM reports_pointsdelta ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
)
DELETE FROM reports_pointsdelta d USING claimed WHERE d.id = claimed.id
RETURNING {", ".join(f"d.{c}" for c in KEYS + MEASURES)}
"""
_TYPES = ("uuid", "date", "uuid", "uuid", "uuid", "text", "text") + ("bigint",) * len(MEASURES)
_UPSERT = f"""
INSERT INTO reports_pointsdaily AS r ({", ".join(KEYS + MEASURES)})
SELECT {", ".join(KEYS + MEASURES)}
FROM unnest({", ".join(f"%s::{t}[]" for t in _TYPES)}) WITH ORDINALITY AS v({", ".join(KEYS + MEASURES)}, n)
ORDER BY n
ON CONFLICT ON CONSTRAINT reports_daily_key DO UPDATE SET {", ".join(f"{m} = r.{m} + excluded.{m}" for m in MEASURES)}
"""


def _sort_key(key: tuple) -> tuple:
    return tuple((value is None, str(value) if value is not None else "") for value in key)


def fold_round(chunk: int) -> int:
    """One claim and upsert, in the caller's transaction; answers the deltas folded."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", [FOLD_LOCK])
    rows = claim_rows(_CLAIM, [chunk], at_most=chunk)
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(MEASURES))
    for row in rows:
        totals = sums[row[: len(KEYS)]]
        for index, value in enumerate(row[len(KEYS) :]):
            totals[index] += value
    if sums:
        keys = sorted(sums, key=_sort_key)
        columns = [[key[i] for key in keys] for i in range(len(KEYS))]
        columns += [[sums[key][i] for key in keys] for i in range(len(MEASURES))]
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, columns)
    return len(rows)


def points_deltas_fold(*, chunk: int = 5000, max_rounds: int = 20) -> int:
    """Fold the deltas waiting (at most chunk * max_rounds per call); answers how many were folded."""
    folded = 0
    for _ in range(max_rounds):
        with transaction.atomic():
            done = fold_round(chunk)
        folded += done
        if done < chunk:
            break
    return folded
