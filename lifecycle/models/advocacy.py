"""Advocacy records: references, case studies, reviews, referrals and testimonials.

Invariants (DESIGN.md, Decisions: advocacy): status moves requested → agreed → done, and
requested or agreed → declined; done and declined are final (`ADVOCACY_TRANSITIONS`,
enforced by `advocacy_record_transition`). The date of each reached step is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from tenancy.models import TenantModel


class AdvocacyKind(models.TextChoices):
    REFERENCE = "reference", _("Reference")
    CASE_STUDY = "case_study", _("Case study")
    REVIEW = "review", _("Review")
    REFERRAL = "referral", _("Referral")
    TESTIMONIAL = "testimonial", _("Testimonial")


class AdvocacyStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    AGREED = "agreed", _("Agreed")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


class ReferralOutcome(models.TextChoices):
    OPEN = "open", _("In conversation")
    WON = "won", _("Became a customer")
    LOST = "lost", _("Did not buy")


ADVOCACY_TRANSITIONS: dict[str, frozenset[str]] = {
    AdvocacyStatus.REQUESTED: frozenset({AdvocacyStatus.AGREED, AdvocacyStatus.DECLINED}),
    AdvocacyStatus.AGREED: frozenset({AdvocacyStatus.DONE, AdvocacyStatus.DECLINED}),
    AdvocacyStatus.DONE: frozenset(),
    AdvocacyStatus.DECLINED: frozenset(),
}


class AdvocacyRecord(TenantModel):
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="advocacy_records",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AdvocacyKind)
    status = models.CharField(
        _("status"), max_length=16, choices=AdvocacyStatus, default=AdvocacyStatus.REQUESTED
    )
    requested_on = models.DateField(_("requested on"))
    agreed_on = models.DateField(_("agreed on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    declined_on = models.DateField(_("declined on"), null=True, blank=True)
    review_site = models.CharField(_("review site"), max_length=100, blank=True)
    referred_company = models.CharField(_("referred company"), max_length=200, blank=True)
    referral_outcome = models.CharField(
        _("referral outcome"), max_length=8, choices=ReferralOutcome, blank=True
    )
    notes = models.TextField(_("notes"), max_length=4000, blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("advocacy record")
        verbose_name_plural = _("advocacy records")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="advocacy_unique_org_id"),
            models.CheckConstraint(
                condition=models.Q(kind__in=AdvocacyKind.values), name="advocacy_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AdvocacyStatus.values), name="advocacy_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "id"], name="advocacy_org_status"),
            models.Index(fields=["organization", "kind", "id"], name="advocacy_org_kind"),
            models.Index(fields=["organization", "account", "id"], name="advocacy_org_account"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
