"""The one-statement credit writes its audit entry (a new parameter, p_audit): the function of 0008 with
19 parameters is dropped and the files' text loaded again. Going back restores that function."""

from django.db import migrations

from points.ledger.sql_files import ledger_sql

OLD_SIGNATURE = (
    "points_request_credit(uuid, uuid, text, text, text, text, bigint, text, text, jsonb, timestamptz, integer,"
    " timestamptz, uuid, uuid, uuid[], uuid, jsonb, boolean)"
)
NEW_SIGNATURE = OLD_SIGNATURE.replace("jsonb, boolean)", "jsonb, jsonb, boolean)")

CREDIT_BEFORE = r"""
CREATE OR REPLACE FUNCTION points_request_credit(
    p_org uuid, p_id uuid, p_request_id text, p_fingerprint text, p_employee text, p_programme text,
    p_points bigint, p_reason text, p_source text, p_metadata jsonb, p_now timestamptz,
    p_validity_days integer, p_expires_at timestamptz, p_transaction uuid, p_lot uuid, p_entries uuid[],
    p_event uuid, p_payload jsonb, p_wait_for_busy_shard boolean
) RETURNS TABLE (r_outcome text, r_employee uuid, r_programme uuid, r_balance bigint, r_validity integer)
LANGUAGE plpgsql AS $$
DECLARE
    prog record;
    emp record;
    wallet_id bigint;
    wallet_balance bigint;
    shard_id bigint;
    shard_balance bigint;
BEGIN
    PERFORM 1 FROM points_pointsrequest WHERE organisation_id = p_org AND request_id = p_request_id;
    IF FOUND THEN
        RETURN QUERY SELECT 'general', NULL::uuid, NULL::uuid, NULL::bigint, NULL::integer;
        RETURN;
    END IF;
    SELECT id, status, approval_threshold, max_points_per_request, points_validity_days INTO prog
        FROM points_programme WHERE organisation_id = p_org AND code = p_programme;
    SELECT id, status INTO emp FROM users_employee WHERE organisation_id = p_org AND employee_id = p_employee;
    IF points_request_decision(prog.status, prog.max_points_per_request, prog.approval_threshold, emp.status,
            p_points) <> 'credited' THEN
        RETURN QUERY SELECT 'general', NULL::uuid, NULL::uuid, NULL::bigint, NULL::integer;
        RETURN;
    END IF;
    IF p_validity_days IS DISTINCT FROM prog.points_validity_days THEN
        -- the caller computed expires_at (and the event) from a validity it no longer knows to be right
        RETURN QUERY SELECT 'validity', NULL::uuid, NULL::uuid, NULL::bigint, prog.points_validity_days;
        RETURN;
    END IF;

    INSERT INTO points_pointsrequest (id, organisation_id, request_id, fingerprint, employee_id, programme_id,
        points, reason, source, metadata, status, transaction_id, lot_id, credited_at, expires_at, decided_by,
        decision_note, reversal_reason, created_at, updated_at)
    VALUES (p_id, p_org, p_request_id, p_fingerprint, emp.id, prog.id, p_points, p_reason, p_source,
        p_metadata, 'credited', p_transaction, p_lot, p_now, p_expires_at, '', '', '', p_now, p_now)
    ON CONFLICT (organisation_id, request_id) DO NOTHING;
    IF NOT FOUND THEN  -- a twin committed while we waited on its request_id: the general path replays it
        RETURN QUERY SELECT 'general', NULL::uuid, NULL::uuid, NULL::bigint, NULL::integer;
        RETURN;
    END IF;

    -- the wallet, created on first use (as points.ledger.accounts.wallets_lock does for many)
    UPDATE points_account SET balance = balance + p_points WHERE kind = 'wallet' AND employee_id = emp.id
        RETURNING id, balance INTO wallet_id, wallet_balance;
    IF NOT FOUND THEN
        INSERT INTO points_account (organisation_id, kind, employee_id, balance, created_at)
            VALUES (p_org, 'wallet', emp.id, 0, now()) ON CONFLICT (employee_id) WHERE kind = 'wallet' DO NOTHING;
        UPDATE points_account SET balance = balance + p_points WHERE kind = 'wallet' AND employee_id = emp.id
            RETURNING id, balance INTO wallet_id, wallet_balance;
    END IF;

    INSERT INTO points_lot (id, organisation_id, account_id, points, remaining, expires_at, created_at)
        VALUES (p_lot, p_org, wallet_id, p_points, p_points, p_expires_at, p_now);
    INSERT INTO points_ledgertransaction (id, organisation_id, kind, reference, memo, created_at)
        VALUES (p_transaction, p_org, 'award', p_request_id, left(p_reason, 500), p_now);
    UPDATE points_pointsrequest SET balance_after = wallet_balance WHERE id = p_id;
    INSERT INTO core_outboxevent (event_id, organisation_id, event_type, aggregate_type, aggregate_id, payload,
        created_at)
        VALUES (p_event, p_org, 'points_request.credited', 'points_request', p_id::text,
            p_payload || jsonb_build_object('balance_after', wallet_balance), p_now);

    -- last, so the shard is held for as short a time as possible (points.ledger.budget.shard_that_pays
    -- makes the same choice for the general path)
    IF NOT p_wait_for_busy_shard THEN
        SELECT id INTO shard_id FROM points_account
            WHERE programme_id = prog.id AND kind = 'budget' AND balance >= p_points
            ORDER BY random() LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
        IF NOT FOUND THEN  -- rolls back, with any shard this lookup locked and then found unable to pay
            RAISE EXCEPTION 'every budget shard that can pay is busy' USING ERRCODE = 'PL002';
        END IF;
    ELSE  -- a new statement after PL002: it holds no shard, so waiting for one cannot close a cycle
        SELECT id INTO shard_id FROM points_account
            WHERE programme_id = prog.id AND kind = 'budget' AND balance >= p_points ORDER BY random() LIMIT 1;
        IF FOUND THEN
            SELECT balance INTO shard_balance FROM points_account WHERE id = shard_id FOR NO KEY UPDATE;
        END IF;
        IF shard_id IS NULL OR shard_balance < p_points THEN  -- none can pay alone, or drained meanwhile
            RAISE EXCEPTION 'no budget shard can pay alone' USING ERRCODE = 'PL001';
        END IF;
    END IF;
    UPDATE points_account SET balance = balance - p_points WHERE id = shard_id
        RETURNING balance INTO shard_balance;
    INSERT INTO points_ledgerentry (id, transaction_id, account_id, amount, balance_after, reference, created_at)
        VALUES (p_entries[1], p_transaction, wallet_id, p_points, wallet_balance, p_request_id, p_now),
               (p_entries[2], p_transaction, shard_id, -p_points, shard_balance, p_request_id, p_now);

    RETURN QUERY SELECT 'credited', emp.id, prog.id, wallet_balance, prog.points_validity_days;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("points", "0009_job_runner"), ("core", "0004_audit_append_only")]
    operations = [
        migrations.RunSQL(
            [f"DROP FUNCTION IF EXISTS {OLD_SIGNATURE};", ledger_sql()],
            [f"DROP FUNCTION {NEW_SIGNATURE};", CREDIT_BEFORE],
        )
    ]
