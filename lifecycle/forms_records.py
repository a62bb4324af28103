"""Forms of the touchpoint, success plan and advocacy pages. They parse input; the services
validate the rules (contact of the account, dates, transitions) and the views copy their errors
onto the form (`tenancy.views_base.errors_apply`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from lifecycle.models.advocacy import AdvocacyKind, AdvocacyStatus, ReferralOutcome
from lifecycle.models.success import MetricAggregate, MetricWindow, SuccessPlanStatus
from lifecycle.models.touchpoints import (
    SUMMARY_MAX_LENGTH,
    Sentiment,
    TouchpointChannel,
    TouchpointDirection,
)
from tenancy.models import Membership, Organization, Role

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _contacts(organization: Organization, account: Account):
    return Contact.objects.filter(organization=organization, account=account).order_by("name")


class TouchpointForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=TouchpointChannel.choices)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=TouchpointDirection.choices,
        initial=TouchpointDirection.OUTBOUND,
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False, empty_label="—"
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        error_messages={"required": _("Give the date and time it happened.")},
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), choices=[("", "—"), *Sentiment.choices], required=False
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write what happened.")},
    )

    def __init__(self, *args, organization: Organization, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(organization.time_zone)
        self.fields["contact"].queryset = _contacts(organization, account)
        if not self.is_bound and "occurred_at" not in self.initial:
            self.initial["occurred_at"] = timezone.localtime(timezone.now(), self.zone).strftime(
                DATETIME_FORMAT
            )

    def clean_occurred_at(self) -> datetime:
        value = self.cleaned_data["occurred_at"]
        # The browser sends the organization's wall-clock time without an offset.
        wall = timezone.localtime(value).replace(tzinfo=None)
        return timezone.make_aware(wall, self.zone)


class SuccessPlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=Membership.objects.none(), required=False, empty_label="—"
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=SuccessPlanStatus.choices, initial=SuccessPlanStatus.ACTIVE
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = (
            Membership.objects.filter(organization=organization)
            .exclude(role=Role.VIEWER)
            .select_related("user")
            .order_by("user__name", "user__email")
        )
        owner.label_from_instance = lambda m: m.user.display_name


class ObjectiveForm(forms.Form):
    title = forms.CharField(label=_("Objective"), max_length=200)
    metric = forms.CharField(
        label=_("Metric"),
        max_length=200,
        help_text=_("What is measured, in words (e.g. weekly reports created)."),
    )
    baseline = forms.FloatField(label=_("Baseline"), min_value=-1e12, max_value=1e12)
    target = forms.FloatField(label=_("Target"), min_value=-1e12, max_value=1e12)
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE_INPUT)
    due_date = forms.DateField(
        label=_("Due date"),
        widget=DATE_INPUT,
        error_messages={"required": _("Give a due date.")},
    )
    current_value = forms.FloatField(
        label=_("Current value"),
        required=False,
        min_value=-1e12,
        max_value=1e12,
        help_text=_("Leave empty for a bound objective: its value comes from the events."),
    )
    metric_event = forms.CharField(
        label=_("Bind to event"),
        max_length=100,
        required=False,
        help_text=_("An event name such as feature.reports; empty to type the value by hand."),
    )
    metric_window = forms.ChoiceField(
        label=_("Window"), choices=[("", "—"), *MetricWindow.choices], required=False
    )
    metric_aggregate = forms.ChoiceField(
        label=_("Measure"), choices=[("", "—"), *MetricAggregate.choices], required=False
    )

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("start_date") is None:
            data.pop("start_date", None)
        return data


class AdvocacyRecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AdvocacyKind.choices)
    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False, empty_label="—"
    )
    requested_on = forms.DateField(label=_("Requested on"), required=False, widget=DATE_INPUT)
    review_site = forms.CharField(
        label=_("Review site"), max_length=100, required=False, help_text=_("For reviews.")
    )
    referred_company = forms.CharField(
        label=_("Referred company"), max_length=200, required=False, help_text=_("For referrals.")
    )
    referral_outcome = forms.ChoiceField(
        label=_("Referral outcome"),
        choices=[("", "—"), *ReferralOutcome.choices],
        required=False,
    )
    link = forms.URLField(label=_("Link"), max_length=500, required=False, assume_scheme="https")
    notes = forms.CharField(
        label=_("Notes"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, organization: Organization, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = _contacts(organization, account)

    def service_fields(self) -> dict:
        """The cleaned data without an empty `requested_on`: the service then keeps the stored
        day (edit) or takes today (create)."""
        data = dict(self.cleaned_data)
        if data.get("requested_on") is None:
            data.pop("requested_on", None)
        return data


class AdvocacyTransitionForm(forms.Form):
    status = forms.ChoiceField(choices=AdvocacyStatus.choices)
    on = forms.DateField(required=False, widget=DATE_INPUT)


class AdvocacyFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *AdvocacyKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All statuses")), *AdvocacyStatus.choices],
        required=False,
    )
