"""Forms of the stage engine's pages: manual stage change, board filters, lifecycle settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Segment, Stage
from lifecycle.services.stages import REASON_MAX


class StageChangeForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("New stage"), choices=Stage.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required. The stage holds until someone releases it; the rules leave it alone."
        ),
        error_messages={"required": _("Say why the stage changes.")},
    )

    def clean_reason(self):
        value = self.cleaned_data["reason"].strip()
        if not value:
            raise forms.ValidationError(_("Say why the stage changes."), code="required")
        return value


class BoardFilterForm(forms.Form):
    owner = forms.CharField(label=_("Owner"), required=False)
    segment = forms.ChoiceField(
        label=_("Segment"), required=False, choices=[("", _("All segments")), *Segment.choices]
    )


class LifecycleSettingsForm(forms.Form):
    renewal_window_days = forms.IntegerField(
        label=_("Renewal window (days)"),
        min_value=30,
        max_value=180,
        help_text=_(
            "A contract ending within this many days puts the account in renewal and opens its "
            "renewal opportunity (30-180; shared with the renewal settings)."
        ),
    )
    onboarding_overdue_days = forms.IntegerField(
        label=_("Onboarding overdue after (days)"), min_value=14, max_value=365
    )
    adoption_months = forms.IntegerField(
        label=_("Adoption lasts (months)"), min_value=1, max_value=36
    )
    advocacy_min_tenure_months = forms.IntegerField(
        label=_("Advocacy needs a tenure of (months)"), min_value=0, max_value=60
    )
    promoter_lookback_days = forms.IntegerField(
        label=_("A promoter answer counts for (days)"), min_value=30, max_value=365
    )
    renewal_inactivity_days = forms.IntegerField(
        label=_("Renewal without activity flagged within (days of the end)"),
        min_value=7,
        max_value=180,
    )
    followup_days = forms.IntegerField(
        label=_("Follow-up after go-live within (days)"), min_value=1, max_value=14
    )
