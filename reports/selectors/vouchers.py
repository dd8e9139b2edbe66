from collections.abc import Iterator, Sequence
from uuid import UUID

from reports.commands import ReportFilter


def voucher_summary(*, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter) -> list[dict]:
    """Voucher measures per group for the vouchers issued in the period; see reports.selectors."""
    return list(voucher_summary_rows(organisation_id=organisation_id, group_by=group_by, filters=filters))


def voucher_summary_rows(
    *, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter, chunk_size: int = 2000
) -> Iterator[dict]:
    """The rows of voucher_summary, streamed from a server-side cursor."""
    raise NotImplementedError
