"""Re-seal every voucher code and PIN under PLUM_VOUCHER_KEY while PLUM_VOUCHER_KEY_PREVIOUS opens the old ones."""

from django.conf import settings

from plum.core.rotation import Rotation, SealedTable
from plum.management.rotate_key import RotateKeyCommand
from vouchers.codes import VOUCHER_CODES
from vouchers.models import StockCode, Voucher

VOUCHER_ROTATION = Rotation(
    VOUCHER_CODES,
    (
        SealedTable(StockCode, ("code_ciphertext", "pin_ciphertext")),
        SealedTable(Voucher, ("code_ciphertext", "pin_ciphertext")),
    ),
)


class Command(RotateKeyCommand):
    help = (
        "Re-encrypt every voucher code and PIN under PLUM_VOUCHER_KEY (PLUM_VOUCHER_KEY_PREVIOUS opens the old "
        "ones); resumable, online, verified at the end. See docs/keys-and-sign-in.md."
    )
    rotation = VOUCHER_ROTATION

    def also(self) -> str:
        if settings.INTEGRATION_SECRET_KEY:
            return ""
        return (
            " once `manage.py plum_rotate_integration_key` has run too (PLUM_INTEGRATION_KEY is unset, so "
            "integration secrets follow PLUM_VOUCHER_KEY)"
        )
