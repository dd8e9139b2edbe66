"""Erasure of a person's data from every stored copy (GDPR article 17). The employee's own row is
tombstoned by users.services; this package finds the person's values everywhere else."""

from plum.core.personal_data.export import SECTIONS, export_document, export_section
from plum.core.personal_data.person import TOMBSTONE, Person, Scrubber, postgres_pattern
from plum.core.personal_data.tables import (
    erase_in_every_table,
    erased_by,
    holds_no_personal_data,
    rows_about_person,
    rows_of_organisation,
    tables_to_walk,
)

__all__ = [
    "SECTIONS",
    "TOMBSTONE",
    "Person",
    "Scrubber",
    "erase_in_every_table",
    "erased_by",
    "export_document",
    "export_section",
    "holds_no_personal_data",
    "postgres_pattern",
    "rows_about_person",
    "rows_of_organisation",
    "tables_to_walk",
]
