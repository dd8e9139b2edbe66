"""Sending notifications: the dispatcher's claim, one send, the outcome, and "send test message".

The schedule lives in the database (Notification.next_attempt_at) and follows the outbound webhooks' rules
(integrations.webhooks.services.deliveries: the same lease claim, the same retry delays), with one
difference that matters for people reading a channel: AT MOST ONE message per event and channel.

- A send first marks the notification `sending` (attempts + 1, due to end by now + LEASE) and COMMITS, then
  calls the vendor with no transaction open, then records the outcome. A second worker with the same
  message finds it `sending` (or locked) and does nothing.
- A notification still `sending` after its lease means a worker died mid-call: Slack or Teams may have
  posted it or not. It is never re-sent blindly: the dispatcher marks it dead with "interrupted mid-send; not
  re-sent to avoid a duplicate". Never twice, at the price of maybe-lost in that rare case; staff see it.
- A Slack user id found with users.lookupByEmail is remembered on the employee (users' employee_update).
"""

import uuid
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.chat.commands import ChannelTest
from integrations.chat.errors import ChatError, ChatErrorCode
from integrations.chat.messages import Person, message_for
from integrations.chat.messages.slack import slack_payload
from integrations.chat.messages.teams import adaptive_card, message_card
from integrations.chat.messages.templates import TEST_EVENT
from integrations.chat.models import Channel, Notification
from integrations.chat.selectors import channel_get
from integrations.chat.services import senders
from integrations.chat.services.senders import DISABLE, RETRY, SENT, SKIPPED, Sent
from integrations.trail import record
from integrations.webhooks.services.deliveries import LEASE, Send, dispatch_due, retry_at
from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, DomainError, ValidationFailed, field_error
from plum.core.keys import unseal
from users import services as users
from users.commands import EmployeeUpdate
from users.models import Employee
from users.selectors import employee_get

INTERRUPTED = "interrupted mid-send; not re-sent to avoid a duplicate"
State = Notification.State
DUE = (State.PENDING, State.FAILED)

DISPATCH_SQL = """
WITH due AS MATERIALIZED (
    SELECT n.id FROM integrations_chat_notification AS n
    JOIN integrations_chat_channel AS c ON c.id = n.channel_id
    WHERE n.state IN ('pending', 'failed') AND n.next_attempt_at <= %(now)s AND c.active
    ORDER BY n.next_attempt_at, n.created_at LIMIT %(size)s FOR UPDATE OF n SKIP LOCKED
)
UPDATE integrations_chat_notification AS n SET next_attempt_at = %(lease)s FROM due WHERE n.id = due.id
RETURNING n.id, n.channel_id
"""


def notifications_dispatch(*, send: Send, size: int = 1000, max_rows: int = 20_000, lease: timedelta = LEASE) -> int:
    """Bury what a dead worker left `sending`, then claim due notifications of active channels and hand each
    channel's share to `send` after the commit. Answers how many were claimed."""
    notifications_bury_interrupted()
    return dispatch_due(DISPATCH_SQL, send=send, size=size, max_rows=max_rows, lease=lease)


def notifications_bury_interrupted() -> int:
    now = timezone.now()
    return Notification.objects.filter(state=State.SENDING, next_attempt_at__lte=now).update(
        state=State.DEAD, last_error=INTERRUPTED, next_attempt_at=None
    )


def notifications_send(notification_ids: list, token: datetime) -> dict[str, str]:
    """Send each notification claimed with `token`, one after the other: {id: new state} for those sent."""
    done = {}
    for pk in notification_ids:
        state = notification_send(pk, token)
        if state is not None:
            done[str(pk)] = state
    return done


def notification_send(notification_id, token: datetime) -> str | None:
    """One send of a notification claimed with `token`: its new state, or None when there was nothing to do
    (sent already, rescheduled since, taken by another worker, or its channel disabled meanwhile)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("channel")
            .filter(pk=notification_id, state__in=DUE, next_attempt_at=token)
            .first()
        )
        if notification is None or not notification.channel.active:
            return None
        now = timezone.now()
        notification.state, notification.attempts = State.SENDING, notification.attempts + 1
        notification.next_attempt_at = now + LEASE
        notification.save(update_fields=["state", "attempts", "next_attempt_at"])
    # committed: from here on a crash leaves it `sending`, which is never sent again
    outcome = _deliver(notification)
    return _record(notification, outcome)


def _deliver(notification: Notification) -> Sent:
    channel, data = notification.channel, notification.data
    person = _person(notification.organisation_id, data.get("employee_id"))
    message = message_for(notification.event_type, data, templates=channel.templates, person=person)
    if channel.kind == Channel.Kind.SLACK_WEBHOOK:
        return senders.slack_webhook_post(_secret(channel, "webhook_url_sealed"), slack_payload(message))
    if channel.kind == Channel.Kind.TEAMS_WORKFLOW:
        return _teams(channel, message)
    token = _secret(channel, "bot_token_sealed")
    if channel.target == Channel.Target.CHANNEL:
        return senders.slack_post_message(token, channel.slack_channel_id, slack_payload(message), channel_target=True)
    recipient = _recipient(notification, channel, person)
    if recipient is None:
        return Sent(SKIPPED, error="The event names no employee to write to")
    user_id, failed = _slack_user_id(notification.organisation_id, token, recipient)
    if failed is not None:
        return failed
    return senders.slack_post_message(token, user_id, slack_payload(message), channel_target=False)


def _teams(channel: Channel, message) -> Sent:
    url = _secret(channel, "webhook_url_sealed")
    if channel.teams_message_card:
        return senders.teams_post(url, message_card(message))
    sent = senders.teams_post(url, adaptive_card(message))
    if not sent.card_refused:
        return sent
    # refused for sure (a 400): nothing was posted, so the MessageCard cannot be a duplicate
    return replace(senders.teams_post(url, message_card(message)), card_refused=True)


def _recipient(notification: Notification, channel: Channel, person: Person | None) -> Employee | None:
    """Who a direct message goes to: the employee the event is about; for a request waiting for approval, the
    first listed approver, else the employee's manager (the recipient never approves their own)."""
    organisation_id, data = notification.organisation_id, notification.data
    employees = Employee.objects.filter(organisation_id=organisation_id)
    if notification.event_type == "points_request.pending_approval":
        approvers = [a for a in channel.approvers if a != data.get("employee_id")]
        if approvers:
            return employees.filter(employee_id=approvers[0]).first()
        return employees.filter(reports__employee_id=data.get("employee_id")).first()
    return None if person is None else employees.filter(employee_id=person.employee_id).first()


def _slack_user_id(organisation_id, token: str, employee: Employee) -> tuple[str | None, Sent | None]:
    if employee.slack_user_id:
        return employee.slack_user_id, None
    user_id, failed = senders.slack_user_by_email(token, employee.email)
    if user_id is not None:  # remembered, through the one service that writes employees
        actor = Actor.system(organisation_id, "chat:slack-lookup")
        command = EmployeeUpdate.of(employee.employee_id, {"slack_user_id": user_id})
        with suppress(DomainError):  # remembering saves a lookup next time; the message goes out all the same
            users.employee_update(actor=actor, command=command)
    return user_id, failed


def _person(organisation_id, employee_id) -> Person | None:
    if not employee_id:
        return None
    row = (
        Employee.objects.filter(organisation_id=organisation_id, employee_id=employee_id)
        .values_list("first_name", "last_name", "slack_user_id")
        .first()
    )
    if row is None:
        return Person(employee_id=str(employee_id), full_name=str(employee_id))
    return Person(employee_id=str(employee_id), full_name=f"{row[0]} {row[1]}".strip(), slack_user_id=row[2])


def _secret(channel: Channel, column: str) -> str:
    return unseal(getattr(channel, column), channel.organisation_id)


def _record(notification: Notification, outcome: Sent) -> str:
    now = timezone.now()
    n = notification
    n.last_status_code, n.last_error, n.next_attempt_at = outcome.status_code, outcome.error[:500], None
    if outcome.result == SENT:
        n.state, n.sent_at, n.message_ref = State.SENT, now, outcome.message_ref
    elif outcome.result == SKIPPED:
        n.state = State.SKIPPED
    elif outcome.result == RETRY:
        n.next_attempt_at = retry_at(n.attempts, now)
        if n.next_attempt_at is not None and outcome.retry_after:
            n.next_attempt_at = max(n.next_attempt_at, now + timedelta(seconds=outcome.retry_after))
        n.state = State.DEAD if n.next_attempt_at is None else State.FAILED
    else:
        n.state = State.DEAD
    with transaction.atomic():
        fields = ["state", "last_status_code", "last_error", "next_attempt_at", "sent_at", "message_ref"]
        Notification.objects.filter(pk=n.pk, state=State.SENDING).update(**{f: getattr(n, f) for f in fields})
        channels = Channel.objects.filter(pk=n.channel_id)
        if outcome.result == DISABLE:
            reason = outcome.error[:300]
            channels.filter(active=True).update(active=False, disabled_reason=reason, updated_at=now)
        if outcome.card_refused:
            channels.filter(teams_message_card=False).update(teams_message_card=True, updated_at=now)
    return n.state


def channel_send_test(*, actor: Actor, command: ChannelTest) -> Notification:
    """A test message to this one channel (whatever its events), sent by this process right after the commit
    through the same send as every notification, so the answer tells how it went. A channel that writes to
    employees writes the test to the employee named (employee_id). Claimed with a lease: if this process
    dies before sending, the dispatcher sends it; if it dies mid-send, it is not re-sent (as any other)."""
    with transaction.atomic():
        channel = channel_get(actor=actor, channel_id=command.channel_id)
        if not channel.active:
            reason = f" ({channel.disabled_reason})" if channel.disabled_reason else ""
            raise ChatError(ChatErrorCode.CHANNEL_INACTIVE, f"This channel is disabled{reason}: enable it first.")
        data = {"channel": str(channel.pk)}
        if channel.target == Channel.Target.EMPLOYEE:
            if not command.employee_id:
                message = "A channel that writes to employees needs the employee to send the test to."
                raise ValidationFailed([field_error("employee_id", CoreErrorCode.REQUIRED, message)])
            data["employee_id"] = employee_get(actor=actor, employee_id=command.employee_id).employee_id
        now = timezone.now()
        notification = Notification.objects.create(
            organisation_id=channel.organisation_id,
            channel=channel,
            event_id=uuid.uuid4(),
            event_type=TEST_EVENT,
            data=data,
            next_attempt_at=now + LEASE,
            created_at=now,
        )
        token = notification.next_attempt_at
        record(actor, "notification_channel.tested", channel.pk, {"notification": [None, str(notification.pk)]})
    notification_send(notification.pk, token)
    return Notification.objects.get(pk=notification.pk)
