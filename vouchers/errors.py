from plum.core.errors import DomainError, ErrorCode


class VoucherErrorCode(ErrorCode):
    EMPLOYEE_NOT_FOUND = "employee_not_found", 422
    EMPLOYEE_INACTIVE = "employee_inactive", 422
    PRODUCT_NOT_FOUND = "product_not_found", 422
    PRODUCT_INACTIVE = "product_inactive", 422
    DENOMINATION_NOT_OFFERED = "denomination_not_offered", 422
    PROGRAMME_NOT_FOUND = "programme_not_found", 422
    PROGRAMME_INACTIVE = "programme_inactive", 422
    OUT_OF_STOCK = "out_of_stock", 422
    INSUFFICIENT_BALANCE = "insufficient_balance", 422
    BUDGET_EXHAUSTED = "budget_exhausted", 422
    ORDER_ID_CONFLICT = "order_id_conflict", 409
    ORDER_NOT_FOUND = "voucher_order_not_found", 404
    VOUCHER_NOT_FOUND = "voucher_not_found", 404
    ALREADY_REDEEMED = "already_redeemed", 409
    VOUCHER_CANCELLED = "voucher_cancelled", 409
    VOUCHER_EXPIRED = "voucher_expired", 422
    CAMPAIGN_ID_CONFLICT = "campaign_id_conflict", 409
    CAMPAIGN_NOT_FOUND = "campaign_not_found", 404
    NO_RECIPIENTS = "no_recipients", 422
    # Stock imports (staff).
    INVALID_STOCK_FILE = "invalid_stock_file", 400
    DUPLICATE_CODE = "duplicate_code", 422


class VoucherError(DomainError):
    pass
