"""REST: /api/v1/integrations/notifications/ channels and their test message."""


def register(router) -> None:
    pass
