from plum.core.errors import DomainError, ErrorCode


class ReportsErrorCode(ErrorCode):
    PROGRAMME_NOT_FOUND = "programme_not_found", 404


class ReportsError(DomainError):
    pass
