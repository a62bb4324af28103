"""The one DRF base for tenant resources.

`TenantViewSet` owns `get_queryset` and `get_object` (subclasses describe their rows in
`base_queryset()`; the base adds the organization filter) and permissions (default deny; the
`action_roles` map opens each action to a minimum role). A subclass that overrides the owned
methods is refused at import time, so no endpoint can forget the organization filter.
"""

from __future__ import annotations

from typing import ClassVar

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, views, viewsets
from rest_framework.response import Response

from tenancy.api_auth import TenantRolePermission
from tenancy.idempotency import IdempotentCreateMixin
from tenancy.ids import id_parse
from tenancy.models import ApiKey, Organization, Role

READ_ROLES: dict[str, str] = {"list": Role.VIEWER, "retrieve": Role.VIEWER}
WRITE_ROLES: dict[str, str] = {
    "create": Role.CSM,
    "update": Role.CSM,
    "partial_update": Role.CSM,
    "destroy": Role.CSM,
}


class TenantAPIView:
    """Mixin for any tenant endpoint: role map + permission + the request's organization."""

    action_roles: ClassVar[dict[str, str]] = {}
    permission_classes = (TenantRolePermission,)

    def required_role(self) -> str | None:
        return self.action_roles.get(getattr(self, "action", None) or self.request.method.lower())

    @property
    def organization(self):
        return self.request._request.organization

    @property
    def actor(self):
        user = self.request.user
        return user if user.is_authenticated else None

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["organization"] = self.request._request.organization
        return context


class TenantViewSet(TenantAPIView, viewsets.GenericViewSet):
    OWNED = ("get_queryset", "get_object", "permission_classes")
    action_roles: ClassVar[dict[str, str]] = {**READ_ROLES, **WRITE_ROLES}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.OWNED:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} must not override {name}; use base_queryset().")

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self):
        organization = self.request._request.organization
        if organization is None:
            return self.base_queryset().none()
        return self.base_queryset().filter(organization=organization)

    def get_object(self):
        # DRF's implementation filters get_queryset() (which is organization-filtered) and
        # answers 404 for a missing or foreign object; malformed ids are 404 too.
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if self.lookup_field == "pk" and id_parse(lookup) is None:
            raise Http404
        return super().get_object()


class TenantModelViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    pass


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "time_zone", "currency", "locale"]


class MeUserSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField()


class MeApiKeySerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiKey.Scope.choices)


class MeSerializer(serializers.Serializer):
    organization = OrganizationSerializer()
    user = MeUserSerializer(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    api_key = MeApiKeySerializer(allow_null=True)


class MeView(TenantAPIView, views.APIView):
    """Who is calling: the user (or API key) and the active organization with its role."""

    action_roles: ClassVar[dict[str, str]] = {"get": Role.VIEWER}

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        organization = self.organization
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        membership = request._request.membership
        data = {
            "organization": organization,
            "user": None if api_key else {"email": request.user.email, "name": request.user.name},
            "role": membership.role if membership else None,
            "api_key": {"name": api_key.name, "prefix": api_key.prefix, "scope": api_key.scope}
            if api_key
            else None,
        }
        return Response(MeSerializer(data).data)
