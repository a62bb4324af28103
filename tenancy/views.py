"""Organization settings pages: workspace, members and invitations, API keys, audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy import selectors, services
from tenancy.forms import (
    ApiKeyForm,
    InvitationForm,
    MembershipRoleForm,
    OrganizationCreateForm,
    OrganizationForm,
)
from tenancy.middleware import activate_organization, scope_from_token
from tenancy.models import ApiKey, Invitation, Membership, Role
from tenancy.views_base import TenantActionView, TenantView


class OrganizationSettingsView(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request):
        form = OrganizationForm(instance=self.organization)
        return render(request, "tenancy/organization_settings.html", {"form": form})

    def post(self, request):
        form = OrganizationForm(request.POST, instance=self.organization)
        if form.is_valid():
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            # The form mutated the instance while validating; reload so the audit sees "before".
            self.organization.refresh_from_db()
            if changed:
                services.organization_update(
                    organization=self.organization, actor=request.user, **changed
                )
            messages.success(request, _("Settings saved."))
            return redirect("organization_settings")
        return render(request, "tenancy/organization_settings.html", {"form": form}, status=400)


class MemberListView(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def _context(self, form=None):
        return {
            "members": selectors.membership_list(organization=self.organization),
            "invitations": selectors.invitation_list_open(organization=self.organization),
            "form": form or InvitationForm(can_invite_owner=self.membership.role == Role.OWNER),
            "roles": Role.choices,
        }

    def get(self, request):
        return render(request, "tenancy/members.html", self._context())

    def post(self, request):
        form = InvitationForm(request.POST, can_invite_owner=self.membership.role == Role.OWNER)
        if form.is_valid():
            try:
                services.invitation_create(
                    organization=self.organization,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error("email", error)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("member_list")
        return render(request, "tenancy/members.html", self._context(form), status=400)


class MembershipRoleView(TenantActionView):
    model = Membership
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    select_related = ("user",)
    back_to = "member_list"

    def post(self, request, pk):
        membership = self.get_object()
        form = MembershipRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a valid role."))
            return redirect("member_list")
        role = form.cleaned_data["role"]
        try:
            services.membership_change_role(
                organization=self.organization, membership=membership, role=role, actor=request.user
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Role updated for %(name)s.") % {"name": membership.user})
        return redirect("member_list")


class MembershipRemoveView(MembershipRoleView):
    def post(self, request, pk):
        membership = self.get_object()
        try:
            services.membership_remove(
                organization=self.organization, membership=membership, actor=request.user
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("%(name)s was removed.") % {"name": membership.user})
        return redirect("member_list")


class InvitationRevokeView(TenantActionView):
    model = Invitation
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    back_to = "member_list"

    def post(self, request, pk):
        invitation = self.get_object()
        services.invitation_revoke(
            organization=self.organization, invitation=invitation, actor=request.user
        )
        messages.success(request, _("Invitation revoked."))
        return redirect("member_list")


class ApiKeyListView(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request):
        return render(
            request,
            "tenancy/api_keys.html",
            {
                "api_keys": selectors.api_key_list(organization=self.organization),
                "form": ApiKeyForm(),
            },
        )

    def post(self, request):
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            issued = services.api_key_create(
                organization=self.organization,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                actor=request.user,
            )
            return render(
                request,
                "tenancy/api_keys.html",
                {
                    "api_keys": selectors.api_key_list(organization=self.organization),
                    "form": ApiKeyForm(),
                    "new_key": issued.key,
                    "new_key_name": issued.api_key.name,
                },
            )
        return render(
            request,
            "tenancy/api_keys.html",
            {"api_keys": selectors.api_key_list(organization=self.organization), "form": form},
            status=400,
        )


class ApiKeyRevokeView(TenantActionView):
    model = ApiKey
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    back_to = "api_key_list"

    def post(self, request, pk):
        api_key = self.get_object()
        services.api_key_revoke(organization=self.organization, api_key=api_key, actor=request.user)
        messages.success(request, _("Key “%(name)s” revoked.") % {"name": api_key.name})
        return redirect("api_key_list")


class AuditLogView(TenantView):
    read_role = Role.ADMIN

    def get(self, request):
        page = Paginator(selectors.audit_event_list(organization=self.organization), 50).get_page(
            request.GET.get("page")
        )
        return render(request, "tenancy/audit_log.html", {"page": page})


@login_required
@require_POST
def organization_switch(request):
    """Make another of the user's organizations the active one."""
    try:
        organization_id = int(request.POST.get("organization", ""))
    except ValueError:
        organization_id = None
    membership = selectors.membership_get_for_user(
        user=request.user, organization_id=organization_id
    )
    if membership is None or membership.organization_id != organization_id:
        messages.error(request, _("You are not a member of that organization."))
        return redirect("home")
    activate_organization(request, membership.organization_id)
    messages.success(request, _("Switched to %(name)s.") % {"name": membership.organization.name})
    return redirect("home")


@login_required
def organization_create_view(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = services.organization_create(
            name=form.cleaned_data["name"],
            owner=request.user,
            locale="pt-br" if request.LANGUAGE_CODE.startswith("pt") else "en",
        )
        activate_organization(request, organization.id)
        return redirect("home")
    return render(request, "tenancy/organization_create.html", {"form": form})


@scope_from_token(lambda token: selectors.invitation_get_by_token_unscoped(token=token))
def invitation_accept_view(request, token: str):
    """Public link from the invitation email. Anonymous visitors sign in or sign up first."""
    invitation = request.token_object
    if invitation is None or not invitation.is_open:
        request.session.pop("pending_invitation_token", None)
        return render(request, "tenancy/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        request.session["pending_invitation_token"] = token
        return render(request, "tenancy/invitation_accept.html", {"invitation": invitation})
    if request.method == "POST":
        try:
            membership = services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return render(request, "tenancy/invitation_accept.html", {"invitation": invitation})
        request.session.pop("pending_invitation_token", None)
        activate_organization(request, membership.organization_id)
        messages.success(
            request, _("Welcome to %(name)s!") % {"name": membership.organization.name}
        )
        return redirect("home")
    return render(request, "tenancy/invitation_accept.html", {"invitation": invitation})
