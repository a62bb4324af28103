"""Surveys: NPS/CSAT/CES surveys, tokenized invitations and responses (DESIGN.md, Domain >
surveys; Decisions > Surveys).

Invariants:
- A response's `score` lies in its kind's scale (NPS 0-10, CSAT 1-5, CES 1-7): the service
  validates it and a check constraint per kind backs it. `kind` is copied from the survey so
  results and the health input read one index, `(organization, kind, account, answered_at)`.
- One response per invitation: `UNIQUE(organization, invitation)` where an invitation is set
  (responses pushed through the API or recorded by hand have none). A response answered through
  its link may be edited for 24 hours after `answered_at` (the first answer), then it is final.
- An invitation's link carries a 256-bit `secrets.token_urlsafe(32)` token; only its SHA-256
  is stored (`token_hash`, unique per organization, plus a plain index for the public page's
  lookup before the organization is known: `surveys.selectors.
  survey_invitation_get_by_token_unscoped`, the app's only unscoped read).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from outreach.models import OutboundMessage
from tenancy.models import TenantModel

INVITATION_VALIDITY = timedelta(days=30)
EDIT_WINDOW = timedelta(hours=24)
COMMENT_MAX_LENGTH = 2000


class SurveyKind(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT")
    CES = "ces", _("CES")


# Inclusive (lowest, highest) score of each kind.
SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}

# The question asked when the survey does not set its own (translated at display time).
DEFAULT_QUESTIONS = {
    SurveyKind.NPS: _("How likely are you to recommend %(organization)s to a friend or colleague?"),
    SurveyKind.CSAT: _("How satisfied are you with %(organization)s?"),
    SurveyKind.CES: _("%(organization)s made it easy for me to get what I needed."),
}


class AutoTrigger(models.TextChoices):
    MANUAL = "", _("Manual only")
    AFTER_GO_LIVE = "after_go_live", _("N days after go-live")
    PERIODIC = "periodic", _("Periodic relationship survey")


# Inclusive ranges of the automatic triggers' settings (days) and their defaults.
DELAY_DAYS_RANGE = (1, 365)
DELAY_DAYS_DEFAULT = 30
PERIOD_DAYS_RANGE = (30, 730)
PERIOD_DAYS_DEFAULT = 180


class ResponseSource(models.TextChoices):
    LINK = "link", _("Survey link")
    API = "api", _("API")
    MANUAL = "manual", _("Recorded by hand")


class InvitationChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WHATSAPP = "whatsapp", _("WhatsApp")


def _scale_checks() -> list[models.CheckConstraint]:
    condition = Q()
    for kind, (low, high) in SCALES.items():
        condition |= Q(kind=kind, score__gte=low, score__lte=high)
    return [models.CheckConstraint(condition=condition, name="surveyresponse_score_in_scale")]


class Survey(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind, default=SurveyKind.NPS)
    question_en = models.CharField(
        _("question (English)"),
        max_length=300,
        blank=True,
        help_text=_("Leave empty to ask the standard question of the survey's kind."),
    )
    question_pt_br = models.CharField(
        _("question (Portuguese)"),
        max_length=300,
        blank=True,
        help_text=_("Leave empty to ask the standard question of the survey's kind."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive surveys accept no new answers.")
    )
    # Automatic sending (lifecycle schedules and sends it: lifecycle/services/survey_triggers.py).
    # At most one active survey per organization and trigger kind (partial unique constraint).
    auto_trigger = models.CharField(
        _("automatic sending"), max_length=16, choices=AutoTrigger, blank=True, default=""
    )
    delay_days = models.PositiveSmallIntegerField(
        _("days after go-live"), default=DELAY_DAYS_DEFAULT
    )
    period_days = models.PositiveSmallIntegerField(
        _("repeat every (days)"), default=PERIOD_DAYS_DEFAULT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="survey_unique_org_id"),
            models.CheckConstraint(
                condition=Q(kind__in=SurveyKind.values), name="survey_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(auto_trigger__in=AutoTrigger.values), name="survey_auto_trigger_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    delay_days__gte=DELAY_DAYS_RANGE[0], delay_days__lte=DELAY_DAYS_RANGE[1]
                ),
                name="survey_delay_days_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    period_days__gte=PERIOD_DAYS_RANGE[0], period_days__lte=PERIOD_DAYS_RANGE[1]
                ),
                name="survey_period_days_range",
            ),
            models.UniqueConstraint(
                fields=["organization", "auto_trigger"],
                condition=Q(active=True) & ~Q(auto_trigger=""),
                name="survey_one_active_per_trigger",
            ),
        ]
        indexes = [models.Index(fields=["organization", "name"], name="survey_org_name")]

    def __str__(self) -> str:
        return self.name

    def question_for(self, locale: str, organization_name: str) -> str:
        """The question in `locale` (pt-br/en): the survey's own wording, else the default."""
        own = self.question_pt_br if locale == "pt-br" else self.question_en
        own = own or self.question_en or self.question_pt_br
        if own:
            return own
        return str(DEFAULT_QUESTIONS[SurveyKind(self.kind)]) % {"organization": organization_name}


def invitation_expiry_default():
    return timezone.now() + INVITATION_VALIDITY


class SurveyInvitation(TenantModel):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("survey")
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("contact")
    )
    token_hash = models.CharField(max_length=64, db_index=True)
    # The channel outreach chose (blank while not chosen, or when the contact cannot be
    # messaged: the outbound message then says why).
    channel = models.CharField(
        _("channel"), max_length=10, choices=InvitationChannel, blank=True, default=""
    )
    expires_at = models.DateTimeField(_("expires at"), default=invitation_expiry_default)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    outbound_message = models.ForeignKey(
        OutboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="surveyinvitation_unique_org_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "token_hash"], name="surveyinvitation_unique_token"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "survey", "contact", "expires_at"],
                name="surveyinv_org_survey_contact",
            ),
            models.Index(
                fields=["organization", "account", "created_at"], name="surveyinv_org_account"
            ),
            # The 7-day cap of automatic sends: a contact's latest invitation to any survey.
            models.Index(
                fields=["organization", "contact", "created_at"], name="surveyinv_org_contact"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class SurveyResponse(TenantModel):
    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey")
    )
    # One response per invitation (a partial unique constraint: unique=True would not start
    # with the organization).
    invitation = models.ForeignKey(
        SurveyInvitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("invitation"),
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    source = models.CharField(
        _("source"), max_length=8, choices=ResponseSource, default=ResponseSource.LINK
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="surveyresponse_unique_org_id"
            ),
            models.UniqueConstraint(
                fields=["organization", "invitation"],
                condition=Q(invitation__isnull=False),
                name="surveyresponse_one_per_invitation",
            ),
            *_scale_checks(),
        ]
        indexes = [
            models.Index(
                fields=["organization", "kind", "account", "answered_at"],
                name="surveyresp_org_kind_account",
            ),
            models.Index(
                fields=["organization", "survey", "answered_at"], name="surveyresp_org_survey"
            ),
            models.Index(
                fields=["organization", "account", "answered_at"], name="surveyresp_org_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score}"

    @property
    def editable_until(self):
        return self.answered_at + EDIT_WINDOW
