"""Admins see ScheduledActions that failed for good or look stuck, and send them back."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.models import Role, ScheduledAction
from tenancy.scheduled import scheduled_action_problems, scheduled_action_retry
from tenancy.views_base import TenantActionView, TenantView

PAGE_SIZE = 50


class ScheduledActionListView(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request):
        now = timezone.now()
        rows = scheduled_action_problems(organization=self.organization, now=now)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "tenancy/scheduled_actions.html", {"page": page, "now": now})


class ScheduledActionRetryView(TenantActionView):
    model = ScheduledAction
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    back_to = "scheduled_action_list"

    def post(self, request, pk):
        action = self.get_object()
        try:
            scheduled_action_retry(
                organization=self.organization, action=action, actor=request.user
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("The action will run again within a minute."))
        return redirect("scheduled_action_list")
