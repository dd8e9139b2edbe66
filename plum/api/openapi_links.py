"""OpenAPI links: from what a call creates to the calls that follow it (clients and stateful testers follow them).

Each link names its target by operationId and fills the target's path parameters from the answer's body;
tests check every target exists and every parameter is one of its path parameters.
"""

ID = "$response.body#/id"
EMPLOYEE_ID = "$response.body#/employee_id"
FIRST_VOUCHER_ID = "$response.body#/vouchers/0/id"


def _by(parameter: str, expression: str, *targets: tuple[str, str, str]) -> dict[str, dict]:
    return {
        name: {"operationId": operation, "parameters": {parameter: expression}, "description": description}
        for name, operation, description in targets
    }


_POINTS_REQUEST = _by(
    "id",
    ID,
    ("GetPointsRequest", "points_requests_retrieve", "The request as it is now"),
    ("ApprovePointsRequest", "points_requests_approve_create", "Approve it, if it waits for approval"),
    ("RejectPointsRequest", "points_requests_reject_create", "Reject it, if it waits for approval"),
    ("ReversePointsRequest", "points_requests_reverse_create", "Take its points back, once credited"),
)
_VOUCHER = _by(
    "id",
    ID,
    ("GetVoucher", "vouchers_retrieve", "The voucher, masked"),
    ("CancelVoucher", "vouchers_cancel_create", "Cancel it and refund what paid for it"),
)
_EMPLOYEE = _by(
    "employee_id",
    EMPLOYEE_ID,
    ("GetEmployee", "employees_retrieve", "The employee"),
    ("UpdateEmployee", "employees_partial_update", "Change some of its fields"),
    ("DeactivateEmployee", "employees_deactivate_create", "Deactivate the employee"),
    ("GetWallet", "wallets_retrieve", "The employee's wallet"),
)

# operationId -> links on each of its success answers
LINKS: dict[str, dict[str, dict]] = {
    "employees_create": _EMPLOYEE,
    "employees_retrieve": _EMPLOYEE,
    "points_requests_create": _POINTS_REQUEST,
    "points_requests_retrieve": _POINTS_REQUEST,
    "points_batches_create": _by(
        "id",
        ID,
        ("GetPointsBatch", "points_batches_retrieve", "The batch's progress"),
        ("ListPointsBatchItems", "points_batches_items_list", "Each item's outcome"),
    ),
    "points_uploads_create": _by(
        "id",
        ID,
        ("GetPointsUpload", "points_uploads_retrieve", "The upload's row checks"),
        ("ConfirmPointsUpload", "points_uploads_confirm_create", "Credit its valid rows as a batch"),
    ),
    "vouchers_orders_create": {
        **_by("id", ID, ("GetVoucherOrder", "vouchers_orders_retrieve", "The order with its vouchers, masked")),
        **_by(
            "id",
            FIRST_VOUCHER_ID,
            ("GetFirstVoucher", "vouchers_retrieve", "The order's first voucher"),
            ("CancelFirstVoucher", "vouchers_cancel_create", "Cancel the order's first voucher"),
        ),
    },
    "vouchers_retrieve": _VOUCHER,
    "vouchers_campaigns_create": _by(
        "id",
        ID,
        ("GetCampaign", "vouchers_campaigns_retrieve", "The campaign's progress"),
        ("ListCampaignRecipients", "vouchers_campaigns_recipients_list", "Each recipient's outcome"),
    ),
}


def add_links(result, generator, request, public):
    for path in result.get("paths", {}).values():
        for operation in path.values():
            links = LINKS.get(operation.get("operationId"))
            if not links:
                continue
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    response["links"] = links
    return result
