"""Who is calling. A Slack request is verified with the signing secrets of the active channels that name its
workspace (team_id), which belong to one organisation; a Teams request with its channel's outgoing secret. The
caller is that organisation's active employee with the Slack or Teams id the request names.

Nothing is read before the signature holds, and every refusal is the same 401 whatever failed (no such
workspace or channel, no secret, a bad, missing or stale signature), so a guess learns nothing."""

import base64
import binascii
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from slack_sdk.signature import SignatureVerifier

from integrations.chat.models import Channel
from plum.core.actor import Actor
from plum.core.errors import DomainError, ErrorCode
from plum.core.ids import parse_uuid
from plum.core.keys import unseal
from users.models import Employee

logger = logging.getLogger(__name__)
SLACK_KINDS = (Channel.Kind.SLACK_APP, Channel.Kind.SLACK_WEBHOOK)
MAX_SKEW_SECONDS = 5 * 60


class InboundErrorCode(ErrorCode):
    INVALID_SIGNATURE = "invalid_signature", 401


class InboundError(DomainError):
    pass


def refused() -> InboundError:
    return InboundError(InboundErrorCode.INVALID_SIGNATURE, "The request's signature does not hold.")


@dataclass(frozen=True)
class SlackSigned:
    """A request as Slack sent it: the raw body and the two headers of its v0 signature."""

    body: bytes
    timestamp: str | None
    signature: str | None

    def text(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise refused() from None  # Slack sends UTF-8: anything else was not signed by Slack


@dataclass(frozen=True)
class TeamsSigned:
    channel_id: str
    body: bytes
    authorization: str | None


@dataclass(frozen=True)
class Workspace:
    """The organisation a verified Slack request belongs to, and its channels whose secret verified it."""

    organisation_id: UUID
    team_id: str
    channels: tuple[Channel, ...]


def slack_workspace(request: SlackSigned, team_id: str) -> Workspace:
    timestamp, signature = request.timestamp or "", request.signature or ""
    if not (team_id and signature and timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise refused()
    if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise refused()
    body = request.text()
    candidates = Channel.objects.filter(
        team_id=team_id,
        kind__in=SLACK_KINDS,
        active=True,
        organisation__is_active=True,
        signing_secret_sealed__isnull=False,
    ).order_by("created_at", "pk")
    verified = [c for c in candidates if _slack_signature_holds(c, body, timestamp, signature)]
    organisations = {c.organisation_id for c in verified}
    if len(organisations) != 1:  # none; two would mean two tenants share a secret: never guess between them
        raise refused()
    return Workspace(organisation_id=organisations.pop(), team_id=team_id, channels=tuple(verified))


def _slack_signature_holds(channel: Channel, body: str, timestamp: str, signature: str) -> bool:
    secret = _unsealed(channel, channel.signing_secret_sealed)
    return bool(secret and secret.strip()) and SignatureVerifier(secret).is_valid(body, timestamp, signature)


def teams_channel(request: TeamsSigned) -> Channel:
    """The active teams_workflow channel the request's path names, once its HMAC holds."""
    pk = parse_uuid(request.channel_id)
    channel = (
        Channel.objects.filter(
            pk=pk,
            kind=Channel.Kind.TEAMS_WORKFLOW,
            active=True,
            organisation__is_active=True,
            outgoing_secret_sealed__isnull=False,
        ).first()
        if pk is not None
        else None
    )
    if channel is None or not _teams_hmac_holds(channel, request):
        raise refused()
    return channel


def _teams_hmac_holds(channel: Channel, request: TeamsSigned) -> bool:
    """`Authorization: HMAC <base64 HMAC-SHA256 of the body>`, keyed with the base64-decoded outgoing secret."""
    scheme, _, sent = (request.authorization or "").strip().partition(" ")
    secret = _unsealed(channel, channel.outgoing_secret_sealed)
    if scheme.upper() != "HMAC" or not secret:
        return False
    try:
        key, given = base64.b64decode(secret, validate=True), base64.b64decode(sent.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(key) and hmac.compare_digest(hmac.new(key, request.body, hashlib.sha256).digest(), given)


def _unsealed(channel: Channel, blob) -> str | None:
    try:
        return unseal(blob, channel.organisation_id) if blob else None
    except (InvalidTag, ValueError):  # sealed for another organisation, or under another key
        logger.warning("chat channel %s: a secret that does not open", channel.pk)
        return None


def caller(organisation_id: UUID, **identity: str) -> Employee | None:
    """The organisation's one active employee with this slack_user_id or teams_user_id; None for nobody (or
    for an id two employees share: a mix-up must not show one person another's wallet)."""
    ((field, value),) = identity.items()
    if not isinstance(value, str) or not value.strip():
        return None
    found = list(
        Employee.objects.filter(organisation_id=organisation_id, status=Employee.Status.ACTIVE, **{field: value})[:2]
    )
    return found[0] if len(found) == 1 else None


def actor_for(organisation_id: UUID, label: str) -> Actor:
    return Actor.system(organisation_id, label=label)
