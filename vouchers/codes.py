"""Voucher codes: encryption at rest, the keyed lookup hash, generation and masking.

A code is as good as cash, so the database never holds it readable: the code and its PIN are
encrypted with AES-256-GCM (a fresh nonce each, the organisation's id as associated data, so a
ciphertext copied onto another organisation's row does not decrypt), and found by an HMAC-SHA256 of
the normalised code. The encryption key is derived from PLUM_VOUCHER_KEY with HKDF and can be rotated
(plum_rotate_voucher_key); the lookup key from PLUM_VOUCHER_LOOKUP_KEY, which defaults to PLUM_VOUCHER_KEY
and is never rotated, so a code is found the same way before, during and after a rotation.
"""

import hmac
import secrets
from uuid import UUID

from plum.core.keys import NONCE_BYTES, Sealer, derived_key, key_material, lookup_key_material, voucher_keyring

# The code and the PIN; the HKDF purpose is the one codes were first sealed with, so they still open.
VOUCHER_CODES = Sealer("voucher codes", b"plum voucher encryption", voucher_keyring, "PLUM_VOUCHER_KEY")
# Generated codes: no 0/O or 1/I/L look-alikes; 31 symbols.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUP = 4
RANDOM_SYMBOLS = 19  # 19 * log2(31) ≈ 94 bits of randomness, plus one check symbol
MASK = "••••"


def check_key() -> None:
    """Raises ImproperlyConfigured when PLUM_VOUCHER_KEY, its previous or the lookup key is not usable."""
    key_material()
    voucher_keyring()
    lookup_key_material()


def _lookup_key() -> bytes:
    return derived_key(lookup_key_material(), b"plum voucher lookup")


def normalise(code: str) -> str:
    """What two spellings of one code share: no spaces or hyphens, upper case."""
    return "".join(code.split()).replace("-", "").upper()


def lookup_hash(code: str) -> bytes:
    return hmac.digest(_lookup_key(), normalise(code).encode(), "sha256")


def encrypt(text: str, organisation_id: UUID) -> bytes:
    return VOUCHER_CODES.seal(text, organisation_id)


def seal_many(texts: list[str], organisation_id: UUID) -> list[tuple[bytes, bytes, str]]:
    """(encrypt, lookup_hash, last_four) of each code, for thousands at a time: the keys are looked up
    once and the nonces drawn in one piece (the same CSPRNG as encrypt's, a fresh nonce per code)."""
    current, lookup, seal = voucher_keyring().current, _lookup_key(), VOUCHER_CODES.seal_with
    nonces = secrets.token_bytes(NONCE_BYTES * len(texts))
    sealed = []
    for n, text in enumerate(texts):
        nonce, plain = nonces[n * NONCE_BYTES : (n + 1) * NONCE_BYTES], normalise(text)
        sealed.append(
            (seal(current, nonce, text, organisation_id), hmac.digest(lookup, plain.encode(), "sha256"), plain[-4:])
        )
    return sealed


def decrypt(blob: bytes, organisation_id: UUID) -> str:
    return VOUCHER_CODES.unseal(blob, organisation_id)


def last_four(code: str) -> str:
    return normalise(code)[-4:]


def masked(last4: str) -> str:
    return MASK + last4


def check_symbol(symbols: str) -> str:
    """Weights 2, 1, 2, ... from the right, summed modulo 31. As 31 is prime, each weight maps symbols
    one to one, so any single wrong symbol and any swap of two different neighbours changes the sum.
    (Luhn's digit-sum doubling is no permutation for an odd alphabet: it missed e.g. 3 <-> J.)"""
    values = [ALPHABET.index(symbol) for symbol in symbols]
    total = 2 * sum(values[-1::-2]) + sum(values[-2::-2])  # weight 2 from the last symbol leftwards, then 1, ...
    return ALPHABET[-total % len(ALPHABET)]


# Two symbols at a time: _PAIRS[d0 + 31 * d1] == ALPHABET[d0] + ALPHABET[d1] (campaigns make thousands).
_PAIRS = [low + high for high in ALPHABET for low in ALPHABET]
_SPACE = len(ALPHABET) ** RANDOM_SYMBOLS


def _code(number: int) -> str:
    """The code of a number below _SPACE: its base-31 digits, least significant first, and the check."""
    symbols = []
    for _ in range(RANDOM_SYMBOLS // 2):
        number, pair = divmod(number, len(_PAIRS))
        symbols.append(_PAIRS[pair])
    if RANDOM_SYMBOLS % 2:
        symbols.append(ALPHABET[number])
    body = "".join(symbols)
    code = body + check_symbol(body)
    return "-".join([code[i : i + GROUP] for i in range(0, len(code), GROUP)])


def generate() -> str:
    """A fresh code like `7KQM-2XHD-PW9R-C4TA-NV3E`: 19 random symbols and a check symbol."""
    return _code(secrets.randbelow(_SPACE))


def generate_many(count: int) -> list[str]:
    """`count` fresh codes, as `count` calls of generate make them, with the randomness drawn in a few
    pieces: each candidate takes the bytes secrets.randbelow would draw, and those past the range are
    rejected as it rejects them, so every number below _SPACE stays equally likely."""
    bits = _SPACE.bit_length()
    width, shift = (bits + 7) // 8, -bits % 8
    made: list[str] = []
    while len(made) < count:
        pool = secrets.token_bytes(width * 2 * (count - len(made)))  # about half the candidates are kept
        for start in range(0, len(pool), width):
            number = int.from_bytes(pool[start : start + width], "big") >> shift
            if number < _SPACE:
                made.append(_code(number))
                if len(made) == count:
                    break
    return made
