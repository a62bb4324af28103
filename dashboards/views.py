"""My day: the CSM's home page (overdue and today's tasks, follow-ups due with one-click
outcomes, stage changes in the book, accounts past an SLA, red accounts). Managers may look at
another member's day (`?member=<id>`) or at the unassigned work (`?member=unassigned`); CSMs
see their own."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from dashboards.selectors import my_day, my_day_members, organization_has_accounts
from lifecycle.models.followup import FollowUpOutcome, Sentiment
from tenancy.ids import id_parse
from tenancy.models import Role, role_at_least
from tenancy.timezones import organization_today
from tenancy.views_base import TenantView

UNASSIGNED = "unassigned"


class _MyDayBase(TenantView):
    template_name = ""

    def _whose(self, request):
        """(member or None, the `member` query value, the members a manager can pick)."""
        if not role_at_least(self.membership.role, Role.MANAGER):
            return self.membership, "", []
        members = my_day_members(organization=self.organization)
        raw = (request.GET.get("member") or "").strip()
        if not raw:
            return self.membership, "", members
        if raw == UNASSIGNED:
            return None, UNASSIGNED, members
        pk = id_parse(raw)
        member = next((m for m in members if m.pk == pk), None)
        if member is None:
            raise Http404
        return member, str(member.pk), members

    def get(self, request):
        member, member_param, members = self._whose(request)
        day = my_day(organization=self.organization, member=member)
        query = f"?member={member_param}" if member_param else ""
        quiet = day.is_clear and not (
            day.red_accounts_count or day.stage_changes_count or day.sla_accounts_count
        )
        new_workspace = quiet and not organization_has_accounts(organization=self.organization)
        context = {
            "day": day,
            "new_workspace": new_workspace,
            "member": member,
            "member_param": member_param,
            "members": members,
            "is_self": member is not None and member.pk == self.membership.pk,
            "unassigned": member is None,
            "today": organization_today(self.organization),
            "now": day.now,
            "can_edit": role_at_least(self.membership.role, Role.CSM),
            "outcomes": FollowUpOutcome.choices,
            "sentiments": Sentiment.choices,
            "errors": {},
            "values": {},
            "next_url": reverse("my_day") + query,
            "sections_url": reverse("my_day_sections") + query,
            "task_assignee": "none" if member is None else (member_param or "me"),
        }
        return render(request, self.template_name, context)


class MyDayView(_MyDayBase):
    template_name = "dashboards/my_day.html"


class MyDaySectionsView(_MyDayBase):
    """The sections as a fragment: My day reloads it after an outcome is recorded."""

    template_name = "dashboards/_sections.html"
