"""A voucher campaign end to end (submit to completed) against set-based SQL writing the same rows, in the same run.

    python -m benchmarks.vouchers_campaign [--size 50000] [--scenarios generated stock] [--chunk-size N]

- campaign: vouchers.services.campaign_create with N recipients (explicit employee ids) of a product,
  paid by a programme's budget, then vouchers.services.campaign_process(campaign.pk) in this process,
  as the worker's task does. The message campaign_create sends after its commit is recorded, not sent
  (the benchmark is the worker). Submit (campaign_create) and processing (campaign_process until the
  campaign is completed) are timed separately; the rate is N over both.
- baseline (vouchers + ledger): ONE statement on a second campaign stored by campaign_create, in the
  same organisation, with its own programme: the same N rows into vouchers_voucher (same columns, codes
  as encrypted-looking bytea: 53 bytes of ciphertext, a 32-byte digest), one balanced spend transaction
  per chunk with its two entries (budget shard with balance_after, redemption sink), the shards' balance
  update, and for stock the codes marked issued. One commit. Its codes are made by sha256 in SQL: the
  campaign's encryption and HMAC are part of its extra work, as are events and recipients' outcomes.
- baseline (same rows): ONE statement writing everything the campaign writes end to end: the campaign
  row, its N recipients (resolved from employee ids, stored already issued), the vouchers, the ledger
  as above, a voucher.issued outbox event per voucher with the same payload built by jsonb_build_object,
  and the campaign's counters. An upper bound for the same rows written set-based.

Scenarios: `generated` (Plum makes, encrypts and hashes every code) and `stock` (N codes imported first
through vouchers.services.stock_import; the campaign claims them).

Afterwards: the campaign is completed with N issued, N vouchers (distinct codes, one per recipient),
every recipient issued, the budget drawn exactly N * unit points, N voucher.issued events (a sample of
payloads equal to vouchers.selectors.voucher_document of the stored voucher, a sample of codes decrypting
to their hash and last four), the baselines wrote N vouchers each, and ledger_reconcile() finds nothing.
The ledger is append-only (triggers refuse DELETE), so the benchmark's rows stay.
"""

import argparse
import json
import os
import random
import sys
import time
import uuid

from benchmarks.common import Timer, format_table, machine_info, median, setup_django, write_results

NAME = "vouchers_campaign"
SLUG_PREFIX = "bench-vouchers-campaign-"
TARGET_RATIO = 1 / 3
DENOMINATION = 10
POINTS_PER_UNIT = 12
SAMPLE = 200  # event payloads and codes checked one by one
SCENARIOS = ("generated", "stock")


# --- Set-up ------------------------------------------------------------------------------------------


def _organisation(employees: int):
    """A new organisation with `employees` active employees, a brand and one product per source."""
    from plum.core.actor import Actor
    from users import services as users_services
    from users.commands import EmployeesSync
    from vouchers import commands, services
    from vouchers.models import Product

    slug = f"{SLUG_PREFIX}{uuid.uuid4().hex[:8]}"
    organisation, _ = users_services.organisation_ensure(slug=slug, name="Benchmark vouchers campaign")
    actor = Actor.system(organisation.id, label="benchmark")
    records = [
        {"employee_id": f"E{n:06d}", "email": f"e{n}@bench.example", "first_name": "B", "last_name": "E"}
        for n in range(employees)
    ]
    body = {"mode": "upsert", "source": "bench", "employees": records}
    users_services.employees_sync(actor=actor, command=EmployeesSync.parse(body, max_records=max(employees, 1)))
    brand = services.brand_create(actor=actor, command=commands.BrandCreate(name="Bench brand"))
    products = {
        source: services.product_create(
            actor=actor,
            command=commands.ProductCreate(
                brand_id=brand.pk,
                name=f"Bench {source}",
                currency="EUR",
                denominations=[DENOMINATION, 2 * DENOMINATION],
                points_per_unit=POINTS_PER_UNIT,
                validity_days=365,
                country="DE",
                category="bench",
                source=source,
            ),
        )
        for source in (Product.Source.GENERATED, Product.Source.STOCK)
    }
    return organisation, actor, [r["employee_id"] for r in records], products


def _programme(actor, code: str, points: int):
    from points import services as points_services
    from points.commands import ProgrammeCommand, ProgrammeTopupCommand

    points_services.programme_create(
        actor=actor, command=ProgrammeCommand.parse({"code": code, "name": f"Benchmark {code}"})
    )
    points_services.programme_topup(
        actor=actor, command=ProgrammeTopupCommand.parse({"programme": code, "points": points})
    )


def _budget(actor, code: str) -> int:
    from points.selectors import programme_get

    return programme_get(actor=actor, code=code).budget_balance


def _import_stock(actor, product, size: int) -> float:
    """N codes through the stock import service (untimed set-up); answers its seconds."""
    from vouchers import services
    from vouchers.commands import StockFileImport

    tag = uuid.uuid4().hex[:6].upper()
    lines = ["code,pin,denomination,expires_at"]
    lines += [f"BNC-{tag}-{n:07d},{n % 10000:04d},{DENOMINATION}," for n in range(size)]
    with Timer() as timer:
        command = StockFileImport(
            product_id=product.pk, content=("\n".join(lines) + "\n").encode(), filename="bench.csv"
        )
        record = services.stock_import(actor=actor, command=command)
    if record.status != "imported":
        raise SystemExit(f"stock import rejected: {record.errors[:3]}")
    return timer.seconds


def _raw_stock(organisation, product, size: int) -> None:
    """N more available codes for a baseline, written by SQL (untimed set-up)."""
    from django.db import connection

    from vouchers.models import StockImport

    record = StockImport.objects.create(
        organisation_id=organisation.pk, product=product, status="imported", rows=size, imported=size
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO vouchers_stockcode (organisation_id, product_id, stock_import_id, denomination,"
            " code_ciphertext, pin_ciphertext, code_hash, code_last4, expires_at, status, created_at)"
            " SELECT %(org)s, %(product)s, %(import)s, %(denomination)s,"
            " '\\x01'::bytea || sha256(('c' || g || %(tag)s)::bytea) || substr(sha256(g::text::bytea), 1, 20),"
            " '\\x01'::bytea || substr(sha256(('p' || g || %(tag)s)::bytea), 1, 32),"
            " sha256(('h' || g || %(tag)s)::bytea), lpad((g %% 10000)::text, 4, '0'), NULL, 'available', now()"
            " FROM generate_series(1, %(size)s) g",
            {
                "org": organisation.pk,
                "product": product.pk,
                "import": record.pk,
                "denomination": DENOMINATION,
                "tag": str(record.pk),
                "size": size,
            },
        )


def _campaign_data(campaign_id: str, product, programme: str, employee_ids: list[str]) -> dict:
    return {
        "campaign_id": campaign_id,
        "name": "Benchmark",
        "product_id": str(product.pk),
        "denomination": DENOMINATION,
        "programme": programme,
        "recipients": employee_ids,
    }


class _Enqueued:
    """Stands in for enqueue_on_commit during campaign_create: records the messages instead of sending."""

    def __init__(self):
        self.calls = []

    def __call__(self, campaign_uuid, *, copies: int = 1):
        self.calls.append((campaign_uuid, copies))


def _create(actor, data: dict):
    """campaign_create with the message recorded, not sent (this process is the worker)."""
    from vouchers.commands import CampaignCreate
    from vouchers.services import campaigns

    original, recorder = campaigns.enqueue_on_commit, _Enqueued()
    campaigns.enqueue_on_commit = recorder
    try:
        created = campaigns.campaign_create(actor=actor, command=CampaignCreate.parse(data))
    finally:
        campaigns.enqueue_on_commit = original
    if len(recorder.calls) != 1 or created.replayed:
        raise SystemExit(f"campaign_create did not queue the campaign once: {recorder.calls}")
    return created.campaign


# --- The campaign ------------------------------------------------------------------------------------


def _run_campaign(actor, data: dict, chunk_size: int | None) -> dict:
    from vouchers.models import Campaign
    from vouchers.services import campaign_process

    options = {"chunk_size": chunk_size} if chunk_size else {}
    cpu = time.process_time()
    with Timer() as submit:
        campaign = _create(actor, data)
    submit_cpu, cpu = time.process_time() - cpu, time.process_time()
    with Timer() as process:
        while campaign_process(campaign.pk, **options):  # True: its time was up, more to do
            pass
    process_cpu = time.process_time() - cpu
    campaign = Campaign.objects.select_related("programme").get(pk=campaign.pk)
    return {
        "campaign": campaign,
        "submit_seconds": submit.seconds,
        "process_seconds": process.seconds,
        "submit_python_cpu_seconds": submit_cpu,  # this process's CPU; the rest is PostgreSQL and waiting
        "process_python_cpu_seconds": process_cpu,
    }


# --- The baselines -----------------------------------------------------------------------------------

# Codes: generated ones made in SQL from the voucher id (53 bytes like AES-GCM's version + nonce +
# ciphertext + tag, a 32-byte digest like the HMAC), or claimed from stock as the service does.
GENERATED_CODES = """
codes AS (
    SELECT r.index, NULL::bigint AS stock_code_id,
           '\\x01'::bytea || sha256(r.voucher::text::bytea) || substr(sha256(r.index::text::bytea), 1, 20)
               AS code_ciphertext,
           NULL::bytea AS pin_ciphertext, sha256(('code ' || r.voucher::text)::bytea) AS code_hash,
           upper(substr(md5(r.voucher::text), 1, 4)) AS code_last4, NULL::timestamptz AS code_expires
    FROM r
)"""
STOCK_CODES = """
picked AS MATERIALIZED (
    SELECT id FROM vouchers_stockcode
    WHERE product_id = %(product)s AND denomination = %(denomination)s AND status = 'available'
      AND (expires_at IS NULL OR expires_at > now())
    ORDER BY expires_at NULLS LAST, id LIMIT %(count)s FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE vouchers_stockcode s SET status = 'issued' FROM picked WHERE s.id = picked.id
    RETURNING s.id, s.code_ciphertext, s.pin_ciphertext, s.code_hash, s.code_last4, s.expires_at
), codes AS (
    SELECT row_number() OVER (ORDER BY expires_at NULLS LAST, id) - 1 AS index, id AS stock_code_id, code_ciphertext,
           pin_ciphertext, code_hash, code_last4, expires_at AS code_expires
    FROM claimed
)"""
# One spend transaction per chunk of vouchers (as the campaign pays), each from one budget shard with
# its balance after, into the redemption sink; the shards updated once.
LEDGER = """
chunks AS (
    SELECT * FROM unnest(%(txns)s::uuid[], %(shards)s::bigint[], %(chunk_points)s::bigint[])
        WITH ORDINALITY AS c(txn, shard, points, n)
), shards AS (
    UPDATE points_account a SET balance = a.balance - s.total
    FROM (SELECT shard, SUM(points) AS total FROM chunks GROUP BY shard) s WHERE a.id = s.shard
    RETURNING a.id, a.balance + s.total AS before
), txns AS (
    INSERT INTO points_ledgertransaction (id, organisation_id, kind, reference, memo, created_at)
    SELECT txn, %(org)s, 'spend', %(reference)s, '', now() FROM chunks
), entries AS (
    INSERT INTO points_ledgerentry (id, transaction_id, account_id, amount, balance_after, reference, created_at)
    SELECT gen_random_uuid(), c.txn, c.shard, -c.points,
           s.before - SUM(c.points) OVER (PARTITION BY c.shard ORDER BY c.n), %(reference)s, now()
    FROM chunks c JOIN shards s ON s.id = c.shard
    UNION ALL
    SELECT gen_random_uuid(), txn, %(sink)s, points, NULL, %(reference)s, now() FROM chunks
)"""
VOUCHERS = """
vouchers AS (
    INSERT INTO vouchers_voucher (id, organisation_id, product_id, employee_id, recipient_id, stock_code_id,
        denomination, points, funding, programme_id, funding_transaction_id, spent_lots, code_ciphertext,
        pin_ciphertext, code_hash, code_last4, status, issued_at, expires_at)
    SELECT r.voucher, %(org)s, %(product)s, r.employee_id, r.recipient_id, k.stock_code_id, %(denomination)s,
           %(unit)s, 'programme', %(programme)s, c.txn, '[]', k.code_ciphertext, k.pin_ciphertext, k.code_hash,
           k.code_last4, 'issued', now(), LEAST(now() + interval '1 day' * %(validity)s, k.code_expires)
    FROM r JOIN codes k ON k.index = r.index JOIN chunks c ON c.n = r.index / %(chunk)s + 1
    RETURNING id, employee_id, recipient_id, code_last4, pin_ciphertext IS NOT NULL AS has_pin, issued_at,
              expires_at
)"""

# Baseline 1: the vouchers and the ledger, for the recipients of a campaign already stored.
VOUCHERS_LEDGER_SQL = (
    """
WITH r AS (
    SELECT r.id AS recipient_id, r.employee_id, r.index, v.voucher
    FROM unnest(%(vouchers)s::uuid[]) WITH ORDINALITY AS v(voucher, n)
    JOIN vouchers_campaignrecipient r ON r.campaign_id = %(campaign)s AND r.index = v.n - 1
),"""
    + "{codes},"
    + LEDGER
    + ","
    + VOUCHERS
    + "\nSELECT count(*) FROM vouchers"
)

# Baseline 2: everything the campaign writes end to end, from the list of employee ids.
SAME_ROWS_SQL = (
    """
WITH campaign AS (
    INSERT INTO vouchers_campaign (id, organisation_id, campaign_id, fingerprint, name, product_id, denomination,
        programme_id, expires_at, recipient_filter, status, total, processed, issued, out_of_stock,
        employee_inactive, budget_exhausted, points_drawn, failures, last_error, created_by, created_at,
        started_at, completed_at, progress_at)
    VALUES (%(campaign)s, %(org)s, %(campaign_id)s, '', 'Benchmark', %(product)s, %(denomination)s, %(programme)s,
        NULL, NULL, 'completed', %(count)s, %(count)s, %(count)s, 0, 0, 0, %(count)s * %(unit)s, 0, '', 'benchmark',
        now(), now(), now(), now())
), recipients AS (
    INSERT INTO vouchers_campaignrecipient (campaign_id, index, employee_id, status, processed_at)
    SELECT %(campaign)s, l.n - 1, e.id, 'issued', now()
    FROM unnest(%(employee_ids)s::text[]) WITH ORDINALITY AS l(employee_id, n)
    JOIN users_employee e ON e.organisation_id = %(org)s AND e.employee_id = l.employee_id
    RETURNING id, index, employee_id
), r AS (
    SELECT x.id AS recipient_id, x.employee_id, x.index, v.voucher
    FROM recipients x JOIN unnest(%(vouchers)s::uuid[]) WITH ORDINALITY AS v(voucher, n) ON x.index = v.n - 1
),"""
    + "{codes},"
    + LEDGER
    + ","
    + VOUCHERS
    + """, events AS (
    INSERT INTO core_outboxevent (event_id, organisation_id, event_type, aggregate_type, aggregate_id, payload,
        created_at)
    SELECT gen_random_uuid(), %(org)s, 'voucher.issued', 'voucher', v.id::text, jsonb_build_object(
        'id', v.id::text, 'order_id', NULL, 'campaign_id', %(campaign_id)s::text, 'employee_id', e.employee_id,
        'product_id', %(product)s::text, 'brand', %(brand)s::text, 'product', %(product_name)s::text,
        'denomination', %(denomination)s::int, 'currency', %(currency)s::text, 'points', %(unit)s::bigint,
        'funding', 'programme', 'programme', %(programme_code)s::text, 'status', 'issued',
        'code', '••••' || v.code_last4, 'pin', CASE WHEN v.has_pin THEN '••••' END,
        'issued_at', to_char(v.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'expires_at', to_char(v.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'redeemed_at', NULL, 'cancelled_at', NULL, 'expired_at', NULL), now()
    FROM vouchers v JOIN users_employee e ON e.id = v.employee_id
    RETURNING 1
)
SELECT count(*) FROM events"""
)


# Data-modifying CTEs are estimated at one row, so the planner would join them by nested loops (N x N),
# and the products of such guesses switch JIT compilation on (a second spent compiling). The baseline
# is tuned as a DBA would tune a hand-written statement: hash joins, no JIT.
NO_NESTED_LOOPS = "SET LOCAL enable_nestloop = off; SET LOCAL jit = off"


def _ledger_params(programme, size: int, chunk: int, unit: int) -> dict:
    """One transaction per chunk, each paid by one shard (as the campaign's chunks are)."""
    from points.ledger import organisation_account_id
    from points.models import Account

    balances = dict(Account.objects.filter(programme=programme, kind=Account.Kind.BUDGET).values_list("id", "balance"))
    chunks = (size + chunk - 1) // chunk
    sizes = [min(chunk, size - n * chunk) for n in range(chunks)]
    payers = []
    for points in (s * unit for s in sizes):  # each chunk from the richest shard, which can pay it alone
        shard = max(balances, key=balances.get)
        balances[shard] -= points
        payers.append(shard)
    if min(balances.values()) < 0:
        raise SystemExit("the baseline's programme cannot pay every chunk from one shard")
    return {
        "txns": _array(_uuid7s(chunks)),
        "shards": _array(payers),
        "chunk_points": _array(s * unit for s in sizes),
        "sink": organisation_account_id(programme.organisation_id, Account.Kind.REDEMPTION),
        "reference": "benchmark baseline",
        "chunk": chunk,
    }


def _uuid7s(count: int) -> list:
    from plum.core.ids import uuid7

    return [uuid7() for _ in range(count)]


def _array(values) -> str:
    """An array literal, built before the timer (as the service builds its COPY text)."""
    return "{" + ",".join(str(v) for v in values) + "}"


def _common_params(organisation, product, programme, size: int, chunk: int) -> dict:
    unit = product.points_for(DENOMINATION)
    return {
        "org": organisation.pk,
        "product": product.pk,
        "programme": programme.pk,
        "denomination": DENOMINATION,
        "unit": unit,
        "validity": product.validity_days,
        "count": size,
        "vouchers": _array(_uuid7s(size)),
        **_ledger_params(programme, size, chunk, unit),
    }


def _run_vouchers_ledger_baseline(organisation, actor, product, programme_code, employee_ids, chunk: int) -> dict:
    """ONE statement: the vouchers of a stored campaign's recipients and the ledger that pays them."""
    from django.db import connection, transaction

    from points.models import Programme

    campaign = _create(actor, _campaign_data(f"baseline-{uuid.uuid4().hex[:8]}", product, programme_code, employee_ids))
    programme = Programme.objects.get(organisation=organisation, code=programme_code)
    params = {**_common_params(organisation, product, programme, len(employee_ids), chunk), "campaign": campaign.pk}
    sql = VOUCHERS_LEDGER_SQL.format(codes=STOCK_CODES if product.source == "stock" else GENERATED_CODES)
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(NO_NESTED_LOOPS)
        cursor.execute(sql, params)
        written = cursor.fetchone()[0]
    with transaction.atomic(), connection.cursor() as cursor:  # untimed: the campaign's state made consistent
        cursor.execute(
            "UPDATE vouchers_campaignrecipient SET status = 'issued', processed_at = now() WHERE campaign_id = %s",
            [campaign.pk],
        )
        cursor.execute(
            "UPDATE vouchers_campaign SET status = 'completed', processed = total, issued = total,"
            " points_drawn = total * %s, started_at = now(), completed_at = now(), progress_at = now() WHERE id = %s",
            [params["unit"], campaign.pk],
        )
    return {"seconds": timer.seconds, "written": written, "campaign_uuid": campaign.pk}


def _run_same_rows_baseline(organisation, product, programme_code, employee_ids, chunk: int) -> dict:
    """ONE statement writing what the campaign writes: campaign, recipients, vouchers, ledger, events."""
    from django.db import connection, transaction

    from plum.core.ids import uuid7
    from points.models import Programme

    programme = Programme.objects.get(organisation=organisation, code=programme_code)
    campaign_uuid, campaign_id = uuid7(), f"same-rows-{uuid.uuid4().hex[:8]}"
    params = {
        **_common_params(organisation, product, programme, len(employee_ids), chunk),
        "campaign": campaign_uuid,
        "campaign_id": campaign_id,
        "employee_ids": "{" + ",".join(employee_ids) + "}",  # plain ids: E000001 …
        "brand": product.brand.name,
        "product_name": product.name,
        "currency": product.currency,
        "programme_code": programme.code,
    }
    sql = SAME_ROWS_SQL.format(codes=STOCK_CODES if product.source == "stock" else GENERATED_CODES)
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(NO_NESTED_LOOPS)
        cursor.execute(sql, params)
        written = cursor.fetchone()[0]
    return {"seconds": timer.seconds, "written": written, "campaign_uuid": campaign_uuid}


# --- Checks ------------------------------------------------------------------------------------------


def _verify(run: dict, size: int, unit: int, budget_before: int, budget_after: int, baselines: list) -> dict:
    """Exactly once, budget exact, events equal to voucher_document, codes intact, ledger reconciled."""
    from plum.core.db import fetchall, fetchone
    from points.services import ledger_reconcile
    from vouchers import codes
    from vouchers.models import Voucher
    from vouchers.selectors import voucher_document

    campaign = run["campaign"]
    pk = campaign.pk
    facts = {
        "status": campaign.status,
        "issued_counter": campaign.issued,
        "processed_counter": campaign.processed,
        "points_drawn_counter": campaign.points_drawn,
        "budget_drawn": budget_before - budget_after,
        "ledger_spent": fetchone(
            "SELECT COALESCE(SUM(-e.amount), 0)::bigint FROM points_ledgerentry e"
            " JOIN points_account a ON a.id = e.account_id AND a.kind = 'budget' AND a.programme_id = %s"
            " JOIN points_ledgertransaction t ON t.id = e.transaction_id AND t.kind = 'spend'",
            [campaign.programme_id],
        )[0],
        "vouchers": fetchone(
            "SELECT count(*) FROM vouchers_voucher v JOIN vouchers_campaignrecipient r ON r.id = v.recipient_id"
            " WHERE r.campaign_id = %s AND v.status = 'issued' AND v.points = %s AND v.programme_id = %s",
            [pk, unit, campaign.programme_id],
        )[0],
        "distinct_codes": fetchone(
            "SELECT count(DISTINCT v.code_hash) FROM vouchers_voucher v"
            " JOIN vouchers_campaignrecipient r ON r.id = v.recipient_id WHERE r.campaign_id = %s",
            [pk],
        )[0],
        "recipients_issued_with_voucher": fetchone(
            "SELECT count(*) FROM vouchers_campaignrecipient r JOIN vouchers_voucher v ON v.recipient_id = r.id"
            " WHERE r.campaign_id = %s AND r.status = 'issued'",
            [pk],
        )[0],
        "recipients_total": fetchone("SELECT count(*) FROM vouchers_campaignrecipient WHERE campaign_id = %s", [pk])[0],
        "issued_events": fetchone(
            "SELECT count(*) FROM core_outboxevent o WHERE o.organisation_id = %s AND o.event_type = 'voucher.issued'"
            " AND o.payload->>'campaign_id' = %s",
            [campaign.organisation_id, campaign.campaign_id],
        )[0],
        "completed_events": fetchone(
            "SELECT count(*) FROM core_outboxevent WHERE event_type = 'campaign.completed' AND aggregate_id = %s",
            [str(pk)],
        )[0],
    }
    sample = random.sample(
        [
            row[0]
            for row in fetchall(
                "SELECT id FROM vouchers_voucher WHERE recipient_id IN"
                " (SELECT id FROM vouchers_campaignrecipient WHERE campaign_id = %s)",
                [pk],
            )
        ],
        min(SAMPLE, size),
    )
    payloads = {
        aggregate_id: json.loads(payload) if isinstance(payload, str) else payload
        for aggregate_id, payload in fetchall(
            "SELECT aggregate_id, payload FROM core_outboxevent WHERE event_type = 'voucher.issued'"
            " AND aggregate_id = ANY(%s)",
            [[str(v) for v in sample]],
        )
    }
    stored = Voucher.objects.filter(pk__in=sample).select_related(
        "product__brand", "employee", "order", "recipient__campaign", "programme"
    )
    facts["sample_payloads_equal"] = sum(payloads.get(str(v.pk)) == voucher_document(v) for v in stored)
    facts["sample_codes_intact"] = sum(
        codes.lookup_hash(text := codes.decrypt(v.code_ciphertext, v.organisation_id)) == bytes(v.code_hash)
        and codes.last_four(text) == v.code_last4
        for v in stored
    )
    for label, baseline in baselines:
        facts[f"{label}_vouchers"] = fetchone(
            "SELECT count(*) FROM vouchers_voucher v JOIN vouchers_campaignrecipient r ON r.id = v.recipient_id"
            " WHERE r.campaign_id = %s",
            [baseline["campaign_uuid"]],
        )[0]
    facts["reconciliation_issues"] = len(ledger_reconcile())
    expected = {
        "status": "completed",
        "issued_counter": size,
        "processed_counter": size,
        "points_drawn_counter": size * unit,
        "budget_drawn": size * unit,
        "ledger_spent": size * unit,
        "vouchers": size,
        "distinct_codes": size,
        "recipients_issued_with_voucher": size,
        "recipients_total": size,
        "issued_events": size,
        "completed_events": 1,
        "sample_payloads_equal": min(SAMPLE, size),
        "sample_codes_intact": min(SAMPLE, size),
        **{f"{label}_vouchers": size for label, _ in baselines},
        "reconciliation_issues": 0,
    }
    facts["failed_checks"] = [k for k, v in expected.items() if facts[k] != v]
    facts["ok"] = not facts["failed_checks"]
    return facts


# --- Running -----------------------------------------------------------------------------------------


def _round(source: str, organisation, actor, products, employee_ids, args, chunk: int) -> dict:
    """One measurement: the campaign, then both baselines, on new programmes; then the checks."""
    product = products[source]
    size, unit = len(employee_ids), product.points_for(DENOMINATION)
    tag = uuid.uuid4().hex[:6].upper()
    codes = {k: f"{k}-{tag}" for k in ("PLUM", "VL", "ROWS")}
    for code in codes.values():  # each run pays from its own programme, funded with room to spare
        _programme(actor, code, 2 * (size + 8 * chunk) * unit)
    import_seconds = _import_stock(actor, product, size) if source == "stock" else None
    budget_before = _budget(actor, codes["PLUM"])
    run = _run_campaign(actor, _campaign_data(f"plum-{tag}", product, codes["PLUM"], employee_ids), args.chunk_size)
    budget_after = _budget(actor, codes["PLUM"])
    if source == "stock":
        _raw_stock(organisation, product, size)
    vouchers_ledger = _run_vouchers_ledger_baseline(organisation, actor, product, codes["VL"], employee_ids, chunk)
    if source == "stock":
        _raw_stock(organisation, product, size)
    same_rows = _run_same_rows_baseline(organisation, product, codes["ROWS"], employee_ids, chunk)
    checks = _verify(
        run, size, unit, budget_before, budget_after, [("baseline", vouchers_ledger), ("same_rows", same_rows)]
    )
    total = run["submit_seconds"] + run["process_seconds"]
    rate, baseline_rate = size / total, size / vouchers_ledger["seconds"]
    return {
        "source": source,
        "stock_import_seconds": import_seconds,
        "submit_seconds": run["submit_seconds"],
        "process_seconds": run["process_seconds"],
        "submit_python_cpu_seconds": run["submit_python_cpu_seconds"],
        "process_python_cpu_seconds": run["process_python_cpu_seconds"],
        "campaign_seconds": total,
        "campaign_vouchers_per_second": rate,
        "process_vouchers_per_second": size / run["process_seconds"],
        "baseline_seconds": vouchers_ledger["seconds"],
        "baseline_vouchers_per_second": baseline_rate,
        "same_rows_baseline_seconds": same_rows["seconds"],
        "same_rows_baseline_vouchers_per_second": size / same_rows["seconds"],
        "ratio": rate / baseline_rate,
        "ratio_to_same_rows_baseline": rate / (size / same_rows["seconds"]),
        "checks": checks,
    }


def _scenario(source: str, organisation, actor, products, employee_ids, args, chunk: int) -> dict:
    """`--repeat` rounds; every figure is the median over the rounds, each round's figures are kept."""
    rounds = [_round(source, organisation, actor, products, employee_ids, args, chunk) for _ in range(args.repeat)]
    figures = [k for k, v in rounds[0].items() if isinstance(v, float)]
    summary = {k: median([r[k] for r in rounds]) for k in figures}
    summary["ratio_spread"] = [min(r["ratio"] for r in rounds), max(r["ratio"] for r in rounds)]
    failed = sorted({k for r in rounds for k in r["checks"]["failed_checks"]})
    return {
        "source": source,
        **summary,
        "target_ratio": TARGET_RATIO,
        "target_met": summary["ratio"] >= TARGET_RATIO,
        "checks": {"ok": not failed, "failed_checks": failed},
        "rounds": rounds,
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vouchers_campaign", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=50_000, help="recipients, one voucher each (at most 100,000)")
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--chunk-size", type=int, default=None, help="recipients per chunk (default: the service's)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per scenario; figures are medians (default 1)")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave results/vouchers_campaign.json alone"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_django()
    from vouchers.services import jobs

    chunk = args.chunk_size or jobs.CHUNK_SIZE
    organisation, actor, employee_ids, products = _organisation(args.size)
    employee_ids = employee_ids[: args.size]
    results = {
        source: _scenario(source, organisation, actor, products, employee_ids, args, chunk) for source in args.scenarios
    }

    rows = []
    for source, r in results.items():
        rows += [
            [f"{source}: campaign", "submit + process", r["campaign_seconds"], r["campaign_vouchers_per_second"]],
            [f"{source}:   submit", "campaign_create", r["submit_seconds"], None],
            [f"{source}:   process", "campaign_process", r["process_seconds"], r["process_vouchers_per_second"]],
            [
                f"{source}: baseline",
                "vouchers + ledger, 1 stmt",
                r["baseline_seconds"],
                r["baseline_vouchers_per_second"],
            ],
            [
                f"{source}: baseline",
                "same rows, 1 stmt",
                r["same_rows_baseline_seconds"],
                r["same_rows_baseline_vouchers_per_second"],
            ],
        ]
    rows = [[what, how, f"{seconds:.2f}", "" if rate is None else f"{rate:,.0f}"] for what, how, seconds, rate in rows]
    medians = f", medians of {args.repeat} rounds" if args.repeat > 1 else ""
    print(f"\nVoucher campaign of {args.size:,} recipients, chunks of {chunk:,}, {os.cpu_count()} cores{medians}")
    print(format_table(["what", "how", "seconds", "vouchers/s"], rows))
    ok = True
    for source, r in results.items():
        met = "met" if r["target_met"] else "NOT met"
        spread = f", rounds {r['ratio_spread'][0]:.3f} to {r['ratio_spread'][1]:.3f}" if args.repeat > 1 else ""
        print(
            f"{source}: campaign / baseline = {r['ratio']:.3f}{spread} (target >= 1/3: {met});"
            f" campaign / same-rows baseline = {r['ratio_to_same_rows_baseline']:.3f}"
        )
        print(
            f"{source}: Python CPU in this process: submit {r['submit_python_cpu_seconds']:.2f} s,"
            f" process {r['process_python_cpu_seconds']:.2f} s (the rest of the wall time is PostgreSQL)"
        )
        checks = r["checks"]
        print(f"{source}: checks " + ("all passed" if checks["ok"] else f"FAILED {', '.join(checks['failed_checks'])}"))
        ok = ok and checks["ok"]
    print("The ledger is append-only: the benchmark's organisation and rows stay in the database.")
    if not args.no_write:
        path = write_results(
            NAME,
            {
                "command": " ".join(
                    ["python -m benchmarks.vouchers_campaign", *(sys.argv[1:] if argv is None else argv)]
                ),
                "machine": machine_info(),
                "parameters": {
                    **vars(args),
                    "chunk_size": chunk,
                    "denomination": DENOMINATION,
                    "points_per_unit": POINTS_PER_UNIT,
                    "mode": "in-process campaign_process",
                },
                "results": results,
            },
        )
        print(f"wrote {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
