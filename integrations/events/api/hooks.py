"""(being written) hook endpoints over REST, and /hooks/<endpoint_key>/."""

urlpatterns: list = []


def register(router) -> None:
    pass
