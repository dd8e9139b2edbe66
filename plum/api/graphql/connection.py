import graphene
from graphene import relay


class CountedConnection(relay.Connection):
    """Relay connection with the total number of matching nodes."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True)

    def resolve_total_count(self, info):
        return self.length
