"""What plum_rotate_voucher_key and plum_rotate_integration_key share: one engine (plum.core.rotation),
two registrations of sealed columns."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from plum.core.keys import key_id
from plum.core.rotation import CHUNK_SIZE, MAX_PASSES, Rotation, RotationError, outdated_count, rotate, verify


class RotateKeyCommand(BaseCommand):
    rotation: Rotation

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="Rows per transaction.")
        parser.add_argument("--max-passes", type=int, default=MAX_PASSES, help="Passes over rows held by others.")
        parser.add_argument("--verify-only", action="store_true", help="Change nothing: check every value opens.")

    def handle(self, *args, chunk_size, max_passes, verify_only, **options):
        sealer = self.rotation.sealer
        try:
            current = key_id(sealer.keyring().current).hex()
            if verify_only:
                left = outdated_count(self.rotation)
                if left:
                    raise RotationError(f"{left} {sealer.name} are not under the current {sealer.setting} yet.")
                self.stdout.write(f"Verified: {verify(self.rotation)} {sealer.name} open with key {current}.")
                return
            self.stdout.write(f"Rotating {sealer.name} onto {sealer.setting} (key id {current})...")
            outcome = rotate(
                self.rotation,
                chunk_size=chunk_size,
                max_passes=max_passes,
                after_chunk=lambda o: self.stdout.write(f"  {o.rewritten} re-sealed", ending="\r"),
            )
        except (RotationError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        tables = ", ".join(f"{table} {count}" for table, count in sorted(outcome.by_table.items())) or "none"
        self.stdout.write(
            f"Done: {outcome.rewritten} re-sealed ({tables}) in {outcome.passes} pass(es); verified "
            f"{outcome.verified} {sealer.name} open with {sealer.setting} alone. "
            f"{sealer.setting}_PREVIOUS can now be removed{self.also()}."
        )

    def also(self) -> str:
        return ""
