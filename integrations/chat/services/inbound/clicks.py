"""Approve and Reject on points_request.pending_approval messages (POST /integrations/slack/interactions/).

A click counts when the clicking person, the organisation's active employee with that Slack id, may decide
under one of the channels the message came from: listed in its `approvers` or, when it lists none, the
recipient's manager; never the recipient. The decision is the points services' own (the same as REST's, with
its row lock: parallel clicks credit once). The outcome replaces the message; a refusal is an ephemeral
note to the clicker alone. Both go to the click's response_url, after the decision commits.

Which channels: the one whose notification is this very message (message_ref), else those posting to the
Slack channel clicked in (slack_channel_id), else every verified channel announcing pending approvals (a
slack_webhook channel knows no Slack channel id): the click counts if any of them allows it."""

import json
import logging
import re
from dataclasses import dataclass

from django.db import transaction

from integrations import outbound
from integrations.chat.messages.slack import APPROVE, REJECT, escape
from integrations.chat.models import Channel, Notification
from integrations.chat.services.inbound.routing import (
    SlackSigned,
    Workspace,
    actor_for,
    caller,
    refused,
    slack_workspace,
)
from integrations.chat.services.inbound.slash import NOT_LINKED, slack_form
from plum.core.errors import DomainError
from points import services as points_services
from points.commands import PointsRequestDecisionCommand
from points.errors import PointsError, PointsErrorCode
from points.models import PointsRequest
from points.selectors import points_request_get
from users.models import Employee

logger = logging.getLogger(__name__)
PENDING_EVENT = "points_request.pending_approval"
# action_id -> (the points service REST calls too, the verb, its past)
DECISIONS = {
    APPROVE: (points_services.points_request_approve, "approve", "approved"),
    REJECT: (points_services.points_request_reject, "reject", "rejected"),
}
DONE = {"credited": "approved", "rejected": "rejected", "reversed": "approved (and since reversed)"}
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


@dataclass(frozen=True)
class Click:
    user_id: str
    action_id: str
    request_id: str
    response_url: str
    channel_id: str
    message_ts: str


def slack_interaction(*, request: SlackSigned) -> None:
    """Decide a verified click; InboundError (401) when the signature does not hold. Other interactions
    (another action, a shortcut) are acknowledged and change nothing."""
    payload = _payload(request)  # read before the signature only to find the workspace, as Slack routes
    team_id = _text(payload.get("team"), "id") or _text(payload.get("user"), "team_id")
    workspace = slack_workspace(request, team_id)
    click = _click(payload)
    if click is None:
        return
    reply = _decide(workspace, click)
    transaction.on_commit(lambda: _respond(click.response_url, reply))


def _payload(request: SlackSigned) -> dict:
    try:
        payload = json.loads(slack_form(request).get("payload", ""))
    except ValueError:
        raise refused() from None  # no workspace to verify it with
    if not isinstance(payload, dict):
        raise refused()
    return payload


def _text(holder, key: str) -> str:
    value = holder.get(key) if isinstance(holder, dict) else None
    return value if isinstance(value, str) else ""


def _click(payload: dict) -> Click | None:
    actions = payload.get("actions")
    if payload.get("type") != "block_actions" or not isinstance(actions, list):
        return None
    action = next((a for a in actions if isinstance(a, dict) and a.get("action_id") in DECISIONS), None)
    if action is None:
        return None
    container = payload.get("container")
    return Click(
        user_id=_text(payload.get("user"), "id"),
        action_id=action["action_id"],
        request_id=_text(action, "value"),
        response_url=_text(payload, "response_url"),
        channel_id=_text(payload.get("channel"), "id") or _text(container, "channel_id"),
        message_ts=_text(container, "message_ts") or _text(payload.get("message"), "ts"),
    )


def _decide(workspace: Workspace, click: Click) -> dict:
    """The decision through the points services, or why not; answers the message for response_url."""
    clicker = caller(workspace.organisation_id, slack_user_id=click.user_id)
    if clicker is None:
        return _ephemeral(NOT_LINKED)
    decide, verb, done = DECISIONS[click.action_id]
    actor = actor_for(workspace.organisation_id, f"slack:{click.user_id} (employee {clicker.employee_id})")
    try:
        request = points_request_get(actor=actor, request_uuid=click.request_id)
    except PointsError:
        return _ephemeral("This points request is not in Plum any more.")
    if request.employee_id == clicker.pk:
        return _ephemeral(f"You cannot {verb} your own points request.")
    if not any(_may_decide(channel, clicker, request) for channel in _deciding_channels(workspace, click)):
        return _ephemeral(
            f"You may not {verb} this request: only the channel's approvers may (or, when it lists none, "
            "the recipient's manager)."
        )
    try:
        decided = decide(actor=actor, request_uuid=request.pk, command=PointsRequestDecisionCommand.parse({}))
    except DomainError as exc:  # the points services' refusals: not pending, inactive, budget exhausted…
        if exc.code != PointsErrorCode.REQUEST_NOT_PENDING:
            return _ephemeral(f"Plum could not {verb} this request: {escape(exc.message)}")
        status = points_request_get(actor=actor, request_uuid=request.pk).status
        return _ephemeral(f"This request was already {DONE.get(status, status)}.")
    return _outcome(decided, done, click.user_id)


def _deciding_channels(workspace: Workspace, click: Click) -> list[Channel]:
    verified = {channel.pk: channel for channel in workspace.channels}
    if click.channel_id and click.message_ts:
        posted_from = Notification.objects.filter(
            channel_id__in=list(verified),
            message_ref__channel=click.channel_id,
            message_ref__ts=click.message_ts,
        ).values_list("channel_id", flat=True)
        if found := [verified[pk] for pk in set(posted_from)]:
            return found
    if same := [c for c in verified.values() if click.channel_id and c.slack_channel_id == click.channel_id]:
        return same
    return [c for c in verified.values() if PENDING_EVENT in c.events] or list(verified.values())


def _may_decide(channel: Channel, clicker: Employee, request: PointsRequest) -> bool:
    if channel.approvers:
        return clicker.employee_id in channel.approvers
    return request.employee.manager_id == clicker.pk


def _outcome(request: PointsRequest, done: str, user_id: str) -> dict:
    who = f"<@{user_id}>" if USER_ID.match(user_id) else "Slack"
    employee = request.employee
    text = (
        f"{request.points} points for {escape(f'{employee.first_name} {employee.last_name}'.strip())} "
        f"in {escape(request.programme.name)} were *{done}* by {who}."
    )
    if request.reason:
        text += f"\nReason: {escape(request.reason)}"
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return {"replace_original": True, "text": text, "blocks": [block]}


def _ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def _respond(response_url: str, message: dict) -> None:
    """Best effort: the decision stands whatever Slack answers (a response_url lives 30 minutes)."""
    if not response_url:
        return
    try:
        answer = outbound.post(
            response_url, content=json.dumps(message).encode(), headers={"Content-Type": "application/json"}
        )
    except (outbound.OutboundRefused, outbound.OutboundFailed) as exc:
        logger.warning("Slack response_url refused or failed: %s", exc)
        return
    if not answer.ok:
        logger.warning("Slack response_url answered %s: %s", answer.status_code, answer.text[:200])
