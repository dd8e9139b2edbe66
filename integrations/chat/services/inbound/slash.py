"""`/plum balance` and `/plum history` (POST /integrations/slack/commands/): answered at once from the
database (no call out, well within Slack's 3 seconds), ephemeral, about the caller's own wallet only."""

from urllib.parse import parse_qsl

from integrations.chat.messages.slack import escape
from integrations.chat.services.inbound.routing import SlackSigned, actor_for, caller, slack_workspace
from integrations.chat.services.inbound.wallet import balance_slack, history_slack, slack_answer

NOT_LINKED = (
    "Your Slack account is not linked to Plum yet, so there is nothing to show. Ask your Plum administrator "
    "to add your Slack member ID to your employee record."
)
ANSWERS = {"balance": balance_slack, "history": history_slack}


def slack_form(request: SlackSigned) -> dict[str, str]:
    """The form Slack posts, first value of each field (a signed body is Slack's, but stays untrusted text)."""
    fields: dict[str, str] = {}
    for name, value in parse_qsl(request.text(), keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def slack_command(*, request: SlackSigned) -> dict:
    """The ephemeral answer to a verified slash command; InboundError (401) when the signature does not hold.
    Slack's certificate check (ssl_check=1) is answered {} without a signature, as Slack's Bolt does."""
    form = slack_form(request)
    if form.get("ssl_check") == "1":  # Slack checking the certificate, unsigned: acknowledged, nothing read
        return {}
    workspace = slack_workspace(request, form.get("team_id", ""))
    words = form.get("text", "").split()
    answer = ANSWERS.get(words[0].lower() if words else "")
    if answer is None:
        return slack_answer(_help(form.get("command") or "/plum", words[0] if words else ""))
    employee = caller(workspace.organisation_id, slack_user_id=form.get("user_id", ""))
    if employee is None:
        return slack_answer(NOT_LINKED)
    return answer(actor_for(workspace.organisation_id, f"slack:{form['user_id']}"), employee)


def _help(command: str, asked: str) -> str:
    command = escape(command)
    shown = escape(asked[:40].replace("`", "'"))
    unknown = f"Plum does not know `{shown}`.\n" if asked else ""
    return (
        f"{unknown}*Plum commands*\n"
        f"• `{command} balance`: your points, and what expires soon\n"
        f"• `{command} history`: your last 5 ledger lines, newest first"
    )
