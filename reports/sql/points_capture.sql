-- Reports' capture of ledger movements, in the ledger's own transaction (owned by the reports app).
-- One trigger per statement, so every way the ledger is written (INSERT ... VALUES, INSERT ... SELECT
-- unnest, COPY) is covered: the statement's wallet and budget entries get their dimension rows (the
-- employee's business unit, cost centre, country and department at this moment, the local day), their
-- sums per (day, dimensions) become one insert-only delta row each, and awards mark their recipients.
CREATE OR REPLACE FUNCTION reports_capture_ledger_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A time zone change rebuilds the organisation's reports (reports_rebuild_organisation) under its
    -- row lock: share it, so either our rows are there to rebuild or we read the new zone.
    PERFORM 1 FROM users_organisation WHERE id IN (
        SELECT t.organisation_id FROM points_ledgertransaction t
        WHERE t.id IN (SELECT transaction_id FROM new_entries)
    ) ORDER BY id FOR SHARE;

    WITH budget_of AS (
        -- every ledger path writes an award's or reversal's budget entries in the statement of its wallet
        -- entry (post_transaction: one INSERT; credit_many: one COPY; the single-credit function: one
        -- INSERT), so the programme comes from the statement's own rows, never from a shard's history
        SELECT DISTINCT ON (ne.transaction_id) ne.transaction_id, b.programme_id
        FROM new_entries ne JOIN points_account b ON b.id = ne.account_id AND b.kind = 'budget'
        ORDER BY ne.transaction_id, b.programme_id
    ), dims AS (
        INSERT INTO reports_entrydimension (entry_id, organisation_id, account_kind, kind, employee_id,
            programme_id, business_unit_id, cost_centre_id, country, department, happened_at, day, amount)
        SELECT e.id, t.organisation_id, a.kind, t.kind, a.employee_id,
            CASE WHEN a.kind = 'budget' THEN a.programme_id
                 -- a budget entry written by an earlier statement of the transaction: found through the
                 -- transaction's own entries only (OFFSET 0 keeps the planner from starting at the shards)
                 WHEN t.kind IN ('award', 'reversal') THEN COALESCE(bo.programme_id, (
                     SELECT b.programme_id
                     FROM (SELECT account_id FROM points_ledgerentry
                           WHERE transaction_id = e.transaction_id OFFSET 0) be
                     JOIN points_account b ON b.id = be.account_id AND b.kind = 'budget' LIMIT 1))
            END,
            emp.business_unit_id, emp.cost_centre_id, COALESCE(emp.country, ''), COALESCE(emp.department, ''),
            t.created_at, (t.created_at AT TIME ZONE o.time_zone)::date, e.amount
        FROM new_entries e
        JOIN points_account a ON a.id = e.account_id AND a.kind IN ('wallet', 'budget')
        JOIN points_ledgertransaction t ON t.id = e.transaction_id
        JOIN users_organisation o ON o.id = t.organisation_id
        LEFT JOIN users_employee emp ON emp.id = a.employee_id
        LEFT JOIN budget_of bo ON bo.transaction_id = e.transaction_id
        RETURNING *
    ), deltas AS (
        INSERT INTO reports_pointsdelta (organisation_id, day, programme_id, business_unit_id, cost_centre_id,
            country, department, awarded, reversed, redeemed, expired, funded, budget_net, wallet_entries)
        SELECT organisation_id, day, programme_id, business_unit_id, cost_centre_id, country, department,
            COALESCE(SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'award'), 0),
            COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'reversal'), 0),
            COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind IN ('spend', 'refund')), 0),
            COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'expiry'), 0),
            COALESCE(SUM(amount) FILTER (WHERE account_kind = 'budget' AND kind = 'topup'), 0),
            COALESCE(SUM(amount) FILTER (WHERE account_kind = 'budget'), 0),
            COUNT(*) FILTER (WHERE account_kind = 'wallet')
        FROM dims
        GROUP BY organisation_id, day, programme_id, business_unit_id, cost_centre_id, country, department
    ), monthly_recipients AS (
        INSERT INTO reports_pointsmonthlyrecipient (organisation_id, month, business_unit_id, employee_id, country,
            programme_id)
        SELECT DISTINCT organisation_id, date_trunc('month', day)::date, business_unit_id, employee_id, country,
            programme_id
        FROM dims WHERE account_kind = 'wallet' AND kind = 'award'
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (organisation_id, month, business_unit_id, employee_id, country, programme_id) DO NOTHING
    ), presence AS (
        -- an employee's first award in a month, in all and in a business unit, is one more recipient there
        INSERT INTO reports_recipientpresence (organisation_id, month, by_unit, business_unit_id, employee_id)
        SELECT DISTINCT organisation_id, date_trunc('month', day)::date, u.by_unit,
            CASE WHEN u.by_unit THEN business_unit_id END, employee_id
        FROM dims CROSS JOIN (VALUES (false), (true)) u(by_unit)
        WHERE account_kind = 'wallet' AND kind = 'award'
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (organisation_id, month, by_unit, business_unit_id, employee_id) DO NOTHING
        RETURNING organisation_id, month, by_unit, business_unit_id
    ), counted AS (
        INSERT INTO reports_recipientcountdelta (organisation_id, month, by_unit, business_unit_id, recipients)
        SELECT organisation_id, month, by_unit, business_unit_id, COUNT(*) FROM presence GROUP BY 1, 2, 3, 4
    )
    -- rows in key order, so two statements marking the same recipients cannot deadlock
    INSERT INTO reports_pointsrecipient AS r (organisation_id, month, programme_id, employee_id,
        business_unit_id, cost_centre_id, country, department, days)
    SELECT organisation_id, date_trunc('month', day)::date, programme_id, employee_id, business_unit_id,
        cost_centre_id, country, department, bit_or(1 << (extract(day FROM day)::int - 1))
    FROM dims WHERE account_kind = 'wallet' AND kind = 'award'
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
    ON CONFLICT (organisation_id, month, programme_id, employee_id, business_unit_id, cost_centre_id, country,
        department) DO UPDATE SET days = r.days | excluded.days WHERE r.days | excluded.days <> r.days;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER reports_capture_ledger_entries AFTER INSERT ON points_ledgerentry
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION reports_capture_ledger_entries();
