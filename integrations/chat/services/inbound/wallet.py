"""The caller's own wallet as Slack and Teams show it: the balance exactly as GET /api/v1/wallets/{id}/
answers it, what expires within EXPIRING_WITHIN, and the last ledger lines, newest first. Figures and
dates only; the one value a client wrote (a line's reference) is escaped."""

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from integrations.chat.messages.slack import escape as slack_escape
from plum.core.actor import Actor
from points.selectors import EXPIRING_WITHIN, wallet_get, wallet_line_document, wallet_lines
from users.models import Employee

HISTORY_LINES = 5
EXPIRING_SHOWN = 5


def _expiring_lines(wallet: dict) -> list[str]:
    """What expires soon, summed per day (UTC), soonest first."""
    by_day: dict[str, int] = {}
    for entry in wallet["expiring"]:
        day = entry["expires_at"][:10]
        by_day[day] = by_day.get(day, 0) + entry["points"]
    days = list(by_day.items())
    lines = [f"{points} points expire on {day}" for day, points in days[:EXPIRING_SHOWN]]
    if len(days) > EXPIRING_SHOWN:
        lines.append(f"and {sum(points for _, points in days[EXPIRING_SHOWN:])} more points later")
    return lines or [f"Nothing expires in the next {EXPIRING_WITHIN.days} days."]


def balance_slack(actor: Actor, employee: Employee) -> dict:
    wallet = wallet_get(actor=actor, employee_id=employee.employee_id)
    text = f"*Your Plum balance: {wallet['balance']} points*\n" + "\n".join(f"• {e}" for e in _expiring_lines(wallet))
    return slack_answer(text)


def balance_teams(actor: Actor, employee: Employee) -> str:
    wallet = wallet_get(actor=actor, employee_id=employee.employee_id)
    return f"Your Plum balance: {wallet['balance']} points\n\n" + "\n\n".join(_expiring_lines(wallet))


def history_slack(actor: Actor, employee: Employee) -> dict:
    """The last HISTORY_LINES ledger lines, as GET …/transactions/ lists them (newest first)."""
    lines = wallet_lines(actor=actor, employee_id=employee.employee_id).order_by("-created_at", "-id")
    documents = [wallet_line_document(entry) for entry in lines[:HISTORY_LINES]]
    if not documents:
        return slack_answer("*Your Plum history*\nNo points have moved yet.")
    shown = [
        f"• {d['created_at'][:10]} {d['points']:+d} points, {d['kind']}, ref {slack_escape(d['reference'])}, "
        f"balance {d['balance_after']}"
        for d in documents
    ]
    return slack_answer(f"*Your last {len(documents)} Plum ledger lines, newest first*\n" + "\n".join(shown))


def slack_answer(text: str) -> dict:
    """A slash command's answer: ephemeral (only the caller sees it), `text` and the same as a block."""
    blocks = [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}
