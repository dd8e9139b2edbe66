from uuid import UUID


def budget_utilisation(*, organisation_id: UUID, programme_code: str) -> dict | None:
    """A programme's budget over time; see reports.selectors. None when not the organisation's."""
    raise NotImplementedError
