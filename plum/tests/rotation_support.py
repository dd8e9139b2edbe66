"""Keys and readers shared by the key rotation tests."""

import base64
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connection

from plum.core.keys import LEGACY_FORMAT, NONCE_BYTES, derived_key, parse_key
from plum.core.rotation import Rotation

OLD, NEW, STRANGER = (base64.urlsafe_b64encode(bytes(range(n, n + 32))).decode() for n in (0, 1, 2))


def before_rotation(settings) -> None:
    """The deployment as it was: one voucher key, which integration secrets follow."""
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_KEY_PREVIOUS, settings.VOUCHER_LOOKUP_KEY = OLD, "", ""
    settings.INTEGRATION_SECRET_KEY = settings.INTEGRATION_SECRET_KEY_PREVIOUS = ""


def step_one(settings, previous=OLD) -> None:
    """Step 1 of a rotation: the new key current, the old one previous, the lookup key pinned to the old."""
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_KEY_PREVIOUS, settings.VOUCHER_LOOKUP_KEY = NEW, previous, OLD


def legacy_seal(key: str, purpose: bytes, text: str, organisation_id) -> bytes:
    """A value as Plum sealed it before values named their key (version 1: no key id)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(derived_key(parse_key(key, "test"), purpose)).encrypt(nonce, text.encode(), organisation_id.bytes)
    return LEGACY_FORMAT + nonce + sealed


def stored(rotation: Rotation) -> dict:
    """Every sealed value as stored: {(table, pk, column): bytes or None}."""
    values = {}
    with connection.cursor() as cursor:
        for table in rotation.tables:
            cursor.execute(f"SELECT {table.pk}, {', '.join(table.columns)} FROM {table.table}")
            for pk, *blobs in cursor.fetchall():
                for column, blob in zip(table.columns, blobs, strict=True):
                    values[(table.table, pk, column)] = None if blob is None else bytes(blob)
    return values


def opened(rotation: Rotation, *, current_only: bool = False) -> dict:
    """Every sealed value opened: {(table, pk, column): text or None}."""
    values = {}
    with connection.cursor() as cursor:
        for table in rotation.tables:
            cursor.execute(f"SELECT {table.pk}, {table.organisation}, {', '.join(table.columns)} FROM {table.table}")
            for pk, organisation, *blobs in cursor.fetchall():
                for column, blob in zip(table.columns, blobs, strict=True):
                    values[(table.table, pk, column)] = (
                        None if blob is None else rotation.sealer.unseal(blob, organisation, current_only=current_only)
                    )
    return values
