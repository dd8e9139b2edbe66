"""Vouchers after issue: redeem (exactly once), cancel (with its refund), reveal (audited), expire."""

from django.db import transaction
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.outbox import Event, outbox_emit, outbox_emit_many
from points.services import budget_refund, points_refund
from vouchers import codes
from vouchers.commands import VoucherCancel, VoucherRedeem, VoucherReveal
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import StockCode, Voucher
from vouchers.models.vouchers import Funding
from vouchers.selectors import voucher_document, voucher_get, voucher_list
from vouchers.services.orders import record_reveals
from vouchers.services.trail import record, record_changed

S = Voucher.Status
EXPIRE_PER_RUN = 1000


def _not_found() -> VoucherError:
    return VoucherError(VoucherErrorCode.VOUCHER_NOT_FOUND, "No such voucher in this organisation.")


def _state_error(voucher: Voucher, now) -> VoucherError | None:
    """Why a voucher cannot be redeemed or cancelled now, if it cannot."""
    if voucher.status == S.REDEEMED:
        return VoucherError(VoucherErrorCode.ALREADY_REDEEMED, f"Redeemed at {voucher.redeemed_at:%Y-%m-%d %H:%M}Z.")
    if voucher.status == S.CANCELLED:
        return VoucherError(VoucherErrorCode.VOUCHER_CANCELLED, "The voucher was cancelled.")
    if voucher.status == S.EXPIRED or voucher.expires_at <= now:
        return VoucherError(VoucherErrorCode.VOUCHER_EXPIRED, f"Expired at {voucher.expires_at:%Y-%m-%d %H:%M}Z.")
    return None


def voucher_redeem(*, actor: Actor, command: VoucherRedeem) -> Voucher:
    """Redeem by code, exactly once: a guarded UPDATE lets one of any number of parallel calls win.
    An unknown code is 404 whether or not another organisation has it (the lookup is per organisation)."""
    digest, now = codes.lookup_hash(command.code), timezone.now()
    with transaction.atomic():
        live = Voucher.objects.filter(organisation_id=actor.organisation_id, code_hash=digest)
        redeemed = live.filter(status=S.ISSUED, expires_at__gt=now).update(status=S.REDEEMED, redeemed_at=now)
        same_code = voucher_list(actor=actor).filter(code_hash=digest)
        voucher = same_code.exclude(status=S.CANCELLED).first() or same_code.first()
        if voucher is None:
            raise VoucherError(VoucherErrorCode.VOUCHER_NOT_FOUND, "No voucher has this code.")
        if not redeemed:
            raise _state_error(voucher, now)
        before = {"status": S.ISSUED, "redeemed_at": None}
        record_changed(actor, "voucher.redeemed", voucher.pk, before, {"status": S.REDEEMED, "redeemed_at": now})
        outbox_emit(
            organisation_id=actor.organisation_id,
            event=Event("voucher.redeemed", "voucher", str(voucher.pk), voucher_document(voucher)),
        )
    return voucher


def voucher_cancel(*, actor: Actor, command: VoucherCancel) -> Voucher:
    """Cancel an issued voucher: its points go back where they came from (a ledger refund) and a stock
    code goes back to stock. Cancelling a cancelled voucher answers it as it is (a safe retry)."""
    pk, now = command.voucher_id, timezone.now()
    with transaction.atomic():
        # the voucher's lock first, then the wallet or budget (in points), then its stock code
        voucher = (
            None
            if pk is None
            else Voucher.objects.select_for_update(of=("self",))
            .filter(organisation_id=actor.organisation_id, pk=pk)
            .first()
        )
        if voucher is None:
            raise _not_found()
        if voucher.status == S.CANCELLED:
            return voucher_get(actor=actor, voucher_id=pk)
        if error := _state_error(voucher, now):
            raise error
        reference = f"voucher {voucher.pk} cancelled"
        if voucher.funding == Funding.POINTS:
            refund = points_refund(
                organisation_id=voucher.organisation_id,
                employee_pk=voucher.employee_id,
                lots=[(lot_id, taken) for lot_id, taken in voucher.spent_lots],
                reference=reference,
            )
        else:
            refund = budget_refund(programme=voucher.programme, points=voucher.points, reference=reference)
        Voucher.objects.filter(pk=voucher.pk).update(status=S.CANCELLED, cancelled_at=now, refund_transaction=refund)
        if voucher.stock_code_id:
            StockCode.objects.filter(pk=voucher.stock_code_id).update(status=StockCode.Status.AVAILABLE)
        before = {"status": voucher.status, "cancelled_at": None, "refund_transaction_id": None}
        after = {"status": S.CANCELLED, "cancelled_at": now, "refund_transaction_id": refund.pk}
        record_changed(actor, "voucher.cancelled", voucher.pk, before, after)
    return voucher_get(actor=actor, voucher_id=pk)


def voucher_reveal(*, actor: Actor, command: VoucherReveal) -> dict:
    """The voucher with its code and PIN in full, and an audit record of who saw them."""
    voucher = voucher_get(actor=actor, voucher_id=command.voucher_id)
    pin = codes.decrypt(voucher.pin_ciphertext, voucher.organisation_id) if voucher.pin_ciphertext else None
    code = codes.decrypt(voucher.code_ciphertext, voucher.organisation_id)
    with transaction.atomic():
        record_reveals(actor, [voucher], reason=command.door)
        record(actor, "voucher.revealed", voucher.pk)  # who saw it; the code is in no entry
    return voucher_document(voucher, code=code, pin=pin)


def vouchers_expire(*, now=None, limit: int = EXPIRE_PER_RUN) -> int:
    """Mark issued vouchers past expires_at as expired, each once (a guarded UPDATE), with voucher.expired.
    Rows another run holds are skipped. Answers how many it marked; call again while it answers `limit`."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Voucher.objects.select_for_update(skip_locked=True).filter(status=S.ISSUED, expires_at__lte=now)
        ids = list(due.order_by("expires_at").values_list("id", flat=True)[:limit])
        Voucher.objects.filter(pk__in=ids, status=S.ISSUED).update(status=S.EXPIRED, expired_at=now)
        expired = Voucher.objects.filter(pk__in=ids).select_related(
            "product__brand", "employee", "order", "recipient__campaign", "programme"
        )
        by_organisation: dict = {}
        for v in expired:
            by_organisation.setdefault(v.organisation_id, []).append(
                Event("voucher.expired", "voucher", str(v.pk), voucher_document(v))
            )
        for organisation_id, events in by_organisation.items():
            outbox_emit_many(organisation_id=organisation_id, events=events)
    return len(ids)
