"""Accounts (the vendor's customers), their contacts, and background CSV imports.

Tenant rows: every query runs inside the organization scope (tenancy.models.TenantModel).
`external_id` is the integration key, unique per organization when set. Phones are E.164.
Consent is per channel with the time it was given or withdrawn (LGPD): an opted-out contact
is never messaged. An ImportJob holds an uploaded file only until a worker has imported it
(accounts/import_jobs.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import Membership, Organization, TenantModel


class Stage(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ADOPTION = "adoption", _("Adoption")
    RETENTION = "retention", _("Retention")
    EXPANSION = "expansion", _("Expansion")
    RENEWAL = "renewal", _("Renewal")
    ADVOCACY = "advocacy", _("Advocacy")
    CHURNED = "churned", _("Churned")


class Segment(models.TextChoices):
    SMB = "smb", _("SMB")
    MID_MARKET = "mid_market", _("Mid-market")
    ENTERPRISE = "enterprise", _("Enterprise")
    STRATEGIC = "strategic", _("Strategic")


class HealthBand(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Account(TenantModel):
    """A customer of the tenant.

    `health_*` are written by healthscore's recompute and `arr_cents`/`renewal_date` by
    renewals (higher apps may write a lower app's columns; these copies let the account list,
    board and at-risk views filter and sort without joining upward).
    """

    # No single-column index on organization: every other index of this table starts with it,
    # and each one costs every stage move and health band change (100k-account benchmarks).
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(
        _("external ID"),
        max_length=100,
        blank=True,
        help_text=_("Your system's identifier for this customer; integrations use it."),
    )
    owner = models.ForeignKey(
        Membership,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_accounts",
    )
    segment = models.CharField(_("segment"), max_length=16, choices=Segment, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    go_live_date = models.DateField(_("go-live date"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage, default=Stage.ONBOARDING)
    stage_entered_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    churned_at = models.DateTimeField(_("churned at"), null=True, blank=True)
    health_score = models.PositiveSmallIntegerField(_("health score"), null=True, blank=True)
    health_band = models.CharField(_("health"), max_length=8, choices=HealthBand, blank=True)
    health_computed_at = models.DateTimeField(null=True, blank=True)
    arr_cents = models.BigIntegerField(_("ARR"), default=0)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="account_unique_org_id"),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="account_unique_external_id",
            ),
        ]
        indexes = [
            # Each list sort is (organization, key, id) so a page is an index range scan.
            models.Index(fields=["organization", "name", "id"], name="account_org_name"),
            models.Index(fields=["organization", "stage", "name"], name="account_org_stage"),
            models.Index(fields=["organization", "owner", "name"], name="account_org_owner"),
            models.Index(fields=["organization", "segment", "name"], name="account_org_segment"),
            models.Index(fields=["organization", "go_live_date", "id"], name="account_org_golive"),
            models.Index(fields=["organization", "updated_at", "id"], name="account_org_updated"),
            models.Index(fields=["organization", "health_band", "name"], name="account_org_band"),
            models.Index(fields=["organization", "health_score", "id"], name="account_org_score"),
            models.Index(fields=["organization", "arr_cents", "id"], name="account_org_arr"),
            models.Index(fields=["organization", "renewal_date", "id"], name="account_org_renewal"),
        ]

    def __str__(self) -> str:
        return self.name


class Consent(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked")
    OPTED_IN = "opted_in", _("Opted in")
    OPTED_OUT = "opted_out", _("Opted out")


class Contact(TenantModel):
    class ContactRole(models.TextChoices):
        CHAMPION = "champion", _("Champion")
        EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")
        ADMIN = "admin", _("Admin")
        USER = "user", _("User")

    class Locale(models.TextChoices):
        EN = "en", _("English")
        PT_BR = "pt-br", _("Portuguese (Brazil)")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole, default=ContactRole.USER)
    locale = models.CharField(_("language"), max_length=8, choices=Locale, default=Locale.PT_BR)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    email_consent = models.CharField(
        _("email consent"), max_length=10, choices=Consent, default=Consent.UNKNOWN
    )
    email_consent_at = models.DateTimeField(null=True, blank=True)
    whatsapp_consent = models.CharField(
        _("WhatsApp consent"), max_length=10, choices=Consent, default=Consent.UNKNOWN
    )
    whatsapp_consent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="contact_unique_org_id"),
            # Re-importing contacts updates by (account, email).
            models.UniqueConstraint(
                fields=["organization", "account", "email"],
                condition=~models.Q(email=""),
                name="contact_unique_account_email",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "account", "name"], name="contact_org_account"),
            models.Index(fields=["organization", "email"], name="contact_org_email"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", _("Accounts")
    CONTACTS = "contacts", _("Contacts")


class ImportJob(TenantModel):
    """A CSV import run by a worker; its life cycle is accounts/import_jobs.py's contract.

    `content` is the uploaded file, kept in the database so a worker on another host can read
    it, and emptied once the job is done or failed. `report` is the serialized ImportReport.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # The worker's hard time limit (accounts.tasks.import_job_run_task). Celery kills a task
    # that reaches it, so a job still running well past it has lost its worker.
    TIME_LIMIT = timedelta(minutes=15)
    STALE_AFTER = TIME_LIMIT + timedelta(minutes=1)

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    content = models.BinaryField(default=b"", editable=False)
    # The uploader's language when the job was created: row messages are written in it.
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    report = models.JSONField(null=True, blank=True, editable=False)
    error_message = models.CharField(max_length=500, blank=True)
    # Claims so far: a job whose worker died is claimed again at most once (import_jobs.py).
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="importjob_unique_org_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="importjob_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def is_stalled(self) -> bool:
        """Running for longer than any worker may run it: its worker died (see STALE_AFTER)."""
        return (
            self.status == self.Status.RUNNING
            and self.started_at is not None
            and self.started_at < timezone.now() - self.STALE_AFTER
        )

    @property
    def is_saving(self) -> bool:
        """Every row is checked; the one write transaction is under way."""
        return self.status == self.Status.RUNNING and 0 < self.rows_total <= self.rows_checked
