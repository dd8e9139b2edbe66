"""Plum's one encryption key (PLUM_VOUCHER_KEY) and the secrets sealed with keys derived from it.

Voucher codes (vouchers/codes.py) and integration secrets (hook endpoints, webhook subscriptions, chat
channels) are encrypted at rest with AES-256-GCM under keys derived by HKDF, one purpose each, the
organisation's id bound as associated data so a ciphertext copied onto another tenant's row does not open.
"""

import base64
import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Public on purpose: developer mode and tests only (checks.py warns when it is in use).
DEVELOPMENT_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"plum development voucher key").digest()).decode()
FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
WEBHOOK_SECRET_PREFIX = "whsec_"


def key_material() -> bytes:
    text = settings.VOUCHER_CODE_KEY or DEVELOPMENT_KEY
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise ImproperlyConfigured("PLUM_VOUCHER_KEY is not URL-safe base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured("PLUM_VOUCHER_KEY must be 32 bytes (URL-safe base64).")
    return key


@cache
def derived_key(material: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(material)


def _secret_cipher() -> AESGCM:
    return AESGCM(derived_key(key_material(), b"plum integration secret"))


def seal(secret: str, organisation_id: UUID) -> bytes:
    """A secret as stored: version, nonce, ciphertext."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return FORMAT_VERSION + nonce + _secret_cipher().encrypt(nonce, secret.encode(), organisation_id.bytes)


def unseal(blob: bytes, organisation_id: UUID) -> str:
    blob = bytes(blob)
    if blob[:1] != FORMAT_VERSION:
        raise ValueError("Unknown secret format.")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    return _secret_cipher().decrypt(nonce, sealed, organisation_id.bytes).decode()


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64 (what the standardwebhooks library reads)."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


SECRET_GRACE = timedelta(hours=24)  # API.md: the old secret keeps working for 24 hours after a rotation
ROTATED_FIELDS = ("secret_sealed", "previous_secret_sealed", "previous_secret_expires_at")


def rotate_secret(holder, now: datetime) -> str:
    """Give a RotatingSecret a new secret (answered, to be shown once); the current one becomes the previous,
    valid for SECRET_GRACE. One previous secret is kept: an earlier one still in its grace stops now.
    The caller saves ROTATED_FIELDS."""
    secret = new_webhook_secret()
    holder.previous_secret_sealed, holder.previous_secret_expires_at = holder.secret_sealed, now + SECRET_GRACE
    holder.secret_sealed = seal(secret, holder.organisation_id)
    return secret


def secrets_in_force(holder, now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace lasts."""
    secrets = [unseal(holder.secret_sealed, holder.organisation_id)]
    expires = holder.previous_secret_expires_at
    if holder.previous_secret_sealed is not None and expires is not None and now < expires:
        secrets.append(unseal(holder.previous_secret_sealed, holder.organisation_id))
    return secrets
