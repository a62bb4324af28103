"""Touchpoint pages: log one from the Account 360 (htmx), edit or delete your own."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from lifecycle.forms_records import DATETIME_FORMAT, TouchpointForm
from lifecycle.models.touchpoints import Touchpoint
from lifecycle.services import touchpoints as services
from lifecycle.views.timeline import timeline_panel_context
from tenancy.models import Role
from tenancy.views_base import TenantActionView, TenantFormView


def _back(account_id: int) -> str:
    return reverse("account_detail", args=[account_id]) + "#timeline"


class TouchpointCreateView(TenantFormView):
    """POST a touchpoint for the account (CSM+). From the 360 panel (htmx) the answer is the
    panel again; without htmx a page with the form."""

    model = Account
    read_role = Role.CSM
    template_name = "lifecycle/records/touchpoint_form.html"
    form_class = TouchpointForm
    success_message = gettext_lazy("Touchpoint logged.")

    def form_kwargs(self, account):
        return {"organization": self.organization, "account": account}

    def context(self, account):
        return {"account": account}

    def save(self, form, account):
        services.touchpoint_log(
            organization=self.organization,
            account=account,
            actor=self.request.user,
            **form.cleaned_data,
        )

    def success_url(self, account):
        return _back(account.pk)

    def _panel(self, account, form):
        # htmx swaps only 2xx answers: the panel with the form's errors is a 200.
        context = timeline_panel_context(self.request, self.organization, account, form=form)
        context["logged"] = form is None
        return render(self.request, "lifecycle/records/_timeline_panel.html", context)

    def form_saved(self, form, account):
        if self.request.htmx:
            return self._panel(account, None)
        return super().form_saved(form, account)

    def form_failed(self, form, account):
        if self.request.htmx:
            return self._panel(account, form)
        return super().form_failed(form, account)


class TouchpointEditView(TenantFormView):
    """Edit a touchpoint: its author, or a manager."""

    model = Touchpoint
    read_role = Role.CSM
    select_related = ("account",)
    template_name = "lifecycle/records/touchpoint_form.html"
    form_class = TouchpointForm
    success_message = gettext_lazy("Touchpoint saved.")

    def get_object(self) -> Touchpoint:
        touchpoint = super().get_object()
        if not services.touchpoint_can_change(
            touchpoint=touchpoint, user=self.request.user, role=self.membership.role
        ):
            raise PermissionDenied
        return touchpoint

    def form_kwargs(self, touchpoint):
        return {"organization": self.organization, "account": touchpoint.account}

    def initial(self, touchpoint):
        return {
            "channel": touchpoint.channel,
            "direction": touchpoint.direction,
            "contact": touchpoint.contact_id,
            "occurred_at": timezone.localtime(
                touchpoint.occurred_at, ZoneInfo(self.organization.time_zone)
            ).strftime(DATETIME_FORMAT),
            "sentiment": touchpoint.sentiment,
            "summary": touchpoint.summary,
        }

    def context(self, touchpoint):
        return {"account": touchpoint.account, "touchpoint": touchpoint}

    def save(self, form, touchpoint):
        services.touchpoint_update(
            organization=self.organization,
            touchpoint=touchpoint,
            membership=self.membership,
            **form.cleaned_data,
        )

    def success_url(self, touchpoint):
        return _back(touchpoint.account_id)


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
