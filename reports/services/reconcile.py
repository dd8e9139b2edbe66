"""Reconciliation: proves the reports' tables equal the ledger and the vouchers, loudly when they do not.

Seven checks, in one REPEATABLE READ snapshot: every wallet and budget ledger entry has its dimension row
with the same organisation, kind, amount, programme and local day (and no dimension row lacks its
entry); rollup + unfolded deltas = entry dimensions per (organisation, programme, day) and measure;
recipients per (organisation, month, programme, employee) = the award days of the entry dimensions;
monthly rollup + unfolded deltas = entry dimensions per (organisation, month, programme, business unit,
country); monthly recipients = the awarded employees of the entry dimensions at that grain; recipient
counts + unfolded count deltas = the distinct employees of the monthly recipients per month, in all and
per business unit; voucher facts = vouchers (status, points, face value). Each difference is logged as an error and
recorded as a ReconciliationIssue."""

import logging

from django.db import connection, transaction

from reports.models import ReconciliationIssue

logger = logging.getLogger(__name__)
MAX_ISSUES_PER_CHECK = 100
_MEASURES = "awarded, reversed, redeemed, expired, funded, budget_net, wallet_entries"
_FROM_DIMENSIONS = """
    SELECT organisation_id, programme_id, day,
        COALESCE(SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'award'), 0) AS awarded,
        COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'reversal'), 0) AS reversed,
        COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind IN ('spend', 'refund')), 0) AS redeemed,
        COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'expiry'), 0) AS expired,
        COALESCE(SUM(amount) FILTER (WHERE account_kind = 'budget' AND kind = 'topup'), 0) AS funded,
        COALESCE(SUM(amount) FILTER (WHERE account_kind = 'budget'), 0) AS budget_net,
        COUNT(*) FILTER (WHERE account_kind = 'wallet') AS wallet_entries
    FROM reports_entrydimension GROUP BY 1, 2, 3
"""
CHECKS = {
    ReconciliationIssue.Area.DIMENSIONS: """
        WITH ledger AS (
            SELECT e.id, t.organisation_id, t.kind, e.amount,
                (t.created_at AT TIME ZONE o.time_zone)::date AS day,
                CASE WHEN a.kind = 'budget' THEN a.programme_id
                     WHEN t.kind IN ('award', 'reversal') THEN bo.programme_id
                END AS programme_id
            FROM points_ledgerentry e
            JOIN points_account a ON a.id = e.account_id AND a.kind IN ('wallet', 'budget')
            JOIN points_ledgertransaction t ON t.id = e.transaction_id
            JOIN users_organisation o ON o.id = t.organisation_id
            LEFT JOIN (  -- one join over the ledger, not a lookup per entry
                SELECT DISTINCT ON (be.transaction_id) be.transaction_id, b.programme_id
                FROM points_ledgerentry be JOIN points_account b ON b.id = be.account_id AND b.kind = 'budget'
                ORDER BY be.transaction_id, b.programme_id
            ) bo ON bo.transaction_id = e.transaction_id
        )
        SELECT COALESCE(l.organisation_id, d.organisation_id), 'entry ' || COALESCE(l.id, d.entry_id),
            concat_ws(' ', l.kind, l.amount, l.programme_id, l.day),
            concat_ws(' ', d.kind, d.amount, d.programme_id, d.day)
        FROM ledger l FULL JOIN reports_entrydimension d ON d.entry_id = l.id
        WHERE (l.organisation_id, l.kind, l.amount, l.programme_id, l.day)
            IS DISTINCT FROM (d.organisation_id, d.kind, d.amount, d.programme_id, d.day)
    """,
    ReconciliationIssue.Area.ROLLUP: f"""
        WITH dims AS ({_FROM_DIMENSIONS}), rolled AS (
            SELECT organisation_id, programme_id, day, {", ".join(f"SUM({m}) AS {m}" for m in _MEASURES.split(", "))}
            FROM (SELECT organisation_id, programme_id, day, {_MEASURES} FROM reports_pointsdaily
                  UNION ALL SELECT organisation_id, programme_id, day, {_MEASURES} FROM reports_pointsdelta) s
            GROUP BY 1, 2, 3
        )
        SELECT COALESCE(d.organisation_id, r.organisation_id),
            concat_ws(' ', 'programme', COALESCE(d.programme_id, r.programme_id), 'day', COALESCE(d.day, r.day)),
            concat_ws(' ', {", ".join(f"d.{m}" for m in _MEASURES.split(", "))}),
            concat_ws(' ', {", ".join(f"r.{m}" for m in _MEASURES.split(", "))})
        FROM dims d FULL JOIN rolled r ON (r.organisation_id, r.day) = (d.organisation_id, d.day)
            AND r.programme_id IS NOT DISTINCT FROM d.programme_id
        WHERE ({", ".join(f"d.{m}" for m in _MEASURES.split(", "))})
            IS DISTINCT FROM ({", ".join(f"r.{m}" for m in _MEASURES.split(", "))})
    """,
    ReconciliationIssue.Area.RECIPIENTS: """
        WITH expected AS (
            SELECT organisation_id, date_trunc('month', day)::date AS month, programme_id, employee_id,
                bit_or(1 << (extract(day FROM day)::int - 1)) AS days
            FROM reports_entrydimension WHERE account_kind = 'wallet' AND kind = 'award' GROUP BY 1, 2, 3, 4
        ), found AS (
            SELECT organisation_id, month, programme_id, employee_id, bit_or(days) AS days
            FROM reports_pointsrecipient GROUP BY 1, 2, 3, 4
        )
        SELECT COALESCE(e.organisation_id, f.organisation_id),
            concat_ws(' ', 'month', COALESCE(e.month, f.month), 'programme', COALESCE(e.programme_id, f.programme_id),
                'employee', COALESCE(e.employee_id, f.employee_id)),
            COALESCE(e.days::text, 'none'), COALESCE(f.days::text, 'none')
        FROM expected e FULL JOIN found f ON (f.organisation_id, f.month, f.employee_id)
            = (e.organisation_id, e.month, e.employee_id) AND f.programme_id IS NOT DISTINCT FROM e.programme_id
        WHERE e.days IS DISTINCT FROM f.days
    """,
    ReconciliationIssue.Area.MONTHLY: f"""
        WITH dims AS (
            SELECT organisation_id, date_trunc('month', day)::date AS month, programme_id, business_unit_id, country,
                {", ".join(f"SUM({m}) AS {m}" for m in _MEASURES.split(", "))}
            FROM ({
        _FROM_DIMENSIONS.replace("programme_id, day,", "programme_id, business_unit_id, country, day,").replace(
            "GROUP BY 1, 2, 3", "GROUP BY 1, 2, 3, 4, 5"
        )
    }) d
            GROUP BY 1, 2, 3, 4, 5
        ), rolled AS (
            SELECT organisation_id, month, programme_id, business_unit_id, country,
                {", ".join(f"SUM({m}) AS {m}" for m in _MEASURES.split(", "))}
            FROM (SELECT organisation_id, month, programme_id, business_unit_id, country, {_MEASURES}
                  FROM reports_pointsmonthly
                  UNION ALL SELECT organisation_id, date_trunc('month', day)::date, programme_id, business_unit_id,
                      country, {_MEASURES} FROM reports_pointsdelta) s
            GROUP BY 1, 2, 3, 4, 5
        )
        SELECT COALESCE(d.organisation_id, r.organisation_id),
            concat_ws(' ', 'month', COALESCE(d.month, r.month), 'programme', COALESCE(d.programme_id, r.programme_id),
                'business unit', COALESCE(d.business_unit_id, r.business_unit_id),
                'country', COALESCE(d.country, r.country)),
            concat_ws(' ', {", ".join(f"d.{m}" for m in _MEASURES.split(", "))}),
            concat_ws(' ', {", ".join(f"r.{m}" for m in _MEASURES.split(", "))})
        FROM dims d FULL JOIN rolled r
            ON (r.organisation_id, r.month, r.country) = (d.organisation_id, d.month, d.country)
            AND r.programme_id IS NOT DISTINCT FROM d.programme_id
            AND r.business_unit_id IS NOT DISTINCT FROM d.business_unit_id
        WHERE ({", ".join(f"d.{m}" for m in _MEASURES.split(", "))})
            IS DISTINCT FROM ({", ".join(f"r.{m}" for m in _MEASURES.split(", "))})
    """,
    ReconciliationIssue.Area.MONTHLY_RECIPIENTS: """
        WITH expected AS (
            SELECT DISTINCT organisation_id, date_trunc('month', day)::date AS month, business_unit_id, employee_id,
                country, programme_id
            FROM reports_entrydimension WHERE account_kind = 'wallet' AND kind = 'award'
        )
        SELECT COALESCE(e.organisation_id, f.organisation_id),
            concat_ws(' ', 'month', COALESCE(e.month, f.month), 'business unit',
                COALESCE(e.business_unit_id, f.business_unit_id), 'country', COALESCE(e.country, f.country),
                'programme', COALESCE(e.programme_id, f.programme_id),
                'employee', COALESCE(e.employee_id, f.employee_id)),
            CASE WHEN e.employee_id IS NULL THEN 'none' ELSE 'awarded' END,
            CASE WHEN f.employee_id IS NULL THEN 'none' ELSE 'awarded' END
        FROM expected e FULL JOIN reports_pointsmonthlyrecipient f
            ON (f.organisation_id, f.month, f.employee_id, f.country)
                = (e.organisation_id, e.month, e.employee_id, e.country)
            AND f.business_unit_id IS NOT DISTINCT FROM e.business_unit_id
            AND f.programme_id IS NOT DISTINCT FROM e.programme_id
        WHERE e.employee_id IS NULL OR f.employee_id IS NULL
    """,
    ReconciliationIssue.Area.RECIPIENT_COUNTS: """
        WITH expected AS (
            SELECT organisation_id, month, u.by_unit, CASE WHEN u.by_unit THEN business_unit_id END AS business_unit_id,
                COUNT(DISTINCT employee_id) AS recipients
            FROM reports_pointsmonthlyrecipient CROSS JOIN (VALUES (false), (true)) u(by_unit)
            GROUP BY 1, 2, 3, 4
        ), counted AS (
            SELECT organisation_id, month, by_unit, business_unit_id, SUM(recipients) AS recipients
            FROM (SELECT organisation_id, month, by_unit, business_unit_id, recipients FROM reports_recipientcount
                  UNION ALL SELECT organisation_id, month, by_unit, business_unit_id, recipients
                  FROM reports_recipientcountdelta) s
            GROUP BY 1, 2, 3, 4
        )
        SELECT COALESCE(e.organisation_id, c.organisation_id),
            concat_ws(' ', 'month', COALESCE(e.month, c.month),
                CASE WHEN COALESCE(e.by_unit, c.by_unit) THEN 'business unit' ELSE 'all business units' END,
                COALESCE(e.business_unit_id, c.business_unit_id)),
            COALESCE(e.recipients, 0)::text, COALESCE(c.recipients, 0)::text
        FROM expected e FULL JOIN counted c
            ON (c.organisation_id, c.month, c.by_unit) = (e.organisation_id, e.month, e.by_unit)
            AND c.business_unit_id IS NOT DISTINCT FROM e.business_unit_id
        WHERE COALESCE(e.recipients, 0) <> COALESCE(c.recipients, 0)
    """,
    ReconciliationIssue.Area.VOUCHERS: """
        SELECT COALESCE(v.organisation_id, f.organisation_id), 'voucher ' || COALESCE(v.id, f.voucher_id),
            concat_ws(' ', v.status, v.points, v.denomination::numeric(20, 2), p.currency),
            concat_ws(' ', f.status, f.points, f.face_value, f.currency)
        FROM vouchers_voucher v JOIN vouchers_product p ON p.id = v.product_id
        FULL JOIN reports_voucherfact f ON f.voucher_id = v.id
        WHERE (v.organisation_id, v.status, v.points, v.denomination::numeric(20, 2), p.currency)
            IS DISTINCT FROM (f.organisation_id, f.status, f.points, f.face_value, f.currency)
    """,
}


def reports_reconcile() -> list[ReconciliationIssue]:
    """Run every check; answers (and records) the differences found, an empty list when exact."""
    found = []
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:  # one snapshot for every check (inside a caller's transaction, the caller's)
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for area, sql in CHECKS.items():
            cursor.execute(f"{sql} LIMIT %s", [MAX_ISSUES_PER_CHECK])
            found += [
                ReconciliationIssue(organisation_id=org, area=area, key=key, expected=expected, found=actual)
                for org, key, expected, actual in cursor.fetchall()
            ]
    for issue in found:
        logger.error(
            "Reports differ from the ledger (%s) for organisation %s at %s: expected %s, found %s",
            issue.area,
            issue.organisation_id,
            issue.key,
            issue.expected,
            issue.found,
        )
    ReconciliationIssue.objects.bulk_create(found)
    return found
