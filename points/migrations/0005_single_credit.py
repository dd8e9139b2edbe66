import django.db.models.deletion
from django.db import migrations, models

# The common case of a single points request (a new request_id, an active employee and programme,
# points within range and under the approval threshold, a budget shard free to pay) in one statement:
# one round trip and, outside a transaction, its own commit. Anything else changes nothing and answers
# 'general', and the service takes its general path, which explains refusals and handles replays,
# approvals and busy budgets. The rows written are exactly the general path's (a test compares them).
#
# Locks in the ledger's order: the request row (its unique request_id), the wallet, then one budget
# shard taken only if no other transaction holds it (SKIP LOCKED), so this never waits on a shard.
# No free shard raises PL001, which rolls the whole statement back (a stray shard lock with it).
CREDIT_FUNCTION = """
CREATE FUNCTION points_request_credit(
    p_org uuid, p_id uuid, p_request_id text, p_fingerprint text, p_employee text, p_programme text,
    p_points bigint, p_reason text, p_source text, p_metadata jsonb, p_now timestamptz,
    p_validity_days integer, p_expires_at timestamptz, p_transaction uuid, p_lot uuid, p_entries uuid[],
    p_event uuid, p_payload jsonb
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
    IF prog.id IS NULL OR prog.status <> 'active' OR emp.id IS NULL OR emp.status <> 'active'
            OR p_points < 1 OR p_points > prog.max_points_per_request
            OR p_points >= prog.approval_threshold THEN
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

    -- last, so the shard is held for as short a time as possible
    SELECT id INTO shard_id FROM points_account
        WHERE programme_id = prog.id AND kind = 'budget' AND balance >= p_points
        ORDER BY random() LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no free budget shard can pay' USING ERRCODE = 'PL001';
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


# The statement-level check of 0004 (entries may only join a ledger transaction written by the same
# database transaction) asked the commit log about each transaction's xmin, which cost a single credit
# more than all its inserts. A transaction now records the top-level transaction that wrote it
# (pg_current_xact_id() is the top-level id inside savepoints too), and the check compares the two.
ENTRY_CHECK_BY_XID = """
ALTER TABLE points_ledgertransaction ADD COLUMN written_by xid8 NOT NULL DEFAULT pg_current_xact_id();

CREATE OR REPLACE FUNCTION points_ledger_entries_in_open_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO points_ledger_late_entry (transaction_id)
    SELECT DISTINCT n.transaction_id FROM new_entries n
    WHERE NOT EXISTS (
        SELECT 1 FROM points_ledgertransaction t
        WHERE t.id = n.transaction_id AND t.written_by = pg_current_xact_id()
    );
    RETURN NULL;
END $$;

DROP FUNCTION points_ledger_written_here(xid);
"""

ENTRY_CHECK_BY_XMIN = """
CREATE FUNCTION points_ledger_written_here(row_xmin xid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT pg_xact_status((
        CASE WHEN w > c + 2147483648 THEN w - 4294967296 WHEN w < c - 2147483648 THEN w + 4294967296 ELSE w END
    )::text::xid8) IS NOT DISTINCT FROM 'in progress'
    FROM (SELECT pg_current_xact_id()::text::bigint AS c) cur,
         LATERAL (SELECT ((c >> 32) << 32) | row_xmin::text::bigint AS w) widened
$$;

CREATE OR REPLACE FUNCTION points_ledger_entries_in_open_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO points_ledger_late_entry (transaction_id)
    SELECT n.transaction_id FROM (SELECT DISTINCT transaction_id FROM new_entries) n
    WHERE NOT EXISTS (
        SELECT 1 FROM points_ledgertransaction t
        WHERE t.id = n.transaction_id AND points_ledger_written_here(t.xmin)
    );
    RETURN NULL;
END $$;

ALTER TABLE points_ledgertransaction DROP COLUMN written_by;
"""


class Migration(migrations.Migration):
    dependencies = [("points", "0004_pointsrequest_indexes_ledger_balance_per_transaction"), ("users", "0001_initial")]

    operations = [
        # indexes that a composite index starting with the same column made redundant
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="points.account",
            ),
        ),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="organisation",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, to="users.organisation"
            ),
        ),
        migrations.RunSQL(ENTRY_CHECK_BY_XID, ENTRY_CHECK_BY_XMIN),
        migrations.RunSQL(
            CREDIT_FUNCTION,
            "DROP FUNCTION points_request_credit(uuid, uuid, text, text, text, text, bigint, text, text, jsonb,"
            " timestamptz, integer, timestamptz, uuid, uuid, uuid[], uuid, jsonb);",
        )
    ]
