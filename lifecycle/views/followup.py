"""Follow-up pages: the one-click outcome card (htmx; My day and Account 360), the Account 360
`#followup` panel and the follow-up report (managers).

Roles: viewers read; CSMs record outcomes; managers read the report.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account
from lifecycle.models import FollowUp
from lifecycle.models.followup import FollowUpOutcome, Sentiment
from lifecycle.selectors_followup import followup_for_account, followup_report
from lifecycle.services.followup import followup_outcome_record
from tenancy.ids import id_parse
from tenancy.models import Membership, Role, role_at_least
from tenancy.timezones import organization_today
from tenancy.views_base import TenantObjectMixin, TenantView

RECORDED_EVENT = "followup-recorded"


def _back(request, fallback: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback


def card_context(request, followup: FollowUp, *, errors=None, values=None) -> dict:
    today = organization_today(request.organization)
    return {
        "followup": followup,
        "today": today,
        "can_edit": role_at_least(request.membership.role, Role.CSM),
        "outcomes": FollowUpOutcome.choices,
        "sentiments": Sentiment.choices,
        "errors": errors or {},
        "values": values or {},
        "next_url": _back(request, reverse("my_day")),
    }


class FollowUpOutcomeView(TenantObjectMixin, TenantView):
    """GET: the follow-up's card. POST: record the outcome; htmx gets the card back (with the
    errors, or done) and an `HX-Trigger: followup-recorded` so My day reloads its sections."""

    model = FollowUp
    select_related = ("account", "account__owner__user", "task", "recorded_by", "message")

    def get(self, request, pk):
        return render(
            request, "lifecycle/followup/_card.html", card_context(request, self.get_object())
        )

    def post(self, request, pk):
        followup = self.get_object()
        values = {
            "outcome": request.POST.get("outcome", "")[:20],
            "sentiment": request.POST.get("sentiment", "")[:20],
            "note": request.POST.get("note", "")[:5000],
        }
        try:
            followup_outcome_record(
                organization=self.organization, followup=followup, actor=request.user, **values
            )
        except ValidationError as error:
            errors = (
                error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            )
            context = card_context(request, followup, errors=errors, values=values)
            if request.htmx:
                # 200 so htmx swaps the card with its messages in place.
                return render(request, "lifecycle/followup/_card.html", context)
            return render(request, "lifecycle/followup/outcome_page.html", context, status=400)
        if not request.htmx:
            return redirect(_back(request, reverse("my_day")))
        followup = self.get_queryset().get(pk=followup.pk)
        response = render(request, "lifecycle/followup/_card.html", card_context(request, followup))
        response["HX-Trigger"] = RECORDED_EVENT
        return response


class AccountFollowUpPanelView(TenantObjectMixin, TenantView):
    """The Account 360 `#followup` section (htmx fragment incl. its <h2>)."""

    model = Account

    def get(self, request, pk):
        account = self.get_object()
        followup = followup_for_account(organization=self.organization, account_id=account.pk)
        context = {"account": account, "followup": followup}
        if followup is not None:
            context.update(card_context(request, followup))
            context["next_url"] = reverse("account_detail", args=[account.pk]) + "#followup"
        return render(request, "lifecycle/followup/_account_panel.html", context)


# --- report -----------------------------------------------------------------------------------


class ReportForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("Until (exclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    owner = forms.CharField(label=gettext_lazy("CSM"), required=False)

    def __init__(self, *args, organization, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.today = today
        self.owner_choices = list(
            Membership.objects.filter(organization=organization)
            .exclude(role=Role.VIEWER)
            .select_related("user")
            .order_by("user__name", "user__email")
        )

    def clean_owner(self):
        raw = self.cleaned_data.get("owner") or ""
        if not raw:
            return None
        pk = id_parse(raw)
        owner = next((m for m in self.owner_choices if m.pk == pk), None)
        if owner is None:
            raise ValidationError(_("Choose a member of this workspace."))
        return owner

    def clean(self):
        data = super().clean()
        start = data.get("start") or self.today - timedelta(days=90)
        end = data.get("end") or self.today + timedelta(days=1)
        if start >= end:
            self.add_error("end", _("The end must be after the start."))
        elif (end - start).days > 3660:
            self.add_error("end", _("Choose a period of at most 10 years."))
        data["start"], data["end"] = start, end
        return data


class FollowUpReportView(TenantView):
    """Completion rate, median days from go-live to contact, outcomes — per CSM and overall,
    for follow-ups due in the period (default: the last 90 days). `?format=csv` exports."""

    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request):
        today = organization_today(self.organization)
        form = ReportForm(request.GET or None, organization=self.organization, today=today)
        if request.GET and not form.is_valid():
            return render(request, "lifecycle/followup/report.html", {"form": form}, status=400)
        data = (
            form.cleaned_data
            if request.GET
            else {
                "start": today - timedelta(days=90),
                "end": today + timedelta(days=1),
                "owner": None,
            }
        )
        if not request.GET:
            form = ReportForm(
                initial={"start": data["start"], "end": data["end"]},
                organization=self.organization,
                today=today,
            )
        report = followup_report(
            organization=self.organization,
            start=data["start"],
            end=data["end"],
            owner=data["owner"],
        )
        if request.GET.get("format") == "csv":
            return _csv(report)
        return render(
            request,
            "lifecycle/followup/report.html",
            {"form": form, "report": report, "outcomes": FollowUpOutcome.choices},
        )


class _Echo:
    def write(self, value):
        return value


def _csv(report) -> HttpResponse:
    writer = csv.writer(_Echo())
    header = [
        _("CSM"),
        _("Due"),
        _("Done"),
        _("Completion rate"),
        _("Done on time"),
        _("Median days from go-live to contact"),
        *[str(label) for _value, label in FollowUpOutcome.choices],
    ]

    def line(name, figures):
        rate = figures.completion_rate
        median = figures.median_days_to_contact
        return [
            name,
            figures.due,
            figures.done,
            "" if rate is None else f"{rate:.3f}",
            figures.done_on_time,
            "" if median is None else f"{median:g}",
            *[figures.outcomes[value] for value in FollowUpOutcome.values],
        ]

    def rows():
        yield "\ufeff" + writer.writerow(header)
        for figures in report.per_owner:
            name = figures.owner_name or _("No owner")
            yield writer.writerow(line(("'" + name) if name[:1] in "=+-@\t\r" else name, figures))
        yield writer.writerow(line(_("All"), report.overall))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="followups-{report.start.isoformat()}-{report.end.isoformat()}.csv"'
    )
    return response
