"""Every REST route of /api/v1/ found by walking the URLconf, and one organisation holding an object for
each detail route, so that a route added later is covered by the strict-parameter tests without listing it."""

from dataclasses import dataclass
from functools import partial

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from integrations.webhooks.models import Subscription
from integrations.webhooks.tests.test_deliveries_support import make_delivery
from plum.api.views import PlumViewSet
from points.tests.batches_support import credits, make_org
from points.tests.factories import submit
from vouchers.tests.factories import make_catalogue, order


@dataclass(frozen=True)
class Route:
    name: str  # the URL name, e.g. "employee-list"
    method: str
    action: str
    basename: str
    lookups: tuple[str, ...]  # the path's keyword arguments, e.g. ("pk",); none for a collection

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.name}"

    def url(self, ids: dict) -> str:
        value = ids[self.basename] if self.lookups else None  # one id, or the kwargs of a nested route
        if isinstance(value, dict):
            kwargs = {name: value[name] for name in self.lookups}
        else:
            kwargs = {self.lookups[0]: value} if self.lookups else {}
        path = reverse(self.name, kwargs=kwargs)
        if path.rsplit("/", 1)[-1].endswith(".csv"):  # a file name ends the URL (the reports)
            return path + REQUIRED_QUERY.get(self.name, "")
        return path if path.endswith("/") else path + "/"


def _patterns(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern


def rest_routes(method: str | None = None) -> list[Route]:
    routes = []
    for pattern in _patterns(get_resolver().url_patterns):
        callback = pattern.callback
        if not issubclass(getattr(callback, "cls", object), PlumViewSet):
            continue
        lookups = tuple(pattern.pattern.regex.groupindex)
        for verb, action in callback.actions.items():
            if method is None or verb == method:
                basename = callback.initkwargs["basename"]
                routes.append(Route(pattern.name, verb, action, basename, lookups))
    return sorted(routes, key=lambda r: r.label)


RULES, EVENTS = "/api/v1/integrations/rules/", "/api/v1/events/"
HOOK_ENDPOINTS, WEBHOOKS = "/api/v1/integrations/hook-endpoints/", "/api/v1/webhooks/"
HRMS = "/api/v1/integrations/hrms/"
CHAT = "/api/v1/integrations/notifications/"
WHEN = "2026-12-07T09:30:00Z"
UPLOAD_CSV = b"employee_id,points,reason,request_id,programme\nE00000,1,,u-1,KUDOS\n"
# Routes that answer 400 without a parameter: what the world's call gives them (a test's own query replaces it).
REQUIRED_QUERY = {"report-budget": "?programme=KUDOS"}


def make_world(tenant) -> dict:
    """An employee, points request, batch, upload, order, voucher and campaign: id by router basename."""
    org = make_org(tenant, employees=2)
    employee = org.employees[0]
    points_request = submit(tenant, request_id="R-1", employee_id=employee, points=1, programme="KUDOS")
    batch = org.batch("B-1", credits(org, 2))
    catalogue = make_catalogue(tenant, stock_codes=1)
    placed = order(tenant, product=catalogue.stock, funding="programme", programme="KUDOS", employee_id=employee)
    api = tenant.api()
    upload = api.post("/api/v1/points/uploads/", {"file": SimpleUploadedFile("u.csv", UPLOAD_CSV, "text/csv")})
    campaign = api.post(
        "/api/v1/vouchers/campaigns/",
        {
            "campaign_id": "C-1",
            "name": "Thanks",
            "product_id": str(catalogue.generated.pk),
            "denomination": 10,
            "programme": "KUDOS",
            "recipients": [employee],
        },
        format="json",
    )
    assert (upload.status_code, campaign.status_code) == (201, 202), (upload.content, campaign.content)
    post = partial(api.post, format="json")
    rule = post(RULES, {"name": "Strict", "event_type": "strict.done", "points": 1, "programme": "KUDOS"})
    event = post(EVENTS, {"event_id": "EV-1", "type": "strict.done", "employee_id": employee, "occurred_at": WHEN})
    endpoint = post(
        HOOK_ENDPOINTS, {"name": "Strict", "mapping": {"event_id": "/id", "type": "=t", "employee_id": "/e"}}
    )
    webhook = post(WEBHOOKS, {"url": "https://93.184.215.14/h", "events": ["voucher.issued"]})
    made = (rule, event, endpoint, webhook)
    assert [r.status_code for r in made] == [201] * 4, [r.content for r in made]
    delivery = make_delivery(Subscription.objects.get(pk=webhook.json()["id"]), "failed")
    connection = post(
        HRMS,
        {
            "provider": "successfactors",
            "base_url": "https://93.184.215.14/",
            "settings": {"company_id": "X"},
            "credentials": {"username": "u", "password": "p"},
        },
    )
    run = api.post(f"{HRMS}{connection.json()['id']}/sync/")  # 202; stays queued (its message is sent on commit)
    assert (connection.status_code, run.status_code) == (201, 202), (connection.content, run.content)
    channel = post(
        CHAT, {"kind": "slack_webhook", "events": ["voucher.issued"], "webhook_url": "https://93.184.215.14/s/x"}
    )
    assert channel.status_code == 201, channel.content
    return {
        "employee": employee,
        "wallet": employee,
        "points-request": str(points_request.pk),
        "points-batch": str(batch.pk),
        "points-upload": upload.json()["id"],
        "voucher-order": str(placed.order.pk),
        "voucher": str(placed.vouchers[0].pk),
        "voucher-campaign": campaign.json()["id"],
        "rule": rule.json()["id"],
        "event": "EV-1",
        "hook-endpoint": endpoint.json()["id"],
        "webhook": webhook.json()["id"],
        "webhook-delivery": {"subscription_id": webhook.json()["id"], "pk": str(delivery.pk)},
        "hrms-connection": connection.json()["id"],
        "hrms-run": {"connection_id": connection.json()["id"], "pk": run.json()["id"]},
        "chat-channel": channel.json()["id"],
    }
