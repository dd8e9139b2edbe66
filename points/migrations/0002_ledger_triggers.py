"""The ledger's invariants, enforced by PostgreSQL itself."""

from django.db import migrations

BALANCED = """
CREATE FUNCTION points_ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    lines integer;
BEGIN
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, lines
    FROM points_ledgerentry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 OR lines < 2 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries summing to %', NEW.transaction_id, lines, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

-- Checked at commit, when every entry of the transaction is in.
CREATE CONSTRAINT TRIGGER points_ledger_balanced
    AFTER INSERT ON points_ledgerentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION points_ledger_transaction_balanced();

CREATE FUNCTION points_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused; correct with a reversal', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER points_ledgerentry_append_only BEFORE UPDATE OR DELETE ON points_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only();
CREATE TRIGGER points_ledgertransaction_append_only BEFORE UPDATE OR DELETE ON points_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION points_ledger_append_only();
"""

DROP = """
DROP TRIGGER points_ledgertransaction_append_only ON points_ledgertransaction;
DROP TRIGGER points_ledgerentry_append_only ON points_ledgerentry;
DROP FUNCTION points_ledger_append_only();
DROP TRIGGER points_ledger_balanced ON points_ledgerentry;
DROP FUNCTION points_ledger_transaction_balanced();
"""


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunSQL(BALANCED, DROP)]
