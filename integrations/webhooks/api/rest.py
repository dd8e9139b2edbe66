"""(being written) webhook subscriptions over REST."""


def register(router) -> None:
    pass
