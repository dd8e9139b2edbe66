import importlib

from django.db import migrations

# When every budget shard that could pay is held by another transaction, the one-statement credit now
# waits for one of them, as the general path does (points.services.ledger._shard_that_pays), instead of
# rolling back and handing the credit to the general path: under load a fifth of the credits did that,
# each paying for a rolled-back statement and then the general path's round trips. Waiting holds the
# request row and the wallet but no shard, which cannot close a cycle (shards come after wallets in the
# ledger's lock order). A shard drained while waited for still raises PL001: the statement rolls back,
# the stray lock with it, and the general path takes from several shards or refuses.
ORIGINAL = importlib.import_module("points.migrations.0005_single_credit").CREDIT_FUNCTION.replace(
    "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"
)
TAKES_A_FREE_SHARD = """
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no free budget shard can pay' USING ERRCODE = 'PL001';
    END IF;
"""
WAITS_FOR_A_BUSY_SHARD = """
    IF NOT FOUND THEN  -- every shard that could pay is busy: wait for one of them
        SELECT id INTO shard_id FROM points_account
            WHERE programme_id = prog.id AND kind = 'budget' AND balance >= p_points ORDER BY random() LIMIT 1;
        IF FOUND THEN
            SELECT balance INTO shard_balance FROM points_account WHERE id = shard_id FOR NO KEY UPDATE;
        END IF;
        IF shard_id IS NULL OR shard_balance < p_points THEN  -- none can pay alone, or drained meanwhile
            RAISE EXCEPTION 'no budget shard can pay alone' USING ERRCODE = 'PL001';
        END IF;
    END IF;
"""
assert TAKES_A_FREE_SHARD in ORIGINAL


class Migration(migrations.Migration):
    dependencies = [("points", "0005_single_credit")]

    operations = [migrations.RunSQL(ORIGINAL.replace(TAKES_A_FREE_SHARD, WAITS_FOR_A_BUSY_SHARD), ORIGINAL)]
