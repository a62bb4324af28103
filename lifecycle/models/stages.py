"""Stage engine rows: every stage change is a StageTransition; a manual stage is a StageHold.

Invariants:
- Account.stage / stage_entered_at are written only by lifecycle.services.stages (the engine,
  the manual change, the churn); each change inserts exactly one StageTransition in the same
  transaction, so the transitions of an account replay its stage history.
- Automatic transitions carry a reason *code* with parameters (numbers, dates) and are rendered
  in the reader's language (`reason_display`); manual ones carry the member's own words.
- At most one StageHold per account (unique (organization, account)): while it exists the
  engine leaves the account's stage alone; releasing it deletes the row and re-evaluates.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Stage
from tenancy.models import ApiKey, TenantModel


class TransitionReason(models.TextChoices):
    NOT_LIVE = "not_live", _("Not live yet")
    ONBOARDING = "onboarding", _("Onboarding until first value")
    ADOPTION = "adoption", _("Adoption period")
    RETENTION = "retention", _("Steady state")
    EXPANSION = "expansion", _("Open expansion opportunity")
    RENEWAL = "renewal", _("Contract end inside the renewal window")
    ADVOCACY = "advocacy", _("Promoter with green health")
    CHURNED = "churned", _("Churned")
    MANUAL = "manual", _("Set by hand")
    HOLD_RELEASED = "hold_released", _("Manual stage released")


class StageTransition(TenantModel):
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    from_stage = models.CharField(_("from"), max_length=16, choices=Stage)
    to_stage = models.CharField(_("to"), max_length=16, choices=Stage)
    at = models.DateTimeField(_("when"))
    automatic = models.BooleanField(_("automatic"), default=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason_code = models.CharField(_("reason"), max_length=16, choices=TransitionReason)
    reason_params = models.JSONField(default=dict, blank=True)
    reason_text = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="stagetransition_unique_org_id"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "account", "-at"], name="stagetransition_org_account"
            ),
            models.Index(fields=["organization", "-at"], name="stagetransition_org_at"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_stage} → {self.to_stage}"

    @property
    def reason_display(self) -> str:
        from lifecycle.rules import reason_render

        return reason_render(self.reason_code, self.reason_params, self.reason_text)


class StageHold(TenantModel):
    """A stage set by hand: the engine leaves the account alone until a member releases it."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+"
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage)
    reason = models.CharField(_("reason"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stage hold")
        verbose_name_plural = _("stage holds")
        constraints = [
            models.UniqueConstraint(fields=["organization", "account"], name="stagehold_one"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} held in {self.stage}"
