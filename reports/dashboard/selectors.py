"""The dashboard's own reads, beside the reports' selectors: the reward rules and the sources that credited
the most points in a period, and the programmes a burn-down is drawn for. Scoped to one organisation, read
from `reporting_database()` (the replica when there is one).

Days are the organisation's: a credit belongs to the period when its `credited_at`, in the organisation's
time zone, falls between the two dates (both inclusive), as in the reports. Reversed credits still count
(the reports' `awarded` is gross too); pending and rejected requests count nowhere."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum

from integrations.events.models import Reward
from plum.core.replica import reporting_database
from points.models import PointsBatch, PointsRequest, Programme
from users.models import Organisation

CREDITED = (PointsRequest.Status.CREDITED, PointsRequest.Status.REVERSED)
NO_SOURCE = "(no source given)"
CHANNELS = {None: "single requests", PointsBatch.Source.API: "batches", PointsBatch.Source.UPLOAD: "file uploads"}


@dataclass(frozen=True)
class Ranked:
    """One rule or source: its name, the points it credited and in how many requests."""

    name: str
    points: int
    requests: int


def period_bounds(organisation: Organisation, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The instants the organisation's local days `date_from`..`date_to` (inclusive) start and end at."""
    zone = ZoneInfo(getattr(organisation, "time_zone", "") or "UTC")
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def _credited(organisation: Organisation, date_from: date, date_to: date):
    start, end = period_bounds(organisation, date_from, date_to)
    return PointsRequest.objects.using(reporting_database()).filter(
        organisation_id=organisation.id, status__in=CREDITED, credited_at__gte=start, credited_at__lt=end
    )


def top_rules(*, organisation: Organisation, date_from: date, date_to: date, limit: int = 10) -> list[Ranked]:
    """The reward rules whose rewards credited the most points in the period, most first (then by name)."""
    start, end = period_bounds(organisation, date_from, date_to)
    rows = (
        Reward.objects.using(reporting_database())
        .filter(
            rule__organisation_id=organisation.id,
            points_request__organisation_id=organisation.id,
            points_request__status__in=CREDITED,
            points_request__credited_at__gte=start,
            points_request__credited_at__lt=end,
        )
        .values("rule__name")
        .annotate(points=Sum("points_request__points"), requests=Count("id"))
        .order_by("-points", "rule__name")[:limit]
    )
    return [Ranked(row["rule__name"], row["points"], row["requests"]) for row in rows]


def top_sources(*, organisation: Organisation, date_from: date, date_to: date, limit: int = 10) -> list[Ranked]:
    """The `source` the sending systems gave their points requests, by points credited in the period."""
    rows = (
        _credited(organisation, date_from, date_to)
        .values("source")
        .annotate(points=Sum("points"), requests=Count("id"))
        .order_by("-points", "source")[:limit]
    )
    return [Ranked(row["source"] or NO_SOURCE, row["points"], row["requests"]) for row in rows]


def channels(*, organisation: Organisation, date_from: date, date_to: date) -> list[Ranked]:
    """How the credited points came in: one request at a time, in batches over the API, or in file uploads."""
    credited = _credited(organisation, date_from, date_to)
    batches = PointsBatch.objects.using(reporting_database()).filter(organisation_id=organisation.id)
    totals = {
        None: credited.filter(batch_id__isnull=True).aggregate(points=Sum("points"), requests=Count("id")),
    }
    for kind in (PointsBatch.Source.API, PointsBatch.Source.UPLOAD):
        ids = batches.filter(source=kind).values("id")
        totals[kind] = credited.filter(Q(batch_id__in=ids)).aggregate(points=Sum("points"), requests=Count("id"))
    ranked = [Ranked(CHANNELS[kind], row["points"] or 0, row["requests"]) for kind, row in totals.items()]
    return sorted((r for r in ranked if r.requests), key=lambda r: (-r.points, r.name))


def programme_codes(*, organisation: Organisation) -> list[str]:
    """The organisation's active programmes, by code: one burn-down each."""
    return list(
        Programme.objects.using(reporting_database())
        .filter(organisation_id=organisation.id, status=Programme.Status.ACTIVE)
        .order_by("code")
        .values_list("code", flat=True)
    )
