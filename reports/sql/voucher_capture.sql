-- Voucher facts: one row per voucher, its local issue day and the employee's business unit and country at
-- issue, its status kept current. Statement triggers, so campaign chunks and bulk updates are covered.
CREATE OR REPLACE FUNCTION reports_capture_vouchers_issued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users_organisation WHERE id IN (SELECT organisation_id FROM new_vouchers)
        ORDER BY id FOR SHARE;  -- see reports_capture_ledger_entries
    INSERT INTO reports_voucherfact (voucher_id, organisation_id, day, brand_id, product_id, programme_id, business_unit_id,
        country, currency, face_value, points, status)
    SELECT v.id, v.organisation_id, (v.issued_at AT TIME ZONE o.time_zone)::date, p.brand_id, p.id, v.programme_id,
        emp.business_unit_id, COALESCE(emp.country, ''), p.currency, v.denomination, v.points, v.status
    FROM new_vouchers v
    JOIN users_organisation o ON o.id = v.organisation_id
    JOIN vouchers_product p ON p.id = v.product_id
    LEFT JOIN users_employee emp ON emp.id = v.employee_id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION reports_capture_voucher_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reports_voucherfact f SET status = n.status
    FROM new_vouchers n WHERE f.voucher_id = n.id AND f.status <> n.status;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER reports_capture_vouchers_issued AFTER INSERT ON vouchers_voucher
    REFERENCING NEW TABLE AS new_vouchers FOR EACH STATEMENT EXECUTE FUNCTION reports_capture_vouchers_issued();
CREATE OR REPLACE TRIGGER reports_capture_voucher_status AFTER UPDATE ON vouchers_voucher
    REFERENCING NEW TABLE AS new_vouchers FOR EACH STATEMENT EXECUTE FUNCTION reports_capture_voucher_status();
