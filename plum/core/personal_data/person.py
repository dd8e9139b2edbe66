"""The person being erased, and how their values are found and replaced inside stored text and JSON."""

import re
from dataclasses import dataclass, field
from uuid import UUID

TOMBSTONE = "erased"

# Keys of a document that names its person; their values go wherever such a document is found.
PERSON_KEYS = ("first_name", "last_name", "email", "slack_user_id", "teams_user_id", "name", "display_name")


@dataclass(frozen=True)
class Person:
    organisation_id: UUID
    employee_pk: UUID
    employee_id: str
    first_name: str
    last_name: str
    email: str
    chat_ids: tuple[str, ...] = field(default=())

    @property
    def distinctive(self) -> tuple[str, ...]:
        """Values that name this person wherever they appear: the full name, the email, chat ids."""
        full = f"{self.first_name} {self.last_name}".strip()
        return tuple(v for v in (full, self.email, *self.chat_ids) if len(v) >= 3)

    @property
    def every_value(self) -> tuple[str, ...]:
        """Also the first and last names alone: replaced only in records about this person, since
        another employee may share a first name."""
        return tuple(dict.fromkeys((*self.distinctive, *(n for n in (self.first_name, self.last_name) if n))))


def _pattern(values: tuple[str, ...]) -> re.Pattern | None:
    if not values:
        return None
    # Longest first, so the full name goes before its parts; whole words only ("Ann" keeps "Annual").
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def postgres_pattern(values: tuple[str, ...]) -> str:
    """The same values as a PostgreSQL regular expression, to find candidate rows (case-insensitive ~*)."""
    return "|".join("".join(c if c.isalnum() else "\\" + c for c in v) for v in values)


class Scrubber:
    def __init__(self, person: Person, tombstones: dict[str, str]):
        """tombstones: what each of PERSON_KEYS becomes in a document about the person (the erased
        employee's own values, so every copy agrees with it)."""
        self.person = person
        self.tombstones = tombstones
        self._all = _pattern(person.every_value)
        self._distinctive = _pattern(person.distinctive)

    def text(self, value: str, *, about_person: bool) -> str:
        pattern = self._all if about_person else self._distinctive
        return pattern.sub(TOMBSTONE, value) if pattern and value else value

    def json(self, value, *, about_person: bool = False):
        """A JSON value with this person's values replaced. A document naming the person by
        employee_id or email is about them: every value of theirs goes, names included."""
        if isinstance(value, dict):
            about = about_person or self._names_person(value)
            return {
                k: (
                    self.tombstones.get(k, TOMBSTONE)
                    if about and k in PERSON_KEYS and isinstance(v, str) and v
                    else self.json(v, about_person=about)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.json(v, about_person=about_person) for v in value]
        if isinstance(value, str):
            return self.text(value, about_person=about_person)
        return value

    def _names_person(self, document: dict) -> bool:
        p = self.person
        return document.get("employee_id") == p.employee_id or (
            isinstance(document.get("email"), str) and document["email"].lower() == p.email.lower()
        )
