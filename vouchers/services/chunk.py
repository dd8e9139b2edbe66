"""One chunk of a campaign, set-based: claim recipients, pay, claim or make codes, write, record.

Per voucher the work is text. The vouchers' COPY rows and their voucher.issued events are written from
tuples, never through model instances: a Voucher with its related objects cost more than all the SQL of
its chunk. Each event's payload is still vouchers.selectors.voucher_document's: the document of the
chunk's first voucher, made by voucher_document itself, with the fields that differ from voucher to
voucher put in (see _Payloads, which checks that against voucher_document for the first and the last
voucher of every chunk, and otherwise makes every payload with voucher_document).
"""

import json
import logging
import os
import time
from collections import Counter
from datetime import datetime

from django.db import connection
from django.utils import timezone

from plum.core.timefmt import iso
from points.services import budget_spend_units
from points.services.batch_sql import array, copy_rows, copy_text
from users.models import Employee
from vouchers.codes import MASK, masked
from vouchers.models import Campaign, CampaignRecipient, Product, Voucher
from vouchers.models.vouchers import Funding
from vouchers.selectors import voucher_document
from vouchers.services.issuing import Code, claim_stock, expiry, generate_many

logger = logging.getLogger(__name__)

R = CampaignRecipient.Status
CLAIM_SQL = (
    "SELECT r.id, r.employee_id::text, e.employee_id, e.status FROM vouchers_campaignrecipient r"
    " JOIN users_employee e ON e.id = r.employee_id WHERE r.campaign_id = %s AND r.status = 'queued'"
    " ORDER BY r.index LIMIT %s FOR UPDATE OF r SKIP LOCKED"
)
VOUCHER_COLUMNS = (
    "id",
    "organisation_id",
    "product_id",
    "employee_id",
    "recipient_id",
    "stock_code_id",
    "denomination",
    "points",
    "funding",
    "programme_id",
    "funding_transaction_id",
    "spent_lots",
    "code_ciphertext",
    "pin_ciphertext",
    "code_hash",
    "code_last4",
    "status",
    "issued_at",
    "expires_at",
)
EVENT_COLUMNS = (
    "event_id",
    "organisation_id",
    "event_type",
    "aggregate_type",
    "aggregate_id",
    "payload",
    "created_at",
)
VARYING = ("id", "employee_id", "code", "pin", "expires_at")  # the rest of a chunk's documents is one


def process_chunk(campaign: Campaign, chunk_size: int, now: datetime) -> Counter | None:
    """Issue one chunk in the caller's transaction; answers the outcomes, or None when none was queued."""
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [campaign.pk, chunk_size])
        claimed = cursor.fetchall()
    if not claimed:
        return None
    outcomes: dict[int, str] = {}
    active = []
    for recipient_id, employee_pk, employee_id, status in claimed:
        if status == Employee.Status.ACTIVE:
            active.append((recipient_id, employee_pk, employee_id))
        else:
            outcomes[recipient_id] = R.EMPLOYEE_INACTIVE
    product, unit = campaign.product, campaign.product.points_for(campaign.denomination)
    stock = product.source == Product.Source.STOCK
    codes_ = claim_stock(product, campaign.denomination, len(active), now) if stock else []
    covered = len(codes_) if stock else len(active)  # the rest are out of stock
    paid, payment = 0, None
    if covered:
        paid, payment = budget_spend_units(
            programme=campaign.programme, unit_points=unit, count=covered, reference=f"campaign {campaign.campaign_id}"
        )
    if stock and paid < len(codes_):  # codes the budget could not pay for go back to stock
        _release([c.stock_code_id for c in codes_[paid:]])
    if not stock:
        codes_ = generate_many(campaign.organisation_id, paid)
    for recipient_id, _, _ in active[:paid]:
        outcomes[recipient_id] = R.ISSUED
    for recipient_id, _, _ in active[paid:covered]:
        outcomes[recipient_id] = R.BUDGET_EXHAUSTED
    for recipient_id, _, _ in active[covered:]:
        outcomes[recipient_id] = R.OUT_OF_STOCK
    _write(campaign, unit, payment, list(zip(active[:paid], codes_[:paid], strict=True)), outcomes, now)
    return Counter(outcomes.values())


def _release(stock_code_ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE vouchers_stockcode SET status = 'available' WHERE id = ANY(%s)", [stock_code_ids])


def _voucher(campaign: Campaign, voucher_id: str, recipient: tuple, code: Code, unit: int, payment, now) -> Voucher:
    """The voucher as a model instance, related objects set in memory: for voucher_document only."""
    recipient_id, employee_pk, employee_id = recipient
    return Voucher(
        id=voucher_id,
        organisation_id=campaign.organisation_id,
        product=campaign.product,
        employee=Employee(pk=employee_pk, employee_id=employee_id),
        recipient=CampaignRecipient(pk=recipient_id, campaign=campaign),
        stock_code_id=code.stock_code_id,
        denomination=campaign.denomination,
        points=unit,
        funding=Funding.PROGRAMME,
        programme=campaign.programme,
        funding_transaction=payment,
        spent_lots=[],
        code_ciphertext=code.ciphertext,
        pin_ciphertext=code.pin_ciphertext,
        code_hash=code.hash,
        code_last4=code.last4,
        status=Voucher.Status.ISSUED,
        issued_at=now,
        expires_at=expiry(campaign.product, code, now, campaign.expires_at),
    )


def _uuid7_texts(count: int) -> list[str]:
    """`count` UUIDv7s as text, laid out as plum.core.ids.uuid7 makes them (one clock reading for all)."""
    millis = f"{time.time_ns() // 1_000_000 & (1 << 48) - 1:012x}"
    noise, made = os.urandom(10 * count).hex(), []
    for n in range(0, 20 * count, 20):
        r = noise[n : n + 20]  # 80 random bits: the version nibble and the variant bits are set below
        variant = "89ab"[int(r[4], 16) & 3]
        made.append(f"{millis[:8]}-{millis[8:]}-7{r[1:4]}-{variant}{r[5:8]}-{r[8:]}")
    return made


def _uuid4_texts(count: int) -> list[str]:
    """`count` random UUIDs (version 4) as 32 hex digits, which PostgreSQL reads as uuid."""
    noise, made = os.urandom(16 * count).hex(), []
    for n in range(0, 32 * count, 32):
        r = noise[n : n + 32]
        made.append(f"{r[:12]}4{r[13:16]}{'89ab'[int(r[16], 16) & 3]}{r[17:]}")
    return made


class _Payloads:
    """voucher_document of each voucher of a chunk, as JSON text: the first voucher's document (made
    by voucher_document) with the VARYING fields of each voucher put in."""

    def __init__(self, campaign: Campaign, unit: int, payment, now, first: tuple, last: tuple):
        self.campaign, self.args = campaign, (unit, payment, now)
        document = voucher_document(_voucher(campaign, *first, *self.args))
        self.shared = json.dumps({k: v for k, v in document.items() if k not in VARYING})[1:]  # '"order_id": …}'
        self.exact = all(
            json.loads(self.text(voucher_id, recipient[2], code, iso(made.expires_at))) == voucher_document(made)
            for voucher_id, recipient, code in (first, last)
            for made in [_voucher(campaign, voucher_id, recipient, code, *self.args)]
        )
        if not self.exact:  # voucher_document changed in a way this class does not know: use it for each
            logger.warning("Campaign %s: voucher.issued payloads made one by one by voucher_document", campaign.pk)

    def text(self, voucher_id: str, employee_id: str, code: Code, expires_at: str) -> str:
        pin = "null" if code.pin_ciphertext is None else f'"{MASK}"'
        return (
            f'{{"id": "{voucher_id}", "employee_id": {json.dumps(employee_id)},'
            f' "code": {json.dumps(masked(code.last4))}, "pin": {pin}, "expires_at": "{expires_at}", {self.shared}'
        )

    def slow(self, voucher_id: str, recipient: tuple, code: Code) -> str:
        return json.dumps(voucher_document(_voucher(self.campaign, voucher_id, recipient, code, *self.args)))


def _write(campaign: Campaign, unit: int, payment, issued: list[tuple], outcomes: dict[int, str], now) -> None:
    """The vouchers (COPY: a generated code colliding with an existing one fails the chunk, and the
    retry makes new codes), their events, and every recipient's outcome."""
    if issued:
        _write_vouchers(campaign, unit, payment, issued, now)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE vouchers_campaignrecipient r SET status = o.status, processed_at = %s"
            " FROM unnest(%s::bigint[], %s::text[]) AS o(id, status) WHERE r.id = o.id",
            [now, array(outcomes), array(outcomes.values())],
        )


def _write_vouchers(campaign: Campaign, unit: int, payment, issued: list[tuple], now) -> None:
    product, organisation = campaign.product, str(campaign.organisation_id)
    ids = _uuid7_texts(len(issued))
    shared = "\t".join(
        [str(campaign.denomination), str(unit), Funding.PROGRAMME, str(campaign.programme_id), str(payment.id), "[]"]
    )
    head = f"{organisation}\t{product.pk}"
    stamp, ends = now.isoformat(), {}
    payloads = _Payloads(campaign, unit, payment, now, (ids[0], *issued[0]), (ids[-1], *issued[-1]))
    vouchers, events = [], []
    for voucher_id, ((recipient_id, employee_pk, employee_id), code), event_id in zip(
        ids, issued, _uuid4_texts(len(issued)), strict=True
    ):
        if code.expires_at not in ends:  # the product's validity or the campaign's date, within the code's own
            moment = expiry(product, code, now, campaign.expires_at)
            ends[code.expires_at] = (moment.isoformat(), iso(moment))
        expires, expires_iso = ends[code.expires_at]
        pin = "\\N" if code.pin_ciphertext is None else "\\\\x" + code.pin_ciphertext.hex()
        vouchers.append(
            f"{voucher_id}\t{head}\t{employee_pk}\t{recipient_id}\t{copy_text(code.stock_code_id)}\t{shared}"
            f"\t\\\\x{code.ciphertext.hex()}\t{pin}\t\\\\x{code.hash.hex()}\t{copy_text(code.last4)}\tissued"
            f"\t{stamp}\t{expires}"
        )
        payload = (
            payloads.text(voucher_id, employee_id, code, expires_iso)
            if payloads.exact
            else payloads.slow(voucher_id, (recipient_id, employee_pk, employee_id), code)
        )
        # JSON text holds no raw tab or line break, so a backslash is all COPY needs escaped
        escaped = payload.replace("\\", "\\\\")
        events.append(f"{event_id}\t{organisation}\tvoucher.issued\tvoucher\t{voucher_id}\t{escaped}")
    copy_rows("vouchers_voucher", VOUCHER_COLUMNS, ((row,) for row in vouchers))
    created = timezone.now().isoformat()  # as outbox_emit_many stamps its events
    copy_rows("core_outboxevent", EVENT_COLUMNS, ((row, created) for row in events))
