"""The audit trail is append-only, enforced by PostgreSQL; two functions are the only ways to change it:
plum_audit_purge deletes a range of old entries, plum_audit_erase replaces personal values in `changes`.
Each marks its own statement with a transaction-local setting the trigger checks and resets it after."""

from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION plum_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('plum.audit_bypass', true) = 'purge' THEN
        RETURN OLD;
    END IF;
    -- erasure may rewrite `changes` and nothing else
    IF TG_OP = 'UPDATE' AND current_setting('plum.audit_bypass', true) = 'erase'
        AND (NEW.id, NEW.organisation_id, NEW.at, NEW.actor_kind, NEW.actor_id, NEW.actor_name, NEW.action,
             NEW.object_type, NEW.object_id, NEW.ip, NEW.request_id)
        IS NOT DISTINCT FROM (OLD.id, OLD.organisation_id, OLD.at, OLD.actor_kind, OLD.actor_id, OLD.actor_name,
             OLD.action, OLD.object_type, OLD.object_id, OLD.ip, OLD.request_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused (purge and erasure go through plum_audit_purge and plum_audit_erase)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION plum_audit_append_only();

-- Every string value equal to a key of `replacements` becomes that key's value, at any depth.
CREATE FUNCTION plum_audit_replaced(doc jsonb, replacements jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CASE jsonb_typeof(doc)
        WHEN 'string' THEN COALESCE(replacements -> (doc #>> '{}'), doc)
        WHEN 'object' THEN COALESCE(
            (SELECT jsonb_object_agg(e.key, plum_audit_replaced(e.value, replacements)) FROM jsonb_each(doc) e),
            '{}'::jsonb)
        WHEN 'array' THEN COALESCE(
            (SELECT jsonb_agg(plum_audit_replaced(a.value, replacements) ORDER BY a.n)
             FROM jsonb_array_elements(doc) WITH ORDINALITY a(value, n)),
            '[]'::jsonb)
        ELSE doc
    END;
END $$;

CREATE FUNCTION plum_audit_erase(org uuid, replacements jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    PERFORM set_config('plum.audit_bypass', 'erase', true);
    UPDATE core_auditentry SET changes = plum_audit_replaced(changes, replacements)
        WHERE organisation_id = org AND changes <> plum_audit_replaced(changes, replacements);
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('plum.audit_bypass', '', true);
    RETURN changed;
END $$;

CREATE FUNCTION plum_audit_purge(before timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    removed bigint;
BEGIN
    PERFORM set_config('plum.audit_bypass', 'purge', true);
    DELETE FROM core_auditentry WHERE at < before;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('plum.audit_bypass', '', true);
    RETURN removed;
END $$;
"""

DROP = """
DROP FUNCTION plum_audit_purge(timestamptz);
DROP FUNCTION plum_audit_erase(uuid, jsonb);
DROP FUNCTION plum_audit_replaced(jsonb, jsonb);
DROP TRIGGER core_auditentry_append_only ON core_auditentry;
DROP FUNCTION plum_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0003_auditentry")]

    operations = [migrations.RunSQL(APPEND_ONLY, DROP)]
