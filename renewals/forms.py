"""Forms of the renewals pages; `RetentionQueryForm` also parses the report API's query."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Segment
from renewals import retention
from renewals.models import (
    MAX_ARR_CENTS,
    MAX_SEATS,
    OPEN_STAGES,
    ContractKind,
    ContractStatus,
    OpportunityStage,
)
from tenancy.ids import id_parse
from tenancy.models import Membership, Organization

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PRESETS = (
    ("last_month", _("Last month")),
    ("last_quarter", _("Last quarter")),
    ("last_12_months", _("Last 12 months")),
    ("year_to_date", _("Year to date")),
)


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """[start, end) of a preset, in whole months, ending at the first day of this month
    (year to date: up to today, exclusive)."""
    this_month = today.replace(day=1)
    if preset == "last_month":
        return retention.add_months(this_month, -1), this_month
    if preset == "last_quarter":
        quarter = this_month.replace(month=(this_month.month - 1) // 3 * 3 + 1)
        return retention.add_months(quarter, -3), quarter
    if preset == "year_to_date":
        start = date(today.year, 1, 1)
        return start, max(today, start + timedelta(days=1))
    return retention.add_months(this_month, -12), this_month


class RetentionQueryForm(forms.Form):
    """start/end (the period [start, end)), optional segment and owner (member id), and for
    series the interval and basis. Missing dates default to the last 12 whole months."""

    preset = forms.ChoiceField(label=_("Preset"), choices=[("", "—"), *PRESETS], required=False)
    start = forms.DateField(label=_("Start (inclusive)"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=_("End (exclusive)"), required=False, widget=DATE_INPUT)
    segment = forms.ChoiceField(
        label=_("Segment"), choices=[("", _("All segments")), *Segment.choices], required=False
    )
    owner = forms.CharField(label=_("Owner"), required=False)
    interval = forms.ChoiceField(
        label=_("Interval"),
        choices=[
            (retention.INTERVAL_MONTH, _("Month")),
            (retention.INTERVAL_QUARTER, _("Quarter")),
        ],
        required=False,
    )
    basis = forms.ChoiceField(
        label=_("Basis"),
        choices=[
            (retention.BASIS_PERIOD, _("Period (cohort at each period's start)")),
            (retention.BASIS_TRAILING12, _("Trailing twelve months")),
        ],
        required=False,
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[
            ("", _("All")),
            *[(c, retention.CATEGORY_LABELS[c]) for c in retention.PERIOD_CATEGORIES],
        ],
        required=False,
    )

    def __init__(self, *args, organization: Organization, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.today = today
        self.owner_membership: Membership | None = None

    def clean_owner(self):
        value = (self.cleaned_data.get("owner") or "").strip()
        if not value:
            return None
        pk = id_parse(value)
        membership = (
            Membership.objects.filter(organization=self.organization, pk=pk)
            .select_related("user")
            .first()
            if pk is not None
            else None
        )
        if membership is None:
            raise forms.ValidationError(
                _("No member of this organization has the id %(value)s."),
                code="unknown_owner",
                params={"value": value[:40]},
            )
        self.owner_membership = membership
        return membership.pk

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if self.errors:
            return data
        if data.get("preset"):
            start, end = preset_period(data["preset"], self.today)
        elif start is None and end is None:
            start, end = preset_period("last_12_months", self.today)
        elif start is None or end is None:
            missing = "start" if start is None else "end"
            self.add_error(missing, _("Give both a start and an end date."))
            return data
        if start >= end:
            self.add_error("end", _("The end date must be after the start date."))
        elif (end - start).days > retention.MAX_PERIOD_DAYS:
            self.add_error("end", _("A period cannot span more than 10 years."))
        data["start"], data["end"] = start, end
        data["interval"] = data.get("interval") or retention.INTERVAL_MONTH
        data["basis"] = data.get("basis") or retention.BASIS_PERIOD
        return data

    def filters(self) -> retention.RetentionFilters:
        return retention.RetentionFilters(
            segment=self.cleaned_data.get("segment") or "",
            owner_id=self.cleaned_data.get("owner"),
        )


class ContractForm(forms.Form):
    """A contract's fields; ARR is typed in currency units (e.g. 12000.00) and stored in cents.
    The service checks the rules (dates, overlaps); its errors are shown on the fields."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ContractKind.choices)
    start_date = forms.DateField(label=_("Start date"), widget=DATE_INPUT)
    end_date = forms.DateField(
        label=_("End date"),
        widget=DATE_INPUT,
        help_text=_("Exclusive: the first day the contract no longer covers."),
    )
    arr = forms.DecimalField(
        label=_("ARR"),
        min_value=0,
        max_value=MAX_ARR_CENTS // 100,
        decimal_places=2,
        help_text=_("Annual recurring revenue of this contract, in the organization's currency."),
    )
    seats = forms.IntegerField(label=_("Seats"), min_value=0, max_value=MAX_SEATS, initial=0)
    plan = forms.CharField(label=_("Plan"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=ContractStatus.choices, initial=ContractStatus.ACTIVE
    )

    def __init__(self, *args, organization: Organization, account: Account, instance=None, **kw):
        if instance is not None and "initial" not in kw:
            kw["initial"] = {
                "kind": instance.kind,
                "start_date": instance.start_date,
                "end_date": instance.end_date,
                "arr": instance.arr_cents / 100,
                "seats": instance.seats,
                "plan": instance.plan,
                "status": instance.status,
            }
        super().__init__(*args, **kw)
        self.organization = organization
        self.account = account

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            self.add_error(
                "end_date", _("The end date must be after the start date (it is exclusive).")
            )
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["arr_cents"] = round(data.pop("arr") * 100)
        return data


class RenewalCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (OpportunityStage.RENEWED, _("Renewed")),
            (OpportunityStage.DOWNSELL, _("Downsell (renewed at a lower ARR)")),
            (OpportunityStage.CHURNED, _("Churned (no renewal)")),
        ],
    )
    end_date = forms.DateField(
        label=_("New end date"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Empty: the same term as the current contract."),
    )
    arr = forms.DecimalField(
        label=_("New ARR"),
        required=False,
        min_value=0,
        max_value=MAX_ARR_CENTS // 100,
        decimal_places=2,
        help_text=_("Empty: the current ARR."),
    )
    seats = forms.IntegerField(label=_("Seats"), required=False, min_value=0, max_value=MAX_SEATS)


class OpportunityStageForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[(stage.value, stage.label) for stage in OPEN_STAGES],
    )


class ExpansionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    amount = forms.DecimalField(
        label=_("Expected ARR increase"),
        min_value=0,
        max_value=MAX_ARR_CENTS // 100,
        decimal_places=2,
    )
    expected_close_date = forms.DateField(
        label=_("Expected close"), required=False, widget=DATE_INPUT
    )


class ExpansionCreateForm(ExpansionForm):
    """From the expansion pipeline page: the account is chosen by external ID or name."""

    account = forms.CharField(
        label=_("Account"), help_text=_("The account's external ID, or its exact name.")
    )

    field_order = ["account", "title", "amount", "expected_close_date"]

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_account(self):
        value = self.cleaned_data["account"].strip()
        accounts = Account.objects.filter(organization=self.organization)
        account = accounts.filter(external_id=value).first() if value else None
        if account is None:
            matches = list(accounts.filter(name__iexact=value)[:2])
            account = matches[0] if len(matches) == 1 else None
        if account is None:
            raise forms.ValidationError(
                _("No account with the external ID or name “%(value)s”."),
                params={"value": value[:100]},
                code="unknown_account",
            )
        return account


class ExpansionCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (OpportunityStage.WON, _("Won: add an add-on contract")),
            (OpportunityStage.LOST, _("Lost")),
        ],
    )
    start_date = forms.DateField(
        label=_("Add-on start"), required=False, widget=DATE_INPUT, help_text=_("Empty: today.")
    )
    end_date = forms.DateField(
        label=_("Add-on end"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Empty: co-terminate with the current base contract."),
    )
    arr = forms.DecimalField(
        label=_("Add-on ARR"),
        required=False,
        min_value=0,
        max_value=MAX_ARR_CENTS // 100,
        decimal_places=2,
        help_text=_("Empty: the opportunity's amount."),
    )
    seats = forms.IntegerField(label=_("Seats"), required=False, min_value=0, max_value=MAX_SEATS)
    plan = forms.CharField(label=_("Plan / add-on name"), required=False, max_length=100)


class RenewalSettingsForm(forms.Form):
    renewal_window_days = forms.IntegerField(
        label=_("Renewal window (days)"),
        min_value=30,
        max_value=180,
        help_text=_("A renewal opportunity opens when a contract ends within this many days."),
    )


class PipelineFilterForm(forms.Form):
    owner = forms.CharField(required=False)
    segment = forms.ChoiceField(choices=[("", _("All segments")), *Segment.choices], required=False)
    stage = forms.ChoiceField(
        choices=[("", _("All open stages")), *[(s.value, s.label) for s in OPEN_STAGES]],
        required=False,
    )
