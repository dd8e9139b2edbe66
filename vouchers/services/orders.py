"""Voucher orders: all or nothing for the quantity, paid by the wallet or a programme's budget.

One transaction, locks in this order: the order row (its unique order_id makes a parallel twin wait,
then replay), the wallet or budget shards (through the points app), then stock codes with SKIP LOCKED
(never waited for). Any refusal rolls back everything, the payment included.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.ids import uuid7
from plum.core.outbox import Event, outbox_emit_many
from plum.core.scopes import Scope
from points.services import budget_spend, points_spend, programme_for_spending
from users.models import Employee
from vouchers import codes
from vouchers.commands import VoucherOrderPlace
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import Product, Voucher, VoucherOrder, VoucherReveal
from vouchers.models.vouchers import Funding
from vouchers.selectors import order_document, order_vouchers, voucher_document
from vouchers.services.issuing import Code, claim_stock, expiry, generate_codes
from vouchers.services.trail import record_created

MAX_ORDER_POINTS = 2**63 - 1
GENERATE_ATTEMPTS = 3


@dataclass(frozen=True)
class Placed:
    order: VoucherOrder
    document: dict  # with the codes in full: the answer to the order
    replayed: bool
    vouchers: list[Voucher] = field(default_factory=list)

    @property
    def http_status(self) -> int:
        return 200 if self.replayed else 201


def orderable(actor: Actor, *, employee_id: str, product_id, denomination: int) -> tuple[Employee, Product]:
    """The active employee and active product offering `denomination`, or the 422 that says why not."""
    employee = Employee.objects.filter(organisation_id=actor.organisation_id, employee_id=employee_id).first()
    if employee is None:
        raise VoucherError(VoucherErrorCode.EMPLOYEE_NOT_FOUND, f"No employee {employee_id!r}.", field="employee_id")
    if employee.status != Employee.Status.ACTIVE:
        raise VoucherError(
            VoucherErrorCode.EMPLOYEE_INACTIVE, f"Employee {employee_id!r} is inactive.", field="employee_id"
        )
    product = Product.objects.filter(organisation_id=actor.organisation_id, pk=product_id).first()
    return employee, offered(product, denomination)


def offered(product: Product | None, denomination: int) -> Product:
    if product is None:
        raise VoucherError(
            VoucherErrorCode.PRODUCT_NOT_FOUND, "No such product in this organisation.", field="product_id"
        )
    if product.status != Product.Status.ACTIVE:
        raise VoucherError(
            VoucherErrorCode.PRODUCT_INACTIVE, "The product is not offered any more.", field="product_id"
        )
    if denomination not in product.denominations:
        message = f"{product} offers {', '.join(map(str, product.denominations))}, not {denomination}."
        raise VoucherError(VoucherErrorCode.DENOMINATION_NOT_OFFERED, message, field="denomination")
    return product


def out_of_stock(product: Product, denomination: int, wanted: int, found: int) -> VoucherError:
    message = f"{product} {denomination}: {found} codes available, {wanted} wanted."
    return VoucherError(VoucherErrorCode.OUT_OF_STOCK, message, field="quantity")


def voucher_order_place(*, actor: Actor, command: VoucherOrderPlace) -> Placed:
    digest = command.fingerprint()
    now = timezone.now()
    with transaction.atomic():
        if VoucherOrder.objects.filter(organisation_id=actor.organisation_id, order_id=command.order_id).exists():
            return _replay(actor, command.order_id, digest)  # before the checks: a replay answers as it did
        employee, product = orderable(
            actor, employee_id=command.employee_id, product_id=command.product_id, denomination=command.denomination
        )
        order = VoucherOrder(
            id=uuid7(),
            organisation_id=actor.organisation_id,
            order_id=command.order_id,
            fingerprint=digest,
            employee=employee,
            product=product,
            denomination=command.denomination,
            quantity=command.quantity,
            funding=command.funding,
            points=product.points_for(command.denomination) * command.quantity,
            created_by=actor.label[:200],
        )
        if order.funding == Funding.PROGRAMME:
            order.programme = programme_for_spending(actor=actor, code=command.programme)
        if order.points > MAX_ORDER_POINTS:  # more than any wallet or budget (bigint) can ever hold
            raise _unaffordable(order)
        if not _claim_order_id(order):
            return _replay(actor, command.order_id, digest)
        payment_reference = f"voucher order {order.order_id}"[:128]
        if order.funding == Funding.POINTS:
            spent = points_spend(
                actor=actor, employee_id=employee.employee_id, points=order.points, reference=payment_reference
            )
            order.transaction, lots = spent.transaction, spent.lots
        else:
            order.transaction = budget_spend(
                programme=order.programme, points=order.points, reference=payment_reference
            )
            lots = []
        VoucherOrder.objects.filter(pk=order.pk).update(transaction=order.transaction)
        vouchers, plain = _issue(order, product, lots, now)
        documents = [voucher_document(v, code=code, pin=pin) for v, (code, pin) in zip(vouchers, plain, strict=True)]
        events = [Event("voucher.issued", "voucher", str(v.pk), voucher_document(v)) for v in vouchers]
        outbox_emit_many(organisation_id=actor.organisation_id, events=events)
        record_created(actor, "voucher_order.placed", order.pk, order_values(order, vouchers))
    return Placed(order, order_document(order, documents), replayed=False, vouchers=vouchers)


def order_values(order: VoucherOrder, vouchers: list[Voucher]) -> dict:
    """The order as stored, its vouchers by id (their codes never)."""
    return {
        "order_id": order.order_id,
        "employee_id": order.employee.employee_id,
        "product_id": order.product_id,
        "denomination": order.denomination,
        "quantity": order.quantity,
        "funding": order.funding,
        "programme": order.programme.code if order.programme_id else None,
        "points": order.points,
        "transaction_id": order.transaction_id,
        "vouchers": [v.pk for v in vouchers],
    }


def _unaffordable(order: VoucherOrder) -> VoucherError:
    message = f"The order costs {order.points:,} points, more than any balance can hold."
    if order.funding == Funding.PROGRAMME:
        return VoucherError(VoucherErrorCode.BUDGET_EXHAUSTED, message)
    return VoucherError(VoucherErrorCode.INSUFFICIENT_BALANCE, message)


def _claim_order_id(order: VoucherOrder) -> bool:
    """Insert the order row first: a parallel order with the same order_id waits on it, then replays."""
    try:
        with transaction.atomic():
            order.save(force_insert=True)
    except IntegrityError:
        twin = VoucherOrder.objects.filter(organisation_id=order.organisation_id, order_id=order.order_id)
        if not twin.exists():
            raise
        return False
    return True


def _issue(order: VoucherOrder, product: Product, lots: list, now) -> tuple[list[Voucher], list[tuple]]:
    """Create the vouchers, from stock or generated; answers them with their plain (code, pin)."""
    if product.source == Product.Source.STOCK:
        claimed = claim_stock(product, order.denomination, order.quantity, now)
        if len(claimed) < order.quantity:
            raise out_of_stock(product, order.denomination, order.quantity, len(claimed))
        plain = [_plain(order.organisation_id, c) for c in claimed]
        return _create(order, product, claimed, lots, now), plain
    for attempt in range(GENERATE_ATTEMPTS):
        generated, texts = generate_codes(order.organisation_id, order.quantity)
        try:
            with transaction.atomic():  # a savepoint: a collision retries with new codes
                return _create(order, product, generated, lots, now), [(t, None) for t in texts]
        except IntegrityError:
            if attempt == GENERATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _plain(organisation_id, code: Code) -> tuple[str, str | None]:
    pin = codes.decrypt(code.pin_ciphertext, organisation_id) if code.pin_ciphertext is not None else None
    return codes.decrypt(code.ciphertext, organisation_id), pin


def split_lots(lots: list[tuple], each: int, count: int) -> list[list[list]]:
    """The lots an order's payment consumed, shared out voucher by voucher (so each refunds its own)."""
    queue = [[str(lot_id), taken] for lot_id, taken in lots]
    shares = []
    for _ in range(count if queue else 0):
        need, share = each, []
        while need:
            lot = queue[0]
            take = min(lot[1], need)
            share.append([lot[0], take])
            lot[1] -= take
            need -= take
            if not lot[1]:
                queue.pop(0)
        shares.append(share)
    return shares or [[] for _ in range(count)]


def _create(order: VoucherOrder, product: Product, issued: list[Code], lots: list, now) -> list[Voucher]:
    each = order.points // order.quantity
    shares = split_lots(lots, each, order.quantity)
    # ids ascending in the order of the answer, so a replay (vouchers by id) lists the codes as the first
    # answer did: uuid7s made within one millisecond are otherwise in random order
    ids = sorted(uuid7() for _ in issued)
    vouchers = [
        Voucher(
            id=voucher_id,
            organisation_id=order.organisation_id,
            product=product,
            employee=order.employee,
            order=order,
            stock_code_id=code.stock_code_id,
            denomination=order.denomination,
            points=each,
            funding=order.funding,
            programme=order.programme,
            funding_transaction=order.transaction,
            spent_lots=share,
            code_ciphertext=code.ciphertext,
            pin_ciphertext=code.pin_ciphertext,
            code_hash=code.hash,
            code_last4=code.last4,
            issued_at=now,
            expires_at=expiry(product, code, now),
        )
        for voucher_id, code, share in zip(ids, issued, shares, strict=True)
    ]
    return Voucher.objects.bulk_create(vouchers)


def _replay(actor: Actor, order_id: str, digest: str) -> Placed:
    """The first answer again. Codes in full (recorded as a reveal) only to whoever placed the order (it may
    have lost the answer) or an actor allowed to reveal: order ids are not secret within an organisation."""
    order = VoucherOrder.objects.select_related("employee", "programme").get(
        organisation_id=actor.organisation_id, order_id=order_id
    )
    if order.fingerprint != digest:
        message = f"order_id {order_id!r} was already used for another order."
        raise VoucherError(VoucherErrorCode.ORDER_ID_CONFLICT, message, field="order_id")
    vouchers = list(order_vouchers(order))
    if actor.label[:200] != order.created_by and Scope.VOUCHERS_REVEAL not in actor.scopes:
        masked = [voucher_document(v) for v in vouchers]
        return Placed(order, order_document(order, masked), replayed=True, vouchers=vouchers)
    documents = []
    for v in vouchers:
        code, pin = _plain(order.organisation_id, Code(v.code_ciphertext, v.pin_ciphertext, v.code_hash, v.code_last4))
        documents.append(voucher_document(v, code=code, pin=pin))
    record_reveals(actor, vouchers, reason="order_replay")
    return Placed(order, order_document(order, documents), replayed=True, vouchers=vouchers)


def record_reveals(actor: Actor, vouchers: list[Voucher], *, reason: str) -> None:
    VoucherReveal.objects.bulk_create(
        VoucherReveal(
            organisation_id=actor.organisation_id,
            voucher=v,
            revealed_by=actor.label[:200],
            actor_kind=actor.kind,
            client_id=actor.client_id,
            user_id=actor.user_id,
            reason=reason,
        )
        for v in vouchers
    )
