"""Campaigns: stored with every recipient in one transaction, answered 202, issued by Celery in chunks.

Exactly once, as for points batches: a chunk is one transaction that claims queued recipients with
SKIP LOCKED, pays the budget, creates their vouchers and records their outcomes before it commits, so
a killed worker rolls its chunk back whole; a voucher's recipient column is unique, so not even a bug
could give anyone two. Lost messages are re-sent by a periodic sweeper.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import parse_uuid, uuid7
from plum.core.text import storable_text
from plum.core.timefmt import parse_aware
from points.selectors import programme_get
from points.services import programme_for_spending
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import Campaign, Product
from vouchers.models.catalogue import MAX_DENOMINATION
from vouchers.services.jobs import enqueue_on_commit
from vouchers.services.orders import offered
from vouchers.services.shapes import checked_fields, reference_ok, whole

CAMPAIGN_FIELDS = {
    "campaign_id",
    "name",
    "product_id",
    "denomination",
    "programme",
    "recipients",
    "filter",
    "expires_at",
}
FILTER_FIELDS = {"business_unit", "cost_centre", "country", "department", "status"}
MAX_RECIPIENTS = 100_000
PARALLEL_TASKS = 2


@dataclass(frozen=True)
class CampaignCreated:
    campaign: Campaign
    replayed: bool

    @property
    def http_status(self) -> int:
        return 200 if self.replayed else 202


def _text(value, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest and storable_text(value)


def clean_campaign(data) -> dict:
    checks = {
        "campaign_id": (reference_ok, "1 to 128 printable ASCII characters, no spaces."),
        "name": (lambda v: _text(v, 200), "A name of 1 to 200 characters."),
        "product_id": (lambda v: parse_uuid(v) is not None, "A product id (UUID)."),
        "denomination": (lambda v: whole(v, 1, MAX_DENOMINATION), "A whole number offered by the product."),
        "programme": (lambda v: _text(v, 128), "A programme code."),
    }
    required = ("campaign_id", "name", "product_id", "denomination", "programme")
    clean, errors = checked_fields(data, what="A campaign", fields=CAMPAIGN_FIELDS, required=required, checks=checks)
    errors += _recipient_errors(clean)
    if clean["expires_at"] is not None:
        clean["expires_at"] = _future_time(clean["expires_at"], errors)
    if errors:
        raise ValidationFailed(errors[:100])
    clean["product_id"] = str(parse_uuid(clean["product_id"]))
    return clean


def _recipient_errors(clean: dict) -> list[dict]:
    recipients, chosen = clean["recipients"], clean["filter"]
    if (recipients is None) == (chosen is None):
        return [field_error("recipients", CoreErrorCode.REQUIRED, "Either `recipients` or `filter`, not both.")]
    if chosen is not None:
        if not isinstance(chosen, dict) or not chosen.keys() <= FILTER_FIELDS:
            message = f"An object with any of: {', '.join(sorted(FILTER_FIELDS))}."
            return [field_error("filter", CoreErrorCode.INVALID, message)]
        bad = [k for k, v in chosen.items() if not _text(v, 150)]
        return [field_error(f"filter.{k}", CoreErrorCode.INVALID, "A non-empty string.") for k in bad]
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
        message = f"A list of 1 to {MAX_RECIPIENTS:,} employee ids."
        return [field_error("recipients", CoreErrorCode.INVALID, message)]
    errors, seen = [], set()
    for n, employee_id in enumerate(recipients):
        if not _text(employee_id, 128):
            errors.append(field_error(f"recipients[{n}]", CoreErrorCode.INVALID, "An employee id."))
        elif employee_id in seen:
            errors.append(field_error(f"recipients[{n}]", CoreErrorCode.INVALID, f"{employee_id!r} is listed twice."))
        seen.add(employee_id if isinstance(employee_id, str) else None)
    return errors


def _future_time(value, errors: list) -> datetime | None:
    moment = parse_aware(value)
    if moment is None or moment <= timezone.now():
        errors.append(field_error("expires_at", CoreErrorCode.INVALID, "A future ISO 8601 time with its offset."))
        return None
    return moment


def _fingerprint(clean: dict) -> str:
    return hashlib.sha256(json.dumps(clean, sort_keys=True, default=str).encode()).hexdigest()


def campaign_create(*, actor: Actor, data) -> CampaignCreated:
    """Check, store the campaign and its recipients, queue it. The budget must cover every recipient
    now; it is drawn chunk by chunk, exactly for the vouchers issued."""
    clean = clean_campaign(data)
    digest = _fingerprint(clean)
    with transaction.atomic():
        existing = Campaign.objects.filter(organisation_id=actor.organisation_id, campaign_id=clean["campaign_id"])
        if existing.exists():  # a fast path only: the unique campaign_id decides, below
            return _replay(actor, clean["campaign_id"], digest)
        product = offered(
            Product.objects.filter(organisation_id=actor.organisation_id, pk=clean["product_id"]).first(),
            clean["denomination"],
        )
        programme = programme_for_spending(actor=actor, code=clean["programme"])
        employee_pks = _recipient_pks(actor, clean)
        cost = product.points_for(clean["denomination"]) * len(employee_pks)
        available = programme_get(actor=actor, code=programme.code).budget_balance
        if cost > available:
            message = f"{len(employee_pks)} vouchers cost {cost} points; the budget holds {available}."
            raise VoucherError(VoucherErrorCode.BUDGET_EXHAUSTED, message, field="programme")
        campaign_uuid = uuid7()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO vouchers_campaign (id, organisation_id, campaign_id, fingerprint, name, product_id,"
                " denomination, programme_id, expires_at, recipient_filter, status, total, processed, issued,"
                " out_of_stock, employee_inactive, budget_exhausted, points_drawn, failures, last_error,"
                " created_by, created_at, progress_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'queued',"
                " %s, 0, 0, 0, 0, 0, 0, 0, '', %s, now(), now()) ON CONFLICT (organisation_id, campaign_id)"
                " DO NOTHING RETURNING id",
                [
                    campaign_uuid,
                    actor.organisation_id,
                    clean["campaign_id"],
                    digest,
                    clean["name"],
                    product.pk,
                    clean["denomination"],
                    programme.pk,
                    clean["expires_at"],
                    json.dumps(clean["filter"]) if clean["filter"] is not None else None,
                    len(employee_pks),
                    actor.label[:200],
                ],
            )
            if cursor.fetchone() is None:  # a parallel twin committed first
                return _replay(actor, clean["campaign_id"], digest)
            cursor.execute(
                "INSERT INTO vouchers_campaignrecipient (campaign_id, index, employee_id, status)"
                " SELECT %s, n - 1, e, 'queued' FROM unnest(%s::uuid[]) WITH ORDINALITY AS r(e, n)",
                [campaign_uuid, employee_pks],
            )
        enqueue_on_commit(campaign_uuid, copies=PARALLEL_TASKS)
    return CampaignCreated(Campaign.objects.select_related("programme").get(pk=campaign_uuid), replayed=False)


def _recipient_pks(actor: Actor, clean: dict) -> list:
    """Employee primary keys in the order given (explicit ids) or by employee id (a filter)."""
    with connection.cursor() as cursor:
        if clean["recipients"] is not None:
            cursor.execute(
                "SELECT r.n, e.id FROM unnest(%s::text[]) WITH ORDINALITY AS r(employee_id, n)"
                " LEFT JOIN users_employee e ON e.organisation_id = %s AND e.employee_id = r.employee_id ORDER BY r.n",
                [clean["recipients"], actor.organisation_id],
            )
            rows = cursor.fetchall()
            unknown = [
                field_error(f"recipients[{n - 1}]", VoucherErrorCode.EMPLOYEE_NOT_FOUND, "No such employee.")
                for n, pk in rows
                if pk is None
            ]
            if unknown:
                message = f"{len(unknown)} recipients are not employees of this organisation."
                raise VoucherError(VoucherErrorCode.EMPLOYEE_NOT_FOUND, message, errors=unknown[:100])
            return [pk for _, pk in rows]
        chosen = {"status": "active", **clean["filter"]}  # leavers are left out unless asked for
        conditions = {
            "business_unit": "bu.code = %s",
            "cost_centre": "cc.code = %s",
            "country": "e.country = upper(%s)",
            "department": "e.department = %s",
            "status": "e.status = %s",
        }
        where = " AND ".join(conditions[k] for k in chosen)
        cursor.execute(
            "SELECT e.id FROM users_employee e LEFT JOIN users_businessunit bu ON bu.id = e.business_unit_id"
            f" LEFT JOIN users_costcentre cc ON cc.id = e.cost_centre_id WHERE e.organisation_id = %s AND {where}"
            " ORDER BY e.employee_id",
            [actor.organisation_id, *chosen.values()],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
    if not pks:
        raise VoucherError(VoucherErrorCode.NO_RECIPIENTS, "No employee matches the filter.", field="filter")
    if len(pks) > MAX_RECIPIENTS:
        message = f"{len(pks):,} employees match; a campaign takes at most {MAX_RECIPIENTS:,}."
        raise ValidationFailed([field_error("filter", CoreErrorCode.INVALID, message)])
    return pks


def _replay(actor: Actor, campaign_id: str, digest: str) -> CampaignCreated:
    campaign = Campaign.objects.select_related("programme").get(
        organisation_id=actor.organisation_id, campaign_id=campaign_id
    )
    if campaign.fingerprint != digest:
        message = f"campaign_id {campaign_id!r} was already used for another campaign."
        raise VoucherError(VoucherErrorCode.CAMPAIGN_ID_CONFLICT, message, field="campaign_id")
    return CampaignCreated(campaign, replayed=True)
