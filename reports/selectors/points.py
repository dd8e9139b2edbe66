from collections.abc import Iterator, Sequence
from uuid import UUID

from reports.commands import ReportFilter


def points_summary(*, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter) -> list[dict]:
    """Points measures per group; see reports.selectors."""
    return list(points_summary_rows(organisation_id=organisation_id, group_by=group_by, filters=filters))


def points_summary_rows(
    *, organisation_id: UUID, group_by: Sequence[str], filters: ReportFilter, chunk_size: int = 2000
) -> Iterator[dict]:
    """The rows of points_summary, streamed from a server-side cursor."""
    raise NotImplementedError
