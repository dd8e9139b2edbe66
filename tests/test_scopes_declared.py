"""Deny by default: every route and GraphQL root field declares its scopes, and one that does not is closed."""

import graphene
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import path
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from plum.api.graphql.base import BaseMutation
from plum.api.graphql.errors import error_type
from plum.api.graphql.scoping import undeclared_root_fields
from plum.api.views import PlumViewSet
from plum.apps import scopes_declared_check
from plum.checks import assert_all_scopes_declared, rest_actions, undeclared_graphql_fields, undeclared_rest_actions
from plum.core.scopes import Scope


def test_every_rest_action_declares_scopes():
    assert list(rest_actions())  # the walk finds the routes at all
    assert undeclared_rest_actions() == []


def test_every_graphql_root_field_declares_scopes():
    assert undeclared_graphql_fields() == []


class ForgetfulViewSet(PlumViewSet):
    required_scopes = {"list": Scope.EMPLOYEES_READ}

    def list(self, request):
        return Response([])

    def create(self, request):
        return Response({"ran": True}, status=201)


forgetful_urls = [path("forgetful/", ForgetfulViewSet.as_view({"get": "list", "post": "create"}))]


def test_an_action_without_scopes_is_refused_even_with_every_scope(tenant):
    view = ForgetfulViewSet.as_view({"get": "list", "post": "create"})
    token = tenant.token()
    factory = APIRequestFactory()

    listed = view(factory.get("/forgetful/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    created = view(factory.post("/forgetful/", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"))

    assert listed.status_code == 200
    assert created.status_code == 403
    assert created.data["detail"] == "This endpoint declares no scopes and is closed."


def test_the_start_up_check_names_an_undeclared_action(settings):
    settings.ROOT_URLCONF = __name__
    assert undeclared_rest_actions() == ["forgetful/ ForgetfulViewSet.create"]
    with pytest.raises(ImproperlyConfigured, match="ForgetfulViewSet.create"):
        assert_all_scopes_declared()
    assert [e.id for e in scopes_declared_check(None)] == ["plum.E001"]


urlpatterns = forgetful_urls


def test_a_mutation_without_scopes_cannot_be_defined():
    with pytest.raises(TypeError, match="must declare Meta.scopes"):

        class Careless(BaseMutation):
            class Meta:
                error_type = error_type("Careless")

            @classmethod
            def perform(cls, info):
                return cls()


def test_a_query_field_without_scopes_is_reported():
    class Query(graphene.ObjectType):
        secret = graphene.String()

    assert undeclared_root_fields(graphene.Schema(query=Query)) == ["Query.secret"]
