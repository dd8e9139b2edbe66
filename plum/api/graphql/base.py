"""Base mutation: one `input` argument, scopes checked, DomainError turned into typed `errors`."""

import graphene
from graphene.relay import ClientIDMutation
from graphene.types.mutation import MutationOptions

from plum.api.graphql.scoping import MUTATION_SCOPES
from plum.core.errors import DomainError


class BaseMutationOptions(MutationOptions):
    scopes = None
    error_type = None


class BaseMutation(ClientIDMutation):
    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, scopes=None, error_type=None, _meta=None, **options):
        if not scopes:
            raise TypeError(f"{cls.__name__} must declare Meta.scopes")
        if error_type is None:
            raise TypeError(f"{cls.__name__} must declare Meta.error_type")
        _meta = _meta or BaseMutationOptions(cls)
        _meta.scopes = tuple(scopes)
        _meta.error_type = error_type
        super().__init_subclass_with_meta__(_meta=_meta, **options)
        cls._meta.fields["errors"] = graphene.Field(graphene.List(graphene.NonNull(error_type)), required=True)
        MUTATION_SCOPES[cls._meta.name] = _meta.scopes

    @classmethod
    def mutate_and_get_payload(cls, root, info, **data):
        data.pop("client_mutation_id", None)
        try:
            payload = cls.perform(info, **data)
        except DomainError as exc:
            return cls(errors=domain_errors(exc))
        payload.errors = []
        return payload

    @classmethod
    def perform(cls, info, **data):
        raise NotImplementedError


def domain_errors(exc: DomainError) -> list[dict]:
    if exc.errors:
        return [{"field": e.get("field"), "code": e["code"], "message": e["message"]} for e in exc.errors]
    return [{"field": exc.field, "code": str(exc.code), "message": exc.message}]
