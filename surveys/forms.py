"""Forms of the survey pages. They parse input; the services validate the rules and the views
copy their errors onto the form (`tenancy.views_base.errors_apply`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, Segment
from surveys.models import (
    COMMENT_MAX_LENGTH,
    DELAY_DAYS_DEFAULT,
    PERIOD_DAYS_DEFAULT,
    AutoTrigger,
    Survey,
    SurveyKind,
)
from surveys.selectors import contacts_messageable
from tenancy.models import Organization
from tenancy.timezones import organization_today

ALL_CONTACTS = "all"
PERIODS = (
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("180", _("Last 180 days")),
    ("365", _("Last 12 months")),
    ("all", _("All time")),
)


class SurveyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=SurveyKind.choices,
        help_text=_("NPS: 0–10 · CSAT: 1–5 · CES: 1–7 (7 = very easy)."),
    )
    question_pt_br = forms.CharField(
        label=_("Question (Portuguese)"),
        max_length=300,
        required=False,
        help_text=_("Leave empty to ask the standard question of the survey's kind."),
    )
    question_en = forms.CharField(
        label=_("Question (English)"),
        max_length=300,
        required=False,
        help_text=_("Leave empty to ask the standard question of the survey's kind."),
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Inactive surveys accept no new answers and cannot be sent."),
    )
    # Ranges are the service's rules (surveys.services.surveys._trigger_values): one message for the
    # form and the API.
    auto_trigger = forms.ChoiceField(
        label=_("Automatic sending"),
        choices=AutoTrigger.choices,
        required=False,
        help_text=_(
            "After go-live: the champions and admins of each account (else every contact who "
            "accepts messages), once, at 10:00 on go-live + the days below. Periodic: the "
            "contacts of live accounts, again once the period below has passed. Nobody is "
            "invited automatically twice in 7 days."
        ),
    )
    delay_days = forms.IntegerField(
        label=_("Days after go-live"),
        required=False,
        initial=DELAY_DAYS_DEFAULT,
        help_text=_("1 to 365 days; used when sending after go-live."),
    )
    period_days = forms.IntegerField(
        label=_("Repeat every (days)"),
        required=False,
        initial=PERIOD_DAYS_DEFAULT,
        help_text=_("30 to 730 days; used by the periodic relationship survey."),
    )


class ResultsFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False, initial="180")
    segment = forms.ChoiceField(
        label=_("Segment"), choices=[("", _("All segments")), *Segment.choices], required=False
    )

    def since(self, organization: Organization) -> datetime | None:
        return self.since_for(organization, self.cleaned_data.get("period") or "180")

    @staticmethod
    def since_for(organization: Organization, period: str) -> datetime | None:
        """The start of the first of the last `period` days of the organization (None: all)."""
        if period == "all":
            return None
        start_day = organization_today(organization) - timedelta(days=int(period) - 1)
        return datetime.combine(start_day, time.min, tzinfo=ZoneInfo(organization.time_zone))


class SurveySendForm(forms.Form):
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose an active survey.")},
    )
    contact = forms.ChoiceField(label=_("Send to"))

    def __init__(self, *args, organization: Organization, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["survey"].queryset = Survey.objects.filter(
            organization=organization, active=True
        ).order_by("name")
        self.contacts = list(contacts_messageable(organization=organization, account=account))
        self.fields["contact"].choices = [
            (ALL_CONTACTS, _("All contacts who accept messages")),
            *[(str(contact.pk), contact.name) for contact in self.contacts],
        ]

    def chosen_contacts(self) -> list[Contact]:
        value = self.cleaned_data["contact"]
        if value == ALL_CONTACTS:
            return self.contacts
        return [contact for contact in self.contacts if str(contact.pk) == value]


class AnswerForm(forms.Form):
    score = forms.IntegerField(
        error_messages={
            "required": _("Tap a score."),
            "invalid": _("Tap a score."),
        }
    )
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
