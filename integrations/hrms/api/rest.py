"""REST: /api/v1/integrations/hrms/ connections, their runs, sync now and confirm."""


def register(router) -> None:
    pass
