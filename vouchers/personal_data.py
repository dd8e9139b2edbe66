"""The vouchers app's sections of the personal data export (codes masked, as the REST API shows them)."""

from plum.core.personal_data import export_section
from vouchers import selectors


def _vouchers(actor, employee) -> list[dict]:
    vouchers = selectors.voucher_list(actor=actor).filter(employee=employee).order_by("issued_at", "id")
    return [selectors.voucher_document(v) for v in vouchers]


def register() -> None:
    export_section("vouchers", _vouchers)
