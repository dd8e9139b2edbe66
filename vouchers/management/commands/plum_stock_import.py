from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plum.core.actor import Actor
from plum.core.errors import DomainError
from plum.core.ids import parse_uuid
from vouchers import commands, services
from vouchers.models import Product, StockImport


class Command(BaseCommand):
    help = (
        "Import a brand's CSV of codes (code, pin, denomination, expires_at) into a stock product: "
        "the whole file, or nothing and the report of every bad row."
    )

    def add_arguments(self, parser):
        parser.add_argument("product_id", help="The product's id (UUID)")
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8)")

    def handle(self, *args, product_id, file, **options):
        pk = parse_uuid(product_id)
        # staff tooling across organisations: the product tells whose stock this is
        product = None if pk is None else Product.objects.select_related("brand").filter(pk=pk).first()
        if product is None:
            raise CommandError(f"No product with id {product_id!r}.")
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except ValueError:  # a NUL in the path
            raise CommandError(f"Cannot read {str(file)!r}: not a file path.") from None
        actor = Actor.system(product.organisation_id, label="plum_stock_import")
        try:
            command = commands.StockFileImport.parse(
                {"product_id": product.pk, "content": content, "filename": file.name}
            )
            record = services.stock_import(actor=actor, command=command)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if record.status == StockImport.Status.IMPORTED:
            self.stdout.write(f"Imported {record.imported} codes into {product}.")
            return
        for error in record.errors:
            self.stderr.write(f"row {error['row']}, {error['field'] or 'file'}: {error['message']} ({error['code']})")
        raise CommandError(f"{file.name} was rejected with {len(record.errors)} error(s); nothing was imported.")
