"""What a notification says: the event's values, the channel's template (or the default), and the person it
names. slack.py and teams.py turn a Message into each vendor's JSON, escaping for its markup."""

from dataclasses import dataclass, field

from integrations.chat.messages.templates import default_template

MAX_VALUE_CHARS = 500  # a reason or a name longer than this is cut: a message is read at a glance


@dataclass(frozen=True)
class Person:
    """The employee an event is about, as a message names them."""

    employee_id: str
    full_name: str
    slack_user_id: str = ""


@dataclass(frozen=True)
class Message:
    event_type: str
    template: str
    values: dict[str, str]  # raw text, escaped by the vendor's renderer
    person: Person | None = None
    approval_request: str | None = None  # a pending points request's id: Approve and Reject buttons
    extra: dict = field(default_factory=dict)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)[:MAX_VALUE_CHARS]


def _hrms_outcome(data: dict) -> str:
    status = data.get("status")
    if status == "needs_confirmation":
        return f"is held for confirmation: it would deactivate {_text(data.get('would_deactivate'))} employees"
    if status == "failed":
        return f"failed: {_text(data.get('error'))}"
    return _text(status) or "completed"


def message_for(event_type: str, data: dict, *, templates: dict, person: Person | None) -> Message:
    """The message of one event for one channel (its own template for the type, else the default)."""
    values = {name: _text(value) for name, value in data.items() if not isinstance(value, dict | list)}
    values.pop("code", None)  # a voucher's code never travels to a chat, even masked
    values.pop("pin", None)
    values["event_type"] = event_type
    if "id" in data:
        values["request_id"] = _text(data["id"])
    if event_type == "hrms_sync.completed":
        values["outcome"] = _hrms_outcome(data)
    if person is not None:
        values["employee"], values["employee_id"] = person.full_name[:MAX_VALUE_CHARS], person.employee_id
    else:
        values.setdefault("employee", values.get("employee_id", ""))
    template = templates.get(event_type) or default_template(event_type)
    approval = _text(data.get("id")) if event_type == "points_request.pending_approval" and data.get("id") else None
    return Message(event_type, template, values, person, approval)
