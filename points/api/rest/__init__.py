"""REST door of the points app: thin adapters that parse a command, call one service and answer a
selector's document."""

from points.api.rest import programmes, requests, wallets


def register(router) -> None:
    programmes.register(router)
    requests.register(router)
    wallets.register(router)
