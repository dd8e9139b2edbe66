"""The fold: moves the insert-only deltas the capture trigger writes into the daily and monthly rollups,
and its recipient count deltas into the recipient counts.

Each round, in one transaction: claim up to `chunk` deltas (SKIP LOCKED, so folds running at once take
disjoint rows and never wait for each other), delete them, and add their sums to each rollup with one
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
MONTHLY_KEYS = ("organisation_id", "month", "programme_id", "business_unit_id", "country")
_TYPES = {"organisation_id": "uuid", "day": "date", "month": "date", "country": "text", "department": "text"}


def _upsert(table: str, constraint: str, keys: tuple[str, ...]) -> str:
    types = [_TYPES.get(key, "uuid") for key in keys] + ["bigint"] * len(MEASURES)
    columns = ", ".join(keys + MEASURES)
    return f"""
INSERT INTO {table} AS r ({columns})
SELECT {columns}
FROM unnest({", ".join(f"%s::{t}[]" for t in types)}) WITH ORDINALITY AS v({columns}, n)
ORDER BY n
ON CONFLICT ON CONSTRAINT {constraint} DO UPDATE SET {", ".join(f"{m} = r.{m} + excluded.{m}" for m in MEASURES)}
"""


_CLAIM_COUNTS = """
WITH claimed AS MATERIALIZED (
    SELECT id FROM reports_recipientcountdelta ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
)
DELETE FROM reports_recipientcountdelta d USING claimed WHERE d.id = claimed.id
RETURNING d.organisation_id, d.month, d.by_unit, d.business_unit_id, d.recipients
"""
_UPSERT_COUNTS = """
INSERT INTO reports_recipientcount AS r (organisation_id, month, by_unit, business_unit_id, recipients)
SELECT organisation_id, month, by_unit, business_unit_id, recipients
FROM unnest(%s::uuid[], %s::date[], %s::boolean[], %s::uuid[], %s::bigint[])
    WITH ORDINALITY AS v(organisation_id, month, by_unit, business_unit_id, recipients, n)
ORDER BY n
ON CONFLICT ON CONSTRAINT reports_recipient_count_key DO UPDATE SET recipients = r.recipients + excluded.recipients
"""
_UPSERT_DAILY = _upsert("reports_pointsdaily", "reports_daily_key", KEYS)
_UPSERT_MONTHLY = _upsert("reports_pointsmonthly", "reports_monthly_key", MONTHLY_KEYS)


def _sort_key(key: tuple) -> tuple:
    return tuple((value is None, str(value) if value is not None else "") for value in key)


def fold_round(chunk: int) -> int:
    """One claim and upsert of each kind of delta, in the caller's transaction; answers the most deltas
    of one kind folded (a round that took `chunk` of either leaves more for the next)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", [FOLD_LOCK])
    rows = claim_rows(_CLAIM, [chunk], at_most=chunk)
    daily: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(MEASURES))
    monthly: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(MEASURES))
    for row in rows:
        org, day, programme, business_unit, _cost_centre, country, _department = row[: len(KEYS)]
        month_key = (org, day.replace(day=1), programme, business_unit, country)
        for totals in (daily[row[: len(KEYS)]], monthly[month_key]):
            for index, value in enumerate(row[len(KEYS) :]):
                totals[index] += value
    _add(_UPSERT_DAILY, daily, len(KEYS))
    _add(_UPSERT_MONTHLY, monthly, len(MONTHLY_KEYS))
    return max(len(rows), _fold_recipient_counts(chunk))


def _fold_recipient_counts(chunk: int) -> int:
    rows = claim_rows(_CLAIM_COUNTS, [chunk], at_most=chunk)
    counts: dict[tuple, int] = defaultdict(int)
    for *key, recipients in rows:
        counts[tuple(key)] += recipients
    if counts:
        keys = sorted(counts, key=_sort_key)
        columns = [[key[i] for key in keys] for i in range(4)] + [[counts[key] for key in keys]]
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT_COUNTS, columns)
    return len(rows)


def _add(upsert: str, sums: dict[tuple, list[int]], width: int) -> None:
    if not sums:
        return
    keys = sorted(sums, key=_sort_key)
    columns = [[key[i] for key in keys] for i in range(width)]
    columns += [[sums[key][i] for key in keys] for i in range(len(MEASURES))]
    with connection.cursor() as cursor:
        cursor.execute(upsert, columns)


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
