"""Message templates: default text per event type, the placeholders each may use, and a tiny formatter.

A template is text with `{name}` placeholders from a fixed list per event type (`{{` and `}}` are literal
braces). The formatter is a regular-expression substitution over that list: no attribute access, no
indexing, no format specs, no code (str.format would reach `{employee.__class__}`). Every piece of the
template's own text and every value is escaped by the caller's escape function for its vendor's markup.
"""

import re
from collections.abc import Callable, Mapping

TEST_EVENT = "notification.test"
TEMPLATE_MAX_LENGTH = 2000

_PERSON = ("employee", "employee_id")
_REQUEST = (*_PERSON, "points", "programme", "reason", "request_id")
_VOUCHER = (*_PERSON, "brand", "product", "denomination", "currency", "points")

# event type -> (its placeholders, its default text); `event_type` is always available too.
TEMPLATES: dict[str, tuple[tuple[str, ...], str]] = {
    "points_request.credited": (
        (*_REQUEST, "balance_after"),
        "{employee} received {points} points in {programme}: {reason}. New balance: {balance_after} points.",
    ),
    "points_request.pending_approval": (
        _REQUEST,
        "{points} points for {employee} in {programme} are waiting for approval: {reason}.",
    ),
    "points_request.rejected": (_REQUEST, "{points} points for {employee} in {programme} were not approved."),
    "points_request.reversed": (
        (*_REQUEST, "reversal_reason"),
        "{points} points credited to {employee} in {programme} were reversed: {reversal_reason}.",
    ),
    "voucher.issued": (_VOUCHER, "{employee} received a {brand} voucher: {product}, {denomination} {currency}."),
    "voucher.redeemed": (_VOUCHER, "{employee} redeemed a {brand} voucher ({product})."),
    "voucher.expired": (_VOUCHER, "A {brand} voucher of {employee} expired unused ({product})."),
    "points_batch.completed": (
        ("batch_id", "total", "credited", "pending_approval", "rejected"),
        "Points batch {batch_id} completed: {credited} credited, {pending_approval} waiting for approval and "
        "{rejected} rejected, of {total}.",
    ),
    "campaign.completed": (
        ("name", "campaign_id", "total", "issued", "out_of_stock", "employee_inactive", "budget_exhausted"),
        "Campaign {name} completed: {issued} of {total} vouchers issued ({out_of_stock} out of stock, "
        "{employee_inactive} for inactive employees, {budget_exhausted} over budget).",
    ),
    "hrms_sync.completed": (
        ("outcome", "status", "fetched", "created", "updated", "deactivated", "unchanged", "would_deactivate"),
        "HRMS sync {outcome}. Fetched {fetched}: {created} created, {updated} updated, {deactivated} "
        "deactivated, {unchanged} unchanged.",
    ),
    "employee.created": (_PERSON, "{employee} ({employee_id}) joined."),
    "employee.updated": (_PERSON, "{employee} ({employee_id}) was updated."),
    "employee.deactivated": (_PERSON, "{employee} ({employee_id}) was deactivated."),
    "event.received": (_PERSON, "Event {event_type} received for {employee}."),
    TEST_EVENT: (("channel",), "A test message from Plum: this channel receives its notifications."),
}
GENERIC = ((), "Plum: {event_type}.")  # any other event type a channel asks for

_TOKEN = re.compile(r"\{\{|\}\}|\{([a-z_]{1,40})\}|[{}]")


def placeholders(event_type: str) -> tuple[str, ...]:
    return (*TEMPLATES.get(event_type, GENERIC)[0], "event_type")


def default_template(event_type: str) -> str:
    return TEMPLATES.get(event_type, GENERIC)[1]


def template_problems(event_type: str, template: str) -> list[str]:
    """What is wrong with a template for this event type: unknown placeholders, lone braces."""
    allowed, problems = placeholders(event_type), []
    for match in _TOKEN.finditer(template):
        name = match.group(1)
        if match.group(0) in ("{{", "}}"):
            continue
        if name is None:
            problems.append("A lone brace: write {{ or }} for a literal one.")
        elif name not in allowed:
            problems.append(f"Unknown placeholder {{{name}}}; one of {', '.join(allowed)}.")
    return list(dict.fromkeys(problems))


def render(template: str, values: Mapping[str, str], escape: Callable[[str], str]) -> str:
    """The template with its literal text escaped and each placeholder replaced by its value, which the caller
    has made safe already (escaped, or a mention Plum built). An unknown placeholder renders empty (templates
    are checked when saved; this keeps an old one harmless)."""
    out, position = [], 0
    for match in _TOKEN.finditer(template):
        out.append(escape(template[position : match.start()]))
        token = match.group(0)
        if token in ("{{", "}}"):
            out.append(escape(token[0]))
        elif match.group(1) is not None:
            out.append(values.get(match.group(1), ""))
        else:
            out.append(escape(token))
        position = match.end()
    out.append(escape(template[position:]))
    return "".join(out)
