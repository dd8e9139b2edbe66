"""Hook endpoints: created with a secret shown once, rotated with 24 hours' grace, deactivated (never
deleted: their receipts and events stay); and a signed delivery to /hooks/<endpoint_key>/ turned into an
event through event_receive.

A delivery is checked in this order, and nothing is written before the last step: the endpoint (404),
the Standard Webhooks signature with the standardwebhooks library (401), a webhook-id already received
(replayed, 200), the body as JSON (400), the mapping (422); then the event and the receipt of its
webhook-id are written in one transaction.
"""

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from integrations.events.commands.events import EventCommand
from integrations.events.commands.hooks import (
    HookDelivery,
    HookEndpointCreate,
    HookEndpointRef,
    HookEndpointUpdate,
    HooksError,
    HooksErrorCode,
)
from integrations.events.mapping import MappingFailed, read_event
from integrations.events.models import HookEndpoint, HookReceipt
from integrations.events.services.events import Received, event_receive
from integrations.trail import record, record_changed, record_created, values_of
from plum.core.actor import Actor
from plum.core.errors import ValidationFailed
from plum.core.keys import ROTATED_FIELDS, new_webhook_secret, rotate_secret, seal, secrets_in_force
from plum.core.text import storable_text

ENDPOINT_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
WEBHOOK_ID_MAX_LENGTH = HookReceipt._meta.get_field("webhook_id").max_length
AUDITED = ("name", "mapping", "active")  # never the secret, nor the address's key


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: HookEndpoint
    secret: str | None  # None when a repeated Idempotency-Key answers the endpoint it made


def _now() -> datetime:
    return timezone.now()  # one place for tests to move the clock of the rotation grace


def hook_endpoint_create(*, actor: Actor, command: HookEndpointCreate) -> EndpointWithSecret:
    """An endpoint at a random, unguessable address, with its secret (answered once, stored sealed)."""
    secret = new_webhook_secret()
    with transaction.atomic():
        endpoint = HookEndpoint.objects.create(
            organisation_id=actor.organisation_id,
            name=command.name,
            mapping=command.mapping,
            active=command.active,
            endpoint_key=secrets.token_urlsafe(24),
            secret_sealed=seal(secret, actor.organisation_id),
        )
        record_created(actor, "hook_endpoint.created", endpoint.pk, values_of(endpoint, AUDITED))
    return EndpointWithSecret(endpoint, secret)


def _locked(actor: Actor, endpoint_id) -> HookEndpoint:
    endpoint = (
        HookEndpoint.objects.select_for_update().filter(organisation_id=actor.organisation_id, id=endpoint_id).first()
    )
    if endpoint is None:
        raise HooksError(HooksErrorCode.HOOK_ENDPOINT_NOT_FOUND, "No such hook endpoint.")
    return endpoint


def hook_endpoint_update(*, actor: Actor, command: HookEndpointUpdate) -> HookEndpoint:
    with transaction.atomic():
        endpoint = _locked(actor, command.endpoint_id)
        before = values_of(endpoint, AUDITED)
        changes = command.changes()
        for name, value in changes.items():
            setattr(endpoint, name, value)
        if changes:
            endpoint.save(update_fields=[*changes, "updated_at"])
        record_changed(actor, "hook_endpoint.updated", endpoint.pk, before, values_of(endpoint, AUDITED))
    return endpoint


def hook_endpoint_deactivate(*, actor: Actor, command: HookEndpointRef) -> HookEndpoint:
    """DELETE: the endpoint stops answering (404) but stays, with its receipts and the events they made."""
    with transaction.atomic():
        endpoint = _locked(actor, command.endpoint_id)
        if endpoint.active:
            endpoint.active = False
            endpoint.save(update_fields=["active", "updated_at"])
            record(actor, "hook_endpoint.deactivated", endpoint.pk, {"active": [True, False]})
    return endpoint


def hook_endpoint_rotate_secret(*, actor: Actor, command: HookEndpointRef) -> EndpointWithSecret:
    """A new secret, answered once; the current one keeps verifying for 24 hours (an earlier previous
    secret, if still in its grace, stops at once: there is one previous secret)."""
    with transaction.atomic():
        endpoint = _locked(actor, command.endpoint_id)
        secret = rotate_secret(endpoint, _now())
        endpoint.save(update_fields=[*ROTATED_FIELDS, "updated_at"])
        record(actor, "hook_endpoint.secret_rotated", endpoint.pk)  # that it was rotated, never a secret
    return EndpointWithSecret(endpoint, secret)


def hook_receive(*, delivery: HookDelivery) -> Received:
    """The event a signed delivery makes, as POST /events/ answers it (201 new, 200 replay)."""
    endpoint = _active_endpoint(delivery.endpoint_key)
    signed_at = _verified(endpoint, delivery)
    webhook_id = delivery.webhook_id
    if len(webhook_id) > WEBHOOK_ID_MAX_LENGTH or not storable_text(webhook_id):
        raise HooksError(HooksErrorCode.MALFORMED_REQUEST, f"webhook-id is 1 to {WEBHOOK_ID_MAX_LENGTH} characters.")
    if (first := _receipt(endpoint, webhook_id)) is not None:
        return Received(event=first.event, replayed=True)
    command = _event_command(endpoint, _document(delivery.body), signed_at)
    actor = Actor.system(endpoint.organisation_id, label=f"hook:{endpoint.id}")
    try:
        with transaction.atomic():
            received = event_receive(actor=actor, command=command, source=f"hook:{endpoint.id}")
            HookReceipt.objects.create(
                endpoint=endpoint, webhook_id=webhook_id, event=received.event, received_at=timezone.now()
            )
    except IntegrityError as exc:
        if "hook_receipt_once" not in str(exc):
            raise
        # The same webhook-id, sent again in parallel, was received first: its answer is replayed.
        return Received(event=_receipt(endpoint, webhook_id).event, replayed=True)
    return received


def _active_endpoint(endpoint_key: str) -> HookEndpoint:
    endpoint = None
    if ENDPOINT_KEY_PATTERN.fullmatch(endpoint_key):
        endpoint = HookEndpoint.objects.filter(
            endpoint_key=endpoint_key, active=True, organisation__is_active=True
        ).first()
    if endpoint is None:
        raise HooksError(HooksErrorCode.HOOK_ENDPOINT_NOT_FOUND, "No active hook endpoint at this address.")
    return endpoint


def _verified(endpoint: HookEndpoint, delivery: HookDelivery) -> datetime:
    """When the sender signed the delivery, once its signature holds under the current secret or, within
    the grace after a rotation, the previous one; else invalid_signature."""
    reason = None
    for secret in secrets_in_force(endpoint, _now()):
        try:
            Webhook(secret).verify(delivery.body, delivery.headers(), json_parse=False)
        except WebhookVerificationError as exc:
            reason = reason or f"{exc}."
        except ValueError:  # junk in the headers (binascii.Error, a signature without its version) or body
            reason = reason or "The webhook-signature header or the body is malformed."
        else:
            return datetime.fromtimestamp(float(delivery.webhook_timestamp), tz=UTC)
    raise HooksError(HooksErrorCode.INVALID_SIGNATURE, f"The Standard Webhooks signature does not hold: {reason}")


def _receipt(endpoint: HookEndpoint, webhook_id: str) -> HookReceipt | None:
    return HookReceipt.objects.filter(endpoint=endpoint, webhook_id=webhook_id).select_related("event").first()


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _document(body: bytes):
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise HooksError(HooksErrorCode.MALFORMED_REQUEST, "The body is not a JSON document.") from None


def _event_command(endpoint: HookEndpoint, document, signed_at: datetime) -> EventCommand:
    mapping = endpoint.mapping
    try:
        fields = read_event(mapping, document, signed_at=signed_at)
    except MappingFailed as failed:
        message = (
            f"The body has nothing the mapping can use at {failed.pointer or '(the whole body)'}: {failed.reason}."
        )
        raise HooksError(HooksErrorCode.MAPPING_FAILED, message, field=f"mapping.{failed.field}") from None
    try:
        return EventCommand.parse(fields)
    except ValidationFailed as exc:
        errors = [
            {**error, "field": f"mapping.{error['field']}", "message": _at(mapping, error) + error["message"]}
            for error in exc.errors
        ]
        raise HooksError(
            HooksErrorCode.MAPPING_FAILED, "What the mapping read is not a valid event.", errors=errors
        ) from None


def _at(mapping: dict, error: dict) -> str:
    pointer = mapping.get((error.get("field") or "").split(".")[0])
    return f"{pointer}: " if isinstance(pointer, str) else ""
