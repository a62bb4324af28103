"""API authentication, permissions and throttling.

The middleware has already resolved the key and entered its scope; authentication only
turns that into DRF's `request.auth` (or a 401 for an unknown/revoked key). Permissions are
default-deny: a view opens an action by naming the minimum role for it.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import SimpleRateThrottle

from tenancy.models import ApiKey, Role, role_at_least


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        django_request = request._request
        if getattr(django_request, "api_key_invalid", False):
            raise exceptions.AuthenticationFailed(
                "Unknown or revoked API key.", code="invalid_api_key"
            )
        api_key = getattr(django_request, "api_key", None)
        if api_key is None:
            return None
        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class DenyAll(BasePermission):
    """Default permission: nothing is open unless a view says so."""

    def has_permission(self, request, view):
        return False


class TenantRolePermission(BasePermission):
    """Open an action to members with at least `view.required_role(action)`, or to API keys
    whose scope allows the method (read keys: safe methods only)."""

    def has_permission(self, request, view):
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405 Method Not Allowed, the same for every caller
        minimum = view.required_role()
        if minimum is None:
            return False
        organization = getattr(request._request, "organization", None)
        if isinstance(request.auth, ApiKey):
            if request.method in SAFE_METHODS:
                return True
            if not request.auth.can_write:
                raise exceptions.PermissionDenied(
                    "This API key is read-only.", code="api_key_read_only"
                )
            # A write key works like a CSM: it changes data, never settings or members.
            if not role_at_least(Role.CSM, minimum):
                raise exceptions.PermissionDenied(
                    "API keys cannot perform this action.", code="api_key_forbidden"
                )
            return True
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        membership = getattr(request._request, "membership", None)
        if organization is None or membership is None:
            raise exceptions.PermissionDenied(
                "You are not a member of any organization.", code="no_organization"
            )
        if not role_at_least(membership.role, minimum):
            raise exceptions.PermissionDenied(
                "Your role does not allow this action.", code="role_forbidden"
            )
        return True


class PerKeyRateThrottle(SimpleRateThrottle):
    """One bucket per API key (or per user for browser sessions, per IP otherwise)."""

    scope = "per_key"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
