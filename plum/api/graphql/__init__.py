# Registers Plum's DateTime for model fields before any app's DjangoObjectType is built.
from plum.api.graphql import scalars  # noqa: F401
