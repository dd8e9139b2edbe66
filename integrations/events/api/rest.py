"""(being written) events and reward rules over REST."""


def register(router) -> None:
    pass
