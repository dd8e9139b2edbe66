"""One engine that moves sealed columns onto the current key (plum_rotate_voucher_key, plum_rotate_integration_key).

Resumable and online: what is left to do is read from the data itself (a value names its key), so a run
that stops half way is simply run again, and nothing is sealed twice (only values under another key are
read, and a value is replaced only if it is still the one that was read). Each chunk is read without
locks and re-sealed in Python; then one short transaction takes the chunk's rows that nobody holds
(FOR UPDATE SKIP LOCKED: the rotation never waits for an order or a redemption, and never deadlocks with
one) and rewrites them in place. Rows held, or changed meanwhile, are left for the next pass. At the end
every value must open with the current key alone.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from django.db import connection, transaction
from django.db.models import Model

from plum.core.keys import FORMAT_VERSION, KEY_ID_BYTES, Sealer, UnknownKey

OPEN_ERRORS = (InvalidTag, UnknownKey, ValueError)
CHUNK_SIZE = 200  # rows per transaction: orders wait at most for one UPDATE of this many rows
MAX_PASSES = 20
PASS_PAUSE_SECONDS = 0.5


class RotationError(Exception):
    """The rotation cannot start or finish; the message says what to do."""


@dataclass(frozen=True)
class SealedTable:
    """A model's sealed columns; the organisation's id is the associated data of each."""

    model: type[Model]
    fields: tuple[str, ...]

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def pk(self) -> str:
        return self.model._meta.pk.column

    @property
    def organisation(self) -> str:
        return self.model._meta.get_field("organisation").column

    @property
    def columns(self) -> list[str]:
        return [self.model._meta.get_field(name).column for name in self.fields]


@dataclass(frozen=True)
class Rotation:
    sealer: Sealer
    tables: tuple[SealedTable, ...]


@dataclass
class Outcome:
    rewritten: int = 0  # values re-sealed under the current key
    passes: int = 0
    chunks: int = 0
    verified: int = 0  # values that open with the current key alone
    by_table: dict[str, int] = field(default_factory=dict)


def _outdated(table: SealedTable, prefix: bytes) -> tuple[str, list]:
    """SQL (and its parameters) true for a row with a value not sealed under the current key."""
    tests = [f"({c} IS NOT NULL AND substring({c} from 1 for {len(prefix)}) <> %s)" for c in table.columns]
    return "(" + " OR ".join(tests) + ")", [prefix] * len(tests)


def outdated_count(rotation: Rotation) -> int:
    """How many values (not rows) are not sealed under the current key."""
    prefix, total = rotation.sealer.current_prefix(), 0
    with connection.cursor() as cursor:
        for table in rotation.tables:
            counts = " + ".join(
                f"count(*) FILTER (WHERE substring({c} from 1 for {len(prefix)}) <> %s)" for c in table.columns
            )
            cursor.execute(f"SELECT {counts} FROM {table.table}", [prefix] * len(table.columns))  # noqa: S608
            total += cursor.fetchone()[0]
    return total


def preflight(rotation: Rotation) -> None:
    """Refuses, before anything changes, when some value under another key cannot be opened: the previous
    key is missing or is not the one it was sealed with. One value of each key found is tried."""
    sealer, prefix = rotation.sealer, rotation.sealer.current_prefix()
    setting, ring = sealer.setting, sealer.keyring()
    # the version and key id of a value (the version alone for the legacy format, which names no key)
    tag = (
        f"CASE WHEN get_byte({{c}}, 0) = {FORMAT_VERSION[0]} THEN substring({{c}} from 1 for {1 + KEY_ID_BYTES})"
        " ELSE substring({c} from 1 for 1) END"
    )
    with connection.cursor() as cursor:
        for table in rotation.tables:
            for column in table.columns:
                key = tag.format(c=column)
                cursor.execute(
                    f"SELECT {key}, count(*), (array_agg({table.pk}))[1] FROM {table.table}"  # noqa: S608
                    f" WHERE {column} IS NOT NULL AND {key} <> %s GROUP BY 1",
                    [prefix],
                )
                for _, count, sample in cursor.fetchall():
                    if ring.previous is None:
                        raise RotationError(
                            f"{count} {sealer.name} ({table.table}.{column}) are not under the current {setting}, "
                            f"and {setting}_PREVIOUS is not set: set it to the key they were sealed with. "
                            "Nothing was changed."
                        )
                    blob, organisation = _one_value(table, column, sample)
                    try:
                        sealer.unseal(blob, organisation)
                    except OPEN_ERRORS as exc:
                        raise RotationError(
                            f"{table.table}.{column} of row {sample} ({count} like it) opens with neither {setting} "
                            f"nor {setting}_PREVIOUS ({type(exc).__name__}: {exc or 'wrong key'}): is "
                            f"{setting}_PREVIOUS the key they were sealed with? Nothing was changed."
                        ) from exc


def _one_value(table: SealedTable, column: str, pk) -> tuple[bytes, object]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}, {table.organisation} FROM {table.table} WHERE {table.pk} = %s", [pk])  # noqa: S608
        blob, organisation = cursor.fetchone()
    return bytes(blob), organisation


def _resealed(sealer: Sealer, blob: bytes, organisation) -> bytes:
    return sealer.seal(sealer.unseal(blob, organisation), organisation)


def _pass(rotation: Rotation, table: SealedTable, outcome: Outcome, chunk_size: int, after_chunk) -> None:
    sealer, prefix = rotation.sealer, rotation.sealer.current_prefix()
    columns, where, params = table.columns, *_outdated(table, prefix)
    select = f"SELECT {table.pk}, {table.organisation}, {', '.join(columns)} FROM {table.table}"  # noqa: S608
    guard = " AND ".join(f"{c} IS NOT DISTINCT FROM %s" for c in columns)
    update = f"UPDATE {table.table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {table.pk} = %s AND {guard}"  # noqa: S608
    last = None
    while True:
        after = "" if last is None else f" AND {table.pk} > %s"
        with connection.cursor() as cursor:
            cursor.execute(
                f"{select} WHERE {where}{after} ORDER BY {table.pk} LIMIT %s",
                [*params, *([] if last is None else [last]), chunk_size],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        changes = {}
        for pk, organisation, *blobs in rows:
            olds = [None if b is None else bytes(b) for b in blobs]
            try:
                news = [b if b is None or b.startswith(prefix) else _resealed(sealer, b, organisation) for b in olds]
            except OPEN_ERRORS as exc:
                raise RotationError(
                    f"{table.table} row {pk} opens with neither {sealer.setting} nor {sealer.setting}_PREVIOUS "
                    f"({type(exc).__name__}). The rows before it are done; fix the key and run the command again."
                ) from exc
            changes[pk] = (news, olds, sum(1 for old, new in zip(olds, news, strict=True) if old is not new))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {table.pk} FROM {table.table} WHERE {table.pk} = ANY(%s) FOR UPDATE SKIP LOCKED",  # noqa: S608
                [list(changes)],
            )
            free = [pk for (pk,) in cursor.fetchall()]
            for pk in free:
                news, olds, count = changes[pk]
                cursor.execute(update, [*news, pk, *olds])
                if cursor.rowcount:
                    outcome.rewritten += count
                    outcome.by_table[table.table] = outcome.by_table.get(table.table, 0) + count
        outcome.chunks += 1
        if after_chunk is not None:
            after_chunk(outcome)


def rotate(
    rotation: Rotation,
    *,
    chunk_size: int = CHUNK_SIZE,
    max_passes: int = MAX_PASSES,
    pause: float = PASS_PAUSE_SECONDS,
    after_chunk: Callable[[Outcome], None] | None = None,
) -> Outcome:
    """Re-seal every value under the current key, then verify. Raises RotationError when it cannot."""
    preflight(rotation)
    outcome = Outcome()
    while True:
        outcome.passes += 1
        for table in rotation.tables:
            _pass(rotation, table, outcome, chunk_size, after_chunk)
        left = outdated_count(rotation)
        if not left:
            break
        if outcome.passes >= max_passes:
            raise RotationError(
                f"{left} {rotation.sealer.name} are still not under the current {rotation.sealer.setting} after "
                f"{outcome.passes} passes: rows held by long transactions, or written by a process that does not "
                "have the new key yet. Run the command again once every process has it."
            )
        time.sleep(pause)
    outcome.verified = verify(rotation)
    return outcome


def verify(rotation: Rotation, chunk_size: int = 1000) -> int:
    """Opens every value with the current key alone; answers how many, or raises RotationError naming the
    rows that do not open."""
    sealer, failed, opened = rotation.sealer, [], 0
    for table in rotation.tables:
        select = f"SELECT {table.pk}, {table.organisation}, {', '.join(table.columns)} FROM {table.table}"  # noqa: S608
        last = None
        while True:
            with connection.cursor() as cursor:
                after = "" if last is None else f" WHERE {table.pk} > %s"
                cursor.execute(
                    f"{select}{after} ORDER BY {table.pk} LIMIT %s", [*([] if last is None else [last]), chunk_size]
                )
                rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            for pk, organisation, *blobs in rows:
                for blob in blobs:
                    if blob is None:
                        continue
                    try:
                        sealer.unseal(blob, organisation, current_only=True)
                        opened += 1
                    except OPEN_ERRORS:
                        failed.append(f"{table.table} {pk}")
    if failed:
        raise RotationError(
            f"Verification failed: {len(failed)} {sealer.name} do not open with {sealer.setting} alone "
            f"(first: {', '.join(failed[:5])}). Keep {sealer.setting}_PREVIOUS and run the command again."
        )
    return opened
