-- The ledger's invariants, enforced by PostgreSQL itself: ledger rows are append-only, and every ledger
-- transaction balances (its entries sum to zero, at least two of them) when the database transaction
-- commits. Loaded by points/migrations/0008 (points.ledger.sql_files); a test compares the database's
-- definitions with this file.

CREATE OR REPLACE FUNCTION points_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The one permitted edit: erasure of personal data replaces a transaction's memo, and nothing else,
    -- through points_ledger_erase_memo below.
    -- (nested: PL/pgSQL may evaluate every operand, and an entry row has no organisation_id)
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'points_ledgertransaction'
            AND current_setting('plum.erasing_memo', true) = 'on' THEN
        IF (NEW.id, NEW.organisation_id, NEW.kind, NEW.reference, NEW.created_at)
                IS NOT DISTINCT FROM (OLD.id, OLD.organisation_id, OLD.kind, OLD.reference, OLD.created_at) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused; correct with a reversal', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION points_ledger_erase_memo(p_organisation uuid, p_ids uuid[], p_memos text[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    changed integer;
BEGIN
    PERFORM set_config('plum.erasing_memo', 'on', true);
    UPDATE points_ledgertransaction t SET memo = m.memo
    FROM unnest(p_ids, p_memos) AS m(id, memo)
    WHERE t.id = m.id AND t.organisation_id = p_organisation AND t.memo IS DISTINCT FROM m.memo;
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('plum.erasing_memo', 'off', true);
    RETURN changed;
END $$;

CREATE OR REPLACE TRIGGER points_ledgerentry_append_only BEFORE DELETE OR UPDATE ON points_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only();

CREATE OR REPLACE TRIGGER points_ledgertransaction_append_only BEFORE DELETE OR UPDATE ON points_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only();

-- One deferred check per ledger transaction at commit, when every entry of it is in (a batch chunk writes
-- about three entries per transaction: a check per entry would sum each transaction three times).
CREATE OR REPLACE FUNCTION points_ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    lines integer;
BEGIN
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, lines
    FROM points_ledgerentry WHERE transaction_id = NEW.id;
    IF total <> 0 OR lines < 2 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries summing to %', NEW.id, lines, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

-- A constraint trigger cannot be replaced in place: dropped and created again, in the migration's transaction.
DROP TRIGGER IF EXISTS points_ledger_balanced ON points_ledgertransaction;

CREATE CONSTRAINT TRIGGER points_ledger_balanced AFTER INSERT ON points_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION points_ledger_transaction_balanced();

-- Entries added to a ledger transaction that an earlier database transaction committed: its check has
-- run. A statement-level trigger (one query per INSERT or COPY) finds them, comparing the top-level
-- transaction that wrote the ledger transaction (its written_by column, defaulting to
-- pg_current_xact_id()) with the current one, and queues a row in points_ledger_late_entry, which never
-- holds a committed row: each is refused at commit like any unbalanced transaction.
CREATE OR REPLACE FUNCTION points_ledger_late_entry_refused() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger transaction % is unbalanced: entries added after it was committed', NEW.transaction_id
        USING ERRCODE = 'check_violation';
END $$;

DROP TRIGGER IF EXISTS points_ledger_late_entry_refused ON points_ledger_late_entry;

CREATE CONSTRAINT TRIGGER points_ledger_late_entry_refused AFTER INSERT ON points_ledger_late_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION points_ledger_late_entry_refused();

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

CREATE OR REPLACE TRIGGER points_ledger_entries_in_open_transactions AFTER INSERT ON points_ledgerentry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION points_ledger_entries_in_open_transactions();
