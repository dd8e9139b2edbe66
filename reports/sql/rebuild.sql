-- An organisation's new time zone re-dates its reports, in the transaction that changes it: the days of
-- its entry dimensions and voucher facts are computed again, its rollup, deltas and recipients rebuilt
-- from the entry dimensions (the monthly rollup from the daily one, the recipient counts from the monthly
-- recipients, each just rebuilt). The fold takes the same advisory lock shared (reports.services.fold).
CREATE OR REPLACE FUNCTION reports_rebuild_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('reports_fold'));
    UPDATE reports_entrydimension SET day = (happened_at AT TIME ZONE NEW.time_zone)::date
        WHERE organisation_id = NEW.id;
    DELETE FROM reports_pointsdelta WHERE organisation_id = NEW.id;
    DELETE FROM reports_pointsdaily WHERE organisation_id = NEW.id;
    INSERT INTO reports_pointsdaily (organisation_id, day, programme_id, business_unit_id, cost_centre_id,
        country, department, awarded, reversed, redeemed, expired, funded, budget_net, wallet_entries)
    SELECT organisation_id, day, programme_id, business_unit_id, cost_centre_id, country, department,
        COALESCE(SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'award'), 0),
        COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'reversal'), 0),
        COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind IN ('spend', 'refund')), 0),
        COALESCE(-SUM(amount) FILTER (WHERE account_kind = 'wallet' AND kind = 'expiry'), 0),
        COALESCE(SUM(amount) FILTER (WHERE account_kind = 'budget' AND kind = 'topup'), 0),
        COALESCE(SUM(amount) FILTER (WHERE account_kind = 'budget'), 0),
        COUNT(*) FILTER (WHERE account_kind = 'wallet')
    FROM reports_entrydimension WHERE organisation_id = NEW.id
    GROUP BY organisation_id, day, programme_id, business_unit_id, cost_centre_id, country, department;
    DELETE FROM reports_pointsrecipient WHERE organisation_id = NEW.id;
    INSERT INTO reports_pointsrecipient (organisation_id, month, programme_id, employee_id, business_unit_id,
        cost_centre_id, country, department, days)
    SELECT organisation_id, date_trunc('month', day)::date, programme_id, employee_id, business_unit_id,
        cost_centre_id, country, department, bit_or(1 << (extract(day FROM day)::int - 1))
    FROM reports_entrydimension
    WHERE organisation_id = NEW.id AND account_kind = 'wallet' AND kind = 'award'
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
    DELETE FROM reports_pointsmonthly WHERE organisation_id = NEW.id;
    INSERT INTO reports_pointsmonthly (organisation_id, month, programme_id, business_unit_id, country,
        awarded, reversed, redeemed, expired, funded, budget_net, wallet_entries)
    SELECT organisation_id, date_trunc('month', day)::date, programme_id, business_unit_id, country,
        SUM(awarded), SUM(reversed), SUM(redeemed), SUM(expired), SUM(funded), SUM(budget_net), SUM(wallet_entries)
    FROM reports_pointsdaily WHERE organisation_id = NEW.id
    GROUP BY 1, 2, 3, 4, 5;
    DELETE FROM reports_pointsmonthlyrecipient WHERE organisation_id = NEW.id;
    INSERT INTO reports_pointsmonthlyrecipient (organisation_id, month, business_unit_id, employee_id, country,
        programme_id)
    SELECT DISTINCT organisation_id, date_trunc('month', day)::date, business_unit_id, employee_id, country,
        programme_id
    FROM reports_entrydimension
    WHERE organisation_id = NEW.id AND account_kind = 'wallet' AND kind = 'award';
    DELETE FROM reports_recipientpresence WHERE organisation_id = NEW.id;
    INSERT INTO reports_recipientpresence (organisation_id, month, by_unit, business_unit_id, employee_id)
    SELECT DISTINCT organisation_id, month, u.by_unit, CASE WHEN u.by_unit THEN business_unit_id END, employee_id
    FROM reports_pointsmonthlyrecipient CROSS JOIN (VALUES (false), (true)) u(by_unit)
    WHERE organisation_id = NEW.id;
    DELETE FROM reports_recipientcountdelta WHERE organisation_id = NEW.id;
    DELETE FROM reports_recipientcount WHERE organisation_id = NEW.id;
    INSERT INTO reports_recipientcount (organisation_id, month, by_unit, business_unit_id, recipients)
    SELECT organisation_id, month, by_unit, business_unit_id, COUNT(*) FROM reports_recipientpresence
    WHERE organisation_id = NEW.id GROUP BY 1, 2, 3, 4;
    UPDATE reports_voucherfact f SET day = (v.issued_at AT TIME ZONE NEW.time_zone)::date
        FROM vouchers_voucher v WHERE f.voucher_id = v.id AND f.organisation_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER reports_rebuild_organisation AFTER UPDATE OF time_zone ON users_organisation
    FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
    EXECUTE FUNCTION reports_rebuild_organisation();
