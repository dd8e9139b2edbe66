"""(being written) a subscription's deliveries over REST."""


def register(router) -> None:
    pass
