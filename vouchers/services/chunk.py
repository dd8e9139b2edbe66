"""One chunk of a campaign, set-based: claim recipients, pay, claim or make codes, write, record.

Per voucher the work is text. The vouchers' COPY rows and their voucher.issued events are written from
tuples, never through model instances: a Voucher with its related objects cost more than all the SQL of
its chunk. Each event's payload is still vouchers.selectors.voucher_document's: the document of the
chunk's first voucher, made by voucher_document itself, with the fields that differ from voucher to
voucher put in (tests compare every payload of a campaign with voucher_document).
"""

import json
from collections import Counter
from datetime import datetime

from django.db import connection

from plum.core.claims import claim_rows
from plum.core.db import array, copy_rows, copy_text
from plum.core.ids import uuid7_texts
from plum.core.outbox import outbox_copy_json
from plum.core.timefmt import iso
from points.services import budget_spend_units
from users.models import Employee
from vouchers.codes import MASK, masked
from vouchers.models import Campaign, CampaignRecipient, Product, StockCode, Voucher
from vouchers.models.vouchers import Funding
from vouchers.selectors import voucher_document
from vouchers.services.issuing import Code, claim_stock, expiry, generate_many

R = CampaignRecipient.Status
RECIPIENTS, EMPLOYEES = CampaignRecipient._meta.db_table, Employee._meta.db_table
STOCK, VOUCHERS = StockCode._meta.db_table, Voucher._meta.db_table
CLAIM_SQL = (
    f"SELECT r.id, r.employee_id::text, e.employee_id, e.status FROM {RECIPIENTS} r"  # noqa: S608 (table and status names from the models)
    f" JOIN {EMPLOYEES} e ON e.id = r.employee_id WHERE r.campaign_id = %s AND r.status = '{R.QUEUED.value}'"
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
VARYING = ("id", "employee_id", "code", "pin", "expires_at")  # the rest of a chunk's documents is one


def process_chunk(campaign: Campaign, chunk_size: int, now: datetime) -> Counter | None:
    """Issue one chunk in the caller's transaction; answers the outcomes, or None when none was queued."""
    stock = campaign.product.source == Product.Source.STOCK
    with connection.cursor() as cursor:
        if stock:
            # One chunk of a stock campaign at a time: a parallel chunk would skip the codes this one holds
            # and call its recipients out of stock, for good, even if this one then rolled back.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"campaign {campaign.pk}"])
    claimed = claim_rows(CLAIM_SQL, [campaign.pk, chunk_size], at_most=chunk_size)
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
        available = StockCode.Status.AVAILABLE.value
        cursor.execute(f"UPDATE {STOCK} SET status = '{available}' WHERE id = ANY(%s)", [stock_code_ids])  # noqa: S608 (table and status names from the models)


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


class _Payloads:
    """voucher_document of each voucher of a chunk, as JSON text: the first voucher's document (made
    by voucher_document) with the VARYING fields of each voucher put in."""

    def __init__(self, campaign: Campaign, unit: int, payment, now, first: tuple):
        document = voucher_document(_voucher(campaign, *first, unit, payment, now))
        self.shared = json.dumps({k: v for k, v in document.items() if k not in VARYING})[1:]  # '"order_id": …}'

    def text(self, voucher_id: str, employee_id: str, code: Code, expires_at: str) -> str:
        pin = "null" if code.pin_ciphertext is None else f'"{MASK}"'
        return (
            f'{{"id": "{voucher_id}", "employee_id": {json.dumps(employee_id)},'
            f' "code": {json.dumps(masked(code.last4))}, "pin": {pin}, "expires_at": "{expires_at}", {self.shared}'
        )


def _write(campaign: Campaign, unit: int, payment, issued: list[tuple], outcomes: dict[int, str], now) -> None:
    """The vouchers (COPY: a generated code colliding with an existing one fails the chunk, and the
    retry makes new codes), their events, and every recipient's outcome."""
    if issued:
        _write_vouchers(campaign, unit, payment, issued, now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RECIPIENTS} r SET status = o.status, processed_at = %s"  # noqa: S608 (table name from the model)
            " FROM unnest(%s::bigint[], %s::text[]) AS o(id, status) WHERE r.id = o.id",
            [now, array(outcomes), array(outcomes.values())],
        )


def _write_vouchers(campaign: Campaign, unit: int, payment, issued: list[tuple], now) -> None:
    product, organisation = campaign.product, str(campaign.organisation_id)
    ids = uuid7_texts(len(issued))
    shared = "\t".join(
        [str(campaign.denomination), str(unit), Funding.PROGRAMME, str(campaign.programme_id), str(payment.id), "[]"]
    )
    head = f"{organisation}\t{product.pk}"
    stamp, ends = now.isoformat(), {}
    payloads = _Payloads(campaign, unit, payment, now, (ids[0], *issued[0]))
    vouchers, events = [], []
    for voucher_id, ((recipient_id, employee_pk, employee_id), code) in zip(ids, issued, strict=True):
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
        events.append((voucher_id, payloads.text(voucher_id, employee_id, code, expires_iso)))
    copy_rows(VOUCHERS, VOUCHER_COLUMNS, ((row,) for row in vouchers))
    outbox_copy_json(
        organisation_id=campaign.organisation_id, event_type="voucher.issued", aggregate_type="voucher", events=events
    )
