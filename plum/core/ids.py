"""Time-ordered UUIDs (version 7 layout) for append-heavy tables: public, unguessable, index-friendly."""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | rand & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)


def uuid7_texts(count: int) -> list[str]:
    """`count` UUIDv7s as text, laid out as uuid7 makes them (one clock reading for all): bulk inserts."""
    millis = f"{time.time_ns() // 1_000_000 & (1 << 48) - 1:012x}"
    noise, made = os.urandom(10 * count).hex(), []
    for n in range(0, 20 * count, 20):
        r = noise[n : n + 20]  # 80 random bits: the version nibble and the variant bits are set below
        variant = "89ab"[int(r[4], 16) & 3]
        made.append(f"{millis[:8]}-{millis[8:]}-7{r[1:4]}-{variant}{r[5:8]}-{r[8:]}")
    return made


def parse_uuid(value) -> uuid.UUID | None:
    """The UUID a client sent (URL, GraphQL), or None when it is not one: such an id names nothing."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value) if isinstance(value, str) and len(value) <= 64 else None
    except ValueError:
        return None
