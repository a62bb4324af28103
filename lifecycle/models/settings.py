"""Per-organization lifecycle settings: stage windows, SLA timers and the follow-up delay.

The renewal window is not here: it is renewals' `RenewalSettings.renewal_window_days` (one
number drives both the renewal opportunity and the renewal stage).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantModel


class LifecycleSettings(TenantModel):
    """One row per organization (created on first write; reads fall back to the defaults)."""

    followup_days = models.PositiveSmallIntegerField(
        _("follow-up within (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
        help_text=_("The proactive contact after go-live is due within this many days (1-14)."),
    )
    onboarding_overdue_days = models.PositiveSmallIntegerField(
        _("onboarding overdue after (days)"),
        default=90,
        validators=[MinValueValidator(14), MaxValueValidator(365)],
    )
    adoption_months = models.PositiveSmallIntegerField(
        _("adoption lasts (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )
    advocacy_min_tenure_months = models.PositiveSmallIntegerField(
        _("advocacy needs a tenure of (months)"),
        default=12,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
    )
    promoter_lookback_days = models.PositiveSmallIntegerField(
        _("promoter answer counts for (days)"),
        default=180,
        validators=[MinValueValidator(30), MaxValueValidator(365)],
    )
    renewal_inactivity_days = models.PositiveSmallIntegerField(
        _("renewal without activity flagged after (days)"),
        default=60,
        validators=[MinValueValidator(7), MaxValueValidator(180)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lifecycle settings")
        verbose_name_plural = _("lifecycle settings")
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="lifecyclesettings_one_per_org"),
            models.CheckConstraint(
                condition=Q(followup_days__gte=1) & Q(followup_days__lte=14),
                name="lifecyclesettings_followup_range",
            ),
        ]

    def __str__(self) -> str:
        return f"lifecycle settings of {self.organization_id}"
