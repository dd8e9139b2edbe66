"""One chunk of a campaign, set-based: claim recipients, pay, claim or make codes, write, record."""

from collections import Counter
from datetime import datetime

from django.db import connection

from plum.core.ids import uuid7
from plum.core.outbox import Event, outbox_emit_many
from points.services import budget_spend_units
from points.services.batch_sql import copy_rows, copy_text
from users.models import Employee
from vouchers.models import Campaign, CampaignRecipient, Product, Voucher
from vouchers.models.vouchers import Funding
from vouchers.selectors import voucher_document
from vouchers.services.issuing import Code, claim_stock, expiry, generate_codes

R = CampaignRecipient.Status
CLAIM_SQL = (
    "SELECT r.id, r.employee_id, e.employee_id, e.status FROM vouchers_campaignrecipient r"
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
        codes_ = generate_codes(campaign.organisation_id, paid)[0]
    vouchers = [
        _voucher(campaign, recipient, code, unit, payment, now)
        for recipient, code in zip(active[:paid], codes_[:paid], strict=True)
    ]
    for recipient_id, _, _ in active[:paid]:
        outcomes[recipient_id] = R.ISSUED
    for recipient_id, _, _ in active[paid:covered]:
        outcomes[recipient_id] = R.BUDGET_EXHAUSTED
    for recipient_id, _, _ in active[covered:]:
        outcomes[recipient_id] = R.OUT_OF_STOCK
    _write(campaign, vouchers, outcomes, now)
    return Counter(outcomes.values())


def _release(stock_code_ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE vouchers_stockcode SET status = 'available' WHERE id = ANY(%s)", [stock_code_ids])


def _voucher(campaign: Campaign, recipient: tuple, code: Code, unit: int, payment, now) -> Voucher:
    recipient_id, employee_pk, employee_id = recipient
    # related objects set in memory, so voucher_document needs no query per voucher
    return Voucher(
        id=uuid7(),
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


def _bytea(value: bytes | None) -> str:
    return "\\N" if value is None else copy_text("\\x" + value.hex())


def _write(campaign: Campaign, vouchers: list[Voucher], outcomes: dict[int, str], now) -> None:
    """The vouchers (COPY: a generated code colliding with an existing one fails the chunk, and the
    retry makes new codes), their events, and every recipient's outcome."""
    copy_rows(
        "vouchers_voucher",
        VOUCHER_COLUMNS,
        (
            (
                str(v.id),
                str(v.organisation_id),
                str(v.product_id),
                str(v.employee_id),
                str(v.recipient_id),
                copy_text(v.stock_code_id),
                str(v.denomination),
                str(v.points),
                v.funding,
                str(v.programme_id),
                str(v.funding_transaction_id),
                "[]",
                _bytea(v.code_ciphertext),
                _bytea(v.pin_ciphertext),
                _bytea(v.code_hash),
                copy_text(v.code_last4),
                "issued",
                v.issued_at.isoformat(),
                v.expires_at.isoformat(),
            )
            for v in vouchers
        ),
    )
    outbox_emit_many(
        organisation_id=campaign.organisation_id,
        events=(Event("voucher.issued", "voucher", str(v.pk), voucher_document(v)) for v in vouchers),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE vouchers_campaignrecipient r SET status = o.status, processed_at = %s"
            " FROM unnest(%s::bigint[], %s::text[]) AS o(id, status) WHERE r.id = o.id",
            [now, list(outcomes), list(outcomes.values())],
        )
