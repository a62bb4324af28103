"""Base classes for HTML views of tenant data.

`TenantView` requires a signed-in member of the active organization and a minimum role per
HTTP method (reads: `read_role`, writes: `write_role`). `TenantObjectMixin.get_object` looks
the object up inside the active organization only, so another tenant's object is a 404.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.views import View

from tenancy.ids import id_parse
from tenancy.models import Role, role_at_least

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TenantView(View):
    read_role: str = Role.VIEWER
    write_role: str = Role.CSM

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.membership is None:
            return redirect("organization_create")
        self.organization = request.organization
        self.membership = request.membership
        minimum = self.read_role if request.method in SAFE_METHODS else self.write_role
        if not role_at_least(self.membership.role, minimum):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class TenantObjectMixin:
    """For views addressed by `<int:pk>`: `model` is looked up within the organization."""

    model: type | None = None
    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        queryset = self.model.objects.filter(organization=self.request.organization)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset

    def get_object(self):
        pk = id_parse(self.kwargs["pk"])
        if pk is None:
            raise Http404
        try:
            return self.get_queryset().get(pk=pk)
        except self.model.DoesNotExist:
            raise Http404 from None


class TenantActionView(TenantObjectMixin, TenantView):
    """A POST-only action on one object (revoke, remove…). A GET looks the object up (so a
    foreign id is still a 404) and goes back to `back_to`."""

    back_to = "home"

    def get(self, request, pk):
        self.get_object()
        return redirect(self.back_to)
