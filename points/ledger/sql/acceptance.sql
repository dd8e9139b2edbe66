-- What a points request comes to, before any budget is asked: the acceptance rule of points requests,
-- in one place. The one-statement credit (points_request_credit.sql) calls it; Python reads the same
-- rule from points.ledger.acceptance, and a test runs the whole matrix through both.
-- The checks in order: programme (missing, inactive), employee (missing, inactive), points within
-- 1..max_points_per_request, then the approval threshold (empty: never).
CREATE OR REPLACE FUNCTION points_request_decision(
    p_programme_status text, p_max_points bigint, p_approval_threshold bigint, p_employee_status text,
    p_points bigint
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_programme_status IS NULL THEN 'programme_not_found'
        WHEN p_programme_status <> 'active' THEN 'programme_inactive'
        WHEN p_employee_status IS NULL THEN 'employee_not_found'
        WHEN p_employee_status <> 'active' THEN 'employee_inactive'
        WHEN p_points < 1 OR p_points > p_max_points THEN 'points_out_of_range'
        WHEN p_points >= p_approval_threshold THEN 'pending_approval'
        ELSE 'credited'
    END
$$;
