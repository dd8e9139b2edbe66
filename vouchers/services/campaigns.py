"""Campaigns: stored with every recipient in one transaction, answered 202, issued by Celery in chunks.

Exactly once, as for points batches: a chunk is one transaction that claims queued recipients with
SKIP LOCKED, pays the budget, creates their vouchers and records their outcomes before it commits, so
a killed worker rolls its chunk back whole; a voucher's recipient column is unique, so not even a bug
could give anyone two. Lost messages are re-sent by a periodic sweeper.
"""

import json
from dataclasses import dataclass

from django.db import connection, transaction

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import uuid7
from points.selectors import programme_get
from points.services import programme_for_spending
from vouchers.commands import MAX_RECIPIENTS, CampaignCreate
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import Campaign, Product
from vouchers.services.jobs import CAMPAIGN_JOBS, enqueue_on_commit
from vouchers.services.orders import offered
from vouchers.services.trail import record_created


@dataclass(frozen=True)
class CampaignCreated:
    campaign: Campaign
    replayed: bool

    @property
    def http_status(self) -> int:
        return 200 if self.replayed else 202


def campaign_create(*, actor: Actor, command: CampaignCreate) -> CampaignCreated:
    """Check, store the campaign and its recipients, queue it. The budget must cover every recipient
    now; it is drawn chunk by chunk, exactly for the vouchers issued."""
    clean = command.model_dump()
    digest = command.fingerprint()
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
        values = {
            **{name: clean[name] for name in ("campaign_id", "name", "product_id", "denomination", "expires_at")},
            "programme": programme.code,
            "recipient_filter": clean["filter"],
            "status": Campaign.Status.QUEUED,
            "total": len(employee_pks),  # the recipients are counted, never listed
        }
        record_created(actor, "campaign.created", campaign_uuid, values)
        enqueue_on_commit(campaign_uuid, copies=CAMPAIGN_JOBS.parallel_messages)
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
            "SELECT e.id FROM users_employee e LEFT JOIN users_businessunit bu ON bu.id = e.business_unit_id"  # noqa: S608 (conditions chosen from a fixed dict; values are parameters)
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
