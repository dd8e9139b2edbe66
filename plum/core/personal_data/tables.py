"""Erasure across every stored copy: the text and JSON columns of every table, in the person's organisation.

Walking the model registry, not a hand-kept list, means a column added next year is covered the day it
exists. Apps declare only what the walk cannot know: how to find an organisation's rows in a table without
an organisation column, which rows are about the person (there, first and last names go too), and which
append-only tables erase through their own database function."""

import json
from collections.abc import Callable
from uuid import UUID

from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from plum.core.personal_data.person import Person, Scrubber, postgres_pattern

OrganisationRows = Callable[[UUID], Q]
AboutPerson = Callable[[Person], Q]
Eraser = Callable[[Person, Scrubber], int]

_organisation_rows: dict[type[models.Model], OrganisationRows] = {}
_about_person: dict[type[models.Model], AboutPerson] = {}
_own_erasers: dict[type[models.Model], Eraser] = {}
_without_personal_data: set[type[models.Model]] = set()


def rows_of_organisation(model: type[models.Model], rows: OrganisationRows) -> None:
    _organisation_rows[model] = rows


def rows_about_person(model: type[models.Model], rows: AboutPerson) -> None:
    _about_person[model] = rows


def erased_by(model: type[models.Model], eraser: Eraser) -> None:
    _own_erasers[model] = eraser


def holds_no_personal_data(*models_: type[models.Model]) -> None:
    _without_personal_data.update(models_)


def organisation_scope(model: type[models.Model], organisation_id: UUID) -> Q | None:
    """The organisation's rows of a table, or None when the table cannot be scoped to one."""
    if model in _organisation_rows:
        return _organisation_rows[model](organisation_id)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    if "organisation_id" in fields:
        return Q(organisation_id=organisation_id)
    for f in model._meta.concrete_fields:
        if f.many_to_one and any(g.attname == "organisation_id" for g in f.related_model._meta.concrete_fields):
            return Q(**{f"{f.name}__organisation_id": organisation_id})
    return None


def text_fields(model: type[models.Model]) -> list[models.Field]:
    def holds_text(f):
        if isinstance(f, ArrayField):
            return isinstance(f.base_field, models.CharField | models.TextField)
        return isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.primary_key

    return [f for f in model._meta.concrete_fields if holds_text(f)]


def tables_to_walk():
    """(model, text fields) of every table the walk covers, and the tables it cannot scope (a test keeps
    that list empty)."""
    walked, unscoped = [], []
    for model in apps.get_models():
        if model in _without_personal_data or model in _own_erasers or model._meta.proxy:
            continue
        fields = text_fields(model)
        if not fields:
            continue
        if organisation_scope(model, UUID(int=0)) is None:
            unscoped.append(model)
        else:
            walked.append((model, fields))
    return walked, unscoped


def erase_in_every_table(person: Person, scrubber: Scrubber) -> dict[str, int]:
    """Rows changed per table."""
    changed: dict[str, int] = {}
    needles = person.every_value + tuple(json.dumps(v)[1:-1] for v in person.every_value)  # JSON-escaped copies
    pattern = postgres_pattern(tuple(dict.fromkeys(needles)))
    for model, fields in tables_to_walk()[0]:
        count = _erase_in_table(model, fields, person, scrubber, pattern)
        if count:
            changed[model._meta.label] = count
    for model, eraser in _own_erasers.items():
        count = eraser(person, scrubber)
        if count:
            changed[model._meta.label] = count
    return changed


def _erase_in_table(model, fields, person: Person, scrubber: Scrubber, pattern: str) -> int:
    aliases = {f"_text_{f.attname}": Cast(f.attname, TextField()) for f in fields}
    matches = Q()
    for alias in aliases:
        matches |= Q(**{f"{alias}__iregex": pattern})
    candidates = model._default_manager.alias(**aliases).filter(organisation_scope(model, person.organisation_id))
    candidates = candidates.filter(matches)
    about = set()
    if model in _about_person:
        about = set(model._default_manager.filter(_about_person[model](person)).values_list("pk", flat=True))
    count = 0
    for row in candidates.values("pk", *(f.attname for f in fields)):
        changes = {}
        for f in fields:
            before = row[f.attname]
            after = _scrubbed(f, before, scrubber, about_person=row["pk"] in about)
            if after != before:
                changes[f.attname] = after
        if changes:
            model._default_manager.filter(pk=row["pk"]).update(**changes)
            count += 1
    return count


def _scrubbed(field: models.Field, value, scrubber: Scrubber, *, about_person: bool):
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return scrubber.json(value, about_person=about_person)
    if isinstance(field, ArrayField):
        return [scrubber.text(v, about_person=about_person) if isinstance(v, str) else v for v in value]
    text = _scrub_text_or_json(value, scrubber, about_person=about_person)
    return text[: field.max_length] if field.max_length else text


def _scrub_text_or_json(value: str, scrubber: Scrubber, *, about_person: bool) -> str:
    """Text that holds a JSON document (a webhook body, a stored answer) is scrubbed as JSON, so a
    document naming the person loses its names even where the full name never appears."""
    if value[:1] in "{[":
        try:
            document = json.loads(value)
        except ValueError:
            pass
        else:
            scrubbed = scrubber.json(document, about_person=about_person)
            return value if scrubbed == document else json.dumps(scrubbed, separators=(",", ":"))
    return scrubber.text(value, about_person=about_person)
