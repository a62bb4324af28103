"""Tenancy: organizations, people, roles, API keys and the audit trail.

Invariants (DESIGN.md, Tenancy):
- Every tenant-owned row inherits `TenantModel`: a direct `organization` column and a
  django-scopes `ScopedManager`, so a query outside an active scope raises instead of
  returning another tenant's rows. tests/tenancy/test_tenant_models.py enforces this.
- Control-plane models (User, Organization, Membership, Invitation) are global: they are how
  a request *finds* its organization, so they are always queried by user, token or an
  explicit organization.
- Secrets (API keys, invitation tokens) are stored as SHA-256 hashes of >= 128-bit random
  values; the clear value is shown once.
"""

from __future__ import annotations

import zoneinfo
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with an email; belongs to organizations through Memberships."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]


class Organization(models.Model):
    """The tenant: a SaaS vendor whose CS team uses Jornada."""

    class Locale(models.TextChoices):
        EN = "en", _("English")
        PT_BR = "pt-br", _("Portuguese (Brazil)")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="America/Sao_Paulo"
    )
    currency = models.CharField(_("currency"), max_length=3, default="BRL")
    locale = models.CharField(_("language"), max_length=8, choices=Locale, default=Locale.PT_BR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="organization_currency_iso"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """Membership roles, from least to most powerful (see ROLE_RANK)."""

    VIEWER = "viewer", _("Viewer")
    CSM = "csm", _("CSM")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")
    OWNER = "owner", pgettext_lazy("role", "Owner")


ROLE_RANK = {Role.VIEWER: 0, Role.CSM: 1, Role.MANAGER: 2, Role.ADMIN: 3, Role.OWNER: 4}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


class Membership(models.Model):
    """A user's seat in an organization (control plane: global, always filtered explicitly)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.CSM)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user"),
            models.UniqueConstraint(fields=["organization", "id"], name="membership_unique_org_id"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def has_role(self, minimum: str) -> bool:
        return role_at_least(self.role, minimum)


class TenantModel(models.Model):
    """Base of every tenant-owned row: the organization column and the fail-closed manager."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(organization="organization")

    class Meta:
        abstract = True


class ApiKey(TenantModel):
    """An integration's credential: `jor_<prefix>_<secret>`, stored as prefix + SHA-256."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope, default=Scope.READ)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="apikey_unique_org_id"),
            models.UniqueConstraint(fields=["organization", "prefix"], name="apikey_unique_prefix"),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="apikey_org_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class Invitation(TenantModel):
    """An emailed invitation to join an organization; single use, expiring, token hashed.

    Looked up by token only through `invitation_get_by_token_unscoped` (the accept link
    arrives before the organization is known).
    """

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.CSM)
    token_hash = models.CharField(max_length=64, db_index=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "token_hash"], name="invitation_unique_token"
            ),
            # One open invitation per address and organization.
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_unique_open_email",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class AuditEvent(TenantModel):
    """Who changed what, with before/after (DESIGN.md, Tenancy)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_created"),
            models.Index(
                fields=["organization", "target_type", "target_id"], name="audit_org_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class IdempotencyRecord(TenantModel):
    """A POST answered under an `Idempotency-Key`: a retry with the same key and body gets
    the stored answer instead of creating twice. Kept 24 hours (purged by beat)."""

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="idempotency_unique_key"),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="idempotency_org_created")
        ]

    def __str__(self) -> str:
        return self.key


class ScheduledAction(TenantModel):
    """Work due later than a minute from now: an outbox row, never a Celery countdown.

    Written in the same transaction as its cause (e.g. a go-live date), unique per
    (organization, kind, subject), so a cause written twice moves one row instead of adding a
    second. The life of a row and who moves it is in tenancy/scheduled.py (DESIGN.md, Jobs).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ENQUEUED = "enqueued", _("Enqueued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        DEAD = "dead", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=64)
    subject = models.CharField(_("subject"), max_length=100)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scheduled action")
        verbose_name_plural = _("scheduled actions")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "subject"], name="scheduledaction_unique_subject"
            ),
        ]
        indexes = [
            # The dispatcher's and the reaper's claims: status, then time.
            models.Index(
                fields=["organization", "status", "due_at"], name="scheduledaction_org_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.subject}"
