-- The monthly rollup and monthly recipients of every organisation, from the daily rollup and the entry
-- dimensions (migration 0004 for rows captured before they existed). Deltas not folded yet stay: the
-- fold adds them to the daily and the monthly rollup alike. Under the fold's lock, taken exclusive.
SELECT pg_advisory_xact_lock(hashtext('reports_fold'));
DELETE FROM reports_pointsmonthly;
INSERT INTO reports_pointsmonthly (organisation_id, month, programme_id, business_unit_id, country,
    awarded, reversed, redeemed, expired, funded, budget_net, wallet_entries)
SELECT organisation_id, date_trunc('month', day)::date, programme_id, business_unit_id, country,
    SUM(awarded), SUM(reversed), SUM(redeemed), SUM(expired), SUM(funded), SUM(budget_net), SUM(wallet_entries)
FROM reports_pointsdaily
GROUP BY 1, 2, 3, 4, 5;
DELETE FROM reports_pointsmonthlyrecipient;
INSERT INTO reports_pointsmonthlyrecipient (organisation_id, month, business_unit_id, employee_id, country,
    programme_id)
SELECT DISTINCT organisation_id, date_trunc('month', day)::date, business_unit_id, employee_id, country, programme_id
FROM reports_entrydimension WHERE account_kind = 'wallet' AND kind = 'award';
