"""The Account 360 timeline panel (an htmx fragment) and its "load more" pages."""

from __future__ import annotations

from django.shortcuts import render

from accounts.models import Account
from lifecycle.forms_records import TouchpointForm
from lifecycle.selectors_timeline import account_timeline
from tenancy.models import Role
from tenancy.views_base import TenantObjectMixin, TenantView


def timeline_panel_context(request, organization, account, form=None) -> dict:
    page = account_timeline(organization=organization, account=account)
    can_log = request.membership.has_role(Role.CSM)
    if form is None and can_log:
        form = TouchpointForm(organization=organization, account=account)
    return {
        "account": account,
        "page": page,
        "touchpoint_form": form if can_log else None,
        "user_id": request.user.pk,
        "is_manager": request.membership.has_role(Role.MANAGER),
    }


class AccountTimelinePanelView(TenantObjectMixin, TenantView):
    """`#timeline` of the Account 360: the log form (CSM+) and the first page; with
    `?cursor=` only the next entries and their own "load more" button."""

    model = Account

    def get(self, request, pk):
        account = self.get_object()
        cursor = request.GET.get("cursor")
        if cursor:
            page = account_timeline(organization=self.organization, account=account, cursor=cursor)
            return render(
                request,
                "lifecycle/records/_timeline_entries.html",
                {
                    "account": account,
                    "page": page,
                    "user_id": request.user.pk,
                    "is_manager": self.membership.has_role(Role.MANAGER),
                },
            )
        return render(
            request,
            "lifecycle/records/_timeline_panel.html",
            timeline_panel_context(request, self.organization, account),
        )
