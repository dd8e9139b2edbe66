"""Plum's encryption keys and what is sealed with them.

Voucher codes and PINs (vouchers/codes.py) are sealed under PLUM_VOUCHER_KEY; integration secrets (hook
endpoints, webhook subscriptions, HRMS credentials, chat channels) under PLUM_INTEGRATION_KEY, which
follows PLUM_VOUCHER_KEY while unset. Each is AES-256-GCM under a key derived by HKDF (one purpose each),
the organisation's id bound as associated data so a ciphertext copied onto another tenant's row does not
open. A sealed value names the key that sealed it (a key id), so a key can be rotated: with the new key
as the current one and the old as *_PREVIOUS, both read, new values use the new key, and
plum.core.rotation rewrites the old ones (docs/keys-and-sign-in.md).
"""

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Public on purpose: developer mode and tests only (checks.py warns when it is in use).
DEVELOPMENT_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"plum development voucher key").digest()).decode()
LEGACY_FORMAT = b"\x01"  # version, nonce, ciphertext: written before key ids (opened by trying each key)
FORMAT_VERSION = b"\x02"  # version, key id, nonce, ciphertext
KEY_ID_BYTES = 4
NONCE_BYTES = 12
WEBHOOK_SECRET_PREFIX = "whsec_"


@cache
def parse_key(text: str, setting: str) -> bytes:
    """32 bytes from URL-safe base64, or ImproperlyConfigured naming the setting."""
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{setting} is not URL-safe base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{setting} must be 32 bytes (URL-safe base64).")
    return key


@cache
def derived_key(material: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(material)


@cache
def _aead(material: bytes, purpose: bytes) -> AESGCM:
    return AESGCM(derived_key(material, purpose))


def key_id(material: bytes) -> bytes:
    """Names a key inside what it sealed without revealing it (a one-way derivation, 4 bytes)."""
    return derived_key(material, b"plum key id")[:KEY_ID_BYTES]


@dataclass(frozen=True)
class Keyring:
    current: bytes
    previous: bytes | None = None


def key_material() -> bytes:
    """The current voucher key (the public development key when PLUM_VOUCHER_KEY is unset)."""
    return parse_key(settings.VOUCHER_CODE_KEY or DEVELOPMENT_KEY, "PLUM_VOUCHER_KEY")


def voucher_keyring() -> Keyring:
    previous = settings.VOUCHER_CODE_KEY_PREVIOUS
    return Keyring(key_material(), parse_key(previous, "PLUM_VOUCHER_KEY_PREVIOUS") if previous else None)


def integration_keyring() -> Keyring:
    """PLUM_INTEGRATION_KEY and its previous; while it is unset, integration secrets follow the voucher key
    (and its previous), as they did before the two keys were told apart."""
    if not settings.INTEGRATION_SECRET_KEY:
        follows = voucher_keyring()
        if settings.INTEGRATION_SECRET_KEY_PREVIOUS:
            follows = Keyring(
                follows.current, parse_key(settings.INTEGRATION_SECRET_KEY_PREVIOUS, "PLUM_INTEGRATION_KEY_PREVIOUS")
            )
        return follows
    previous = settings.INTEGRATION_SECRET_KEY_PREVIOUS
    return Keyring(
        parse_key(settings.INTEGRATION_SECRET_KEY, "PLUM_INTEGRATION_KEY"),
        parse_key(previous, "PLUM_INTEGRATION_KEY_PREVIOUS") if previous else None,
    )


def lookup_key_material() -> bytes:
    """The key of voucher codes' lookup hash. It is not rotated with PLUM_VOUCHER_KEY (every stored hash
    would change): PLUM_VOUCHER_LOOKUP_KEY pins it, and must while a rotation is under way."""
    if settings.VOUCHER_LOOKUP_KEY:
        return parse_key(settings.VOUCHER_LOOKUP_KEY, "PLUM_VOUCHER_LOOKUP_KEY")
    if settings.VOUCHER_CODE_KEY_PREVIOUS:
        raise ImproperlyConfigured(
            "PLUM_VOUCHER_KEY_PREVIOUS is set but PLUM_VOUCHER_LOOKUP_KEY is not: set PLUM_VOUCHER_LOOKUP_KEY to the "
            "key the codes' lookup hashes were made with (the PLUM_VOUCHER_KEY in use before any rotation)."
        )
    return key_material()


class UnknownKey(ValueError):
    """A sealed value names a key that is neither the current nor the previous one."""


@dataclass(frozen=True)
class Sealer:
    """Seals text under a keyring's current key for one purpose; opens what the current or previous key sealed."""

    name: str  # what is sealed, for messages: "voucher codes"
    purpose: bytes  # HKDF info: unchanged since the first release, so older values still open
    keyring: Callable[[], Keyring]
    setting: str  # the environment variable of the current key; its previous is setting + "_PREVIOUS"

    def seal(self, text: str, organisation_id: UUID) -> bytes:
        return self.seal_with(self.keyring().current, secrets.token_bytes(NONCE_BYTES), text, organisation_id)

    def seal_with(self, material: bytes, nonce: bytes, text: str, organisation_id: UUID) -> bytes:
        sealed = _aead(material, self.purpose).encrypt(nonce, text.encode(), organisation_id.bytes)
        return FORMAT_VERSION + key_id(material) + nonce + sealed

    def current_prefix(self) -> bytes:
        """What every value sealed under the current key starts with."""
        return FORMAT_VERSION + key_id(self.keyring().current)

    def unseal(self, blob: bytes, organisation_id: UUID, *, current_only: bool = False) -> str:
        ring = self.keyring()
        keys = [ring.current] if current_only or ring.previous is None else [ring.current, ring.previous]
        blob = bytes(blob)
        if blob[:1] == FORMAT_VERSION:
            named = blob[1 : 1 + KEY_ID_BYTES]
            keys = [key for key in keys if key_id(key) == named]
            if not keys:
                raise UnknownKey(f"Sealed under key id {named.hex()}, which is not {self._settings(current_only)}.")
            nonce, sealed = (
                blob[1 + KEY_ID_BYTES : 1 + KEY_ID_BYTES + NONCE_BYTES],
                blob[1 + KEY_ID_BYTES + NONCE_BYTES :],
            )
        elif blob[:1] == LEGACY_FORMAT and not current_only:
            nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        else:
            raise ValueError(f"Unknown {self.name} format.")
        *others, last = keys  # a legacy value names no key: each is tried, the last one's failure raised
        for key in others:
            try:
                return _aead(key, self.purpose).decrypt(nonce, sealed, organisation_id.bytes).decode()
            except InvalidTag:
                pass
        return _aead(last, self.purpose).decrypt(nonce, sealed, organisation_id.bytes).decode()

    def _settings(self, current_only: bool) -> str:
        return self.setting if current_only else f"{self.setting} or {self.setting}_PREVIOUS"


INTEGRATION_SECRETS = Sealer(
    "integration secrets", b"plum integration secret", integration_keyring, "PLUM_INTEGRATION_KEY"
)


def seal(secret: str, organisation_id: UUID) -> bytes:
    """A secret as stored: version, key id, nonce, ciphertext."""
    return INTEGRATION_SECRETS.seal(secret, organisation_id)


def unseal(blob: bytes, organisation_id: UUID) -> str:
    return INTEGRATION_SECRETS.unseal(blob, organisation_id)


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
