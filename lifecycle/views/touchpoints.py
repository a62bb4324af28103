"""Touchpoint pages: log one from the Account 360 (htmx), edit or delete your own."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from lifecycle.forms_records import DATETIME_FORMAT, TouchpointForm, errors_apply
from lifecycle.models.touchpoints import Touchpoint
from lifecycle.services import touchpoints as services
from lifecycle.views.timeline import timeline_panel_context
from tenancy.models import Role
from tenancy.views_base import TenantActionView, TenantObjectMixin, TenantView


def _back(account_id: int) -> str:
    return reverse("account_detail", args=[account_id]) + "#timeline"


class TouchpointCreateView(TenantObjectMixin, TenantView):
    """POST a touchpoint for the account (CSM+). From the 360 panel (htmx) the answer is the
    panel again; without htmx a page with the form."""

    model = Account
    read_role = Role.CSM

    def get(self, request, pk):
        account = self.get_object()
        form = TouchpointForm(organization=self.organization, account=account)
        return render(
            request, "lifecycle/records/touchpoint_form.html", {"form": form, "account": account}
        )

    def post(self, request, pk):
        account = self.get_object()
        form = TouchpointForm(request.POST, organization=self.organization, account=account)
        if form.is_valid():
            try:
                services.touchpoint_log(
                    organization=self.organization,
                    account=account,
                    actor=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                errors_apply(form, error)
            else:
                if not request.htmx:
                    messages.success(request, _("Touchpoint logged."))
                    return redirect(_back(account.pk))
                form = None
        if request.htmx:
            # htmx swaps only 2xx answers: the panel with the form's errors is a 200.
            context = timeline_panel_context(request, self.organization, account, form=form)
            context["logged"] = form is None
            return render(request, "lifecycle/records/_timeline_panel.html", context)
        return render(
            request,
            "lifecycle/records/touchpoint_form.html",
            {"form": form, "account": account},
            status=400,
        )


class TouchpointEditView(TenantObjectMixin, TenantView):
    """Edit a touchpoint: its author, or a manager."""

    model = Touchpoint
    read_role = Role.CSM
    select_related = ("account",)

    def _touchpoint(self, request) -> Touchpoint:
        touchpoint = self.get_object()
        if not services.touchpoint_can_change(
            touchpoint=touchpoint, user=request.user, role=self.membership.role
        ):
            raise PermissionDenied
        return touchpoint

    def _render(self, request, form, touchpoint, status=200):
        return render(
            request,
            "lifecycle/records/touchpoint_form.html",
            {"form": form, "account": touchpoint.account, "touchpoint": touchpoint},
            status=status,
        )

    def get(self, request, pk):
        touchpoint = self._touchpoint(request)
        form = TouchpointForm(
            organization=self.organization,
            account=touchpoint.account,
            initial={
                "channel": touchpoint.channel,
                "direction": touchpoint.direction,
                "contact": touchpoint.contact_id,
                "occurred_at": timezone.localtime(
                    touchpoint.occurred_at, ZoneInfo(self.organization.time_zone)
                ).strftime(DATETIME_FORMAT),
                "sentiment": touchpoint.sentiment,
                "summary": touchpoint.summary,
            },
        )
        return self._render(request, form, touchpoint)

    def post(self, request, pk):
        touchpoint = self._touchpoint(request)
        form = TouchpointForm(
            request.POST, organization=self.organization, account=touchpoint.account
        )
        if form.is_valid():
            try:
                services.touchpoint_update(
                    organization=self.organization,
                    touchpoint=touchpoint,
                    membership=self.membership,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                errors_apply(form, error)
            else:
                messages.success(request, _("Touchpoint saved."))
                return redirect(_back(touchpoint.account_id))
        return self._render(request, form, touchpoint, status=400)


class TouchpointDeleteView(TenantActionView):
    model = Touchpoint
    read_role = Role.CSM
    back_to = "account_list"

    def post(self, request, pk):
        touchpoint = self.get_object()
        account_id = touchpoint.account_id
        services.touchpoint_delete(
            organization=self.organization, touchpoint=touchpoint, membership=self.membership
        )
        messages.success(request, _("Touchpoint deleted."))
        return redirect(_back(account_id))
