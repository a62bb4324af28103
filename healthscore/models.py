"""Usage events, their daily rollups, the per-organization health model and scores.

Invariants (DESIGN.md, healthscore):
- `Event` is unique per (organization, idempotency_key): a retried batch stores nothing twice.
  An event sent without a key gets a generated one (`auto-<uuid>`), so it is always stored.
- `EventDaily` holds, per (organization, account, day, name), the count and quantity sum of the
  stored events; ingest adds exactly the rows it inserted, in the same transaction. `day` is
  the event's date in the organization's time zone.
- `HealthModel` rows are versions: a change inserts a new row and deactivates the old one; at
  most one active row per organization. No row means the default model (version 0).
- `HealthScore` is the current score per account; `HealthSnapshot` one row per account and day;
  `HealthAlert` one row per (account, kind, day) so a recompute that runs twice alerts once.
- `HealthDirty` marks accounts whose inputs changed since their last recompute; the sweeper
  deletes (claims) the rows in the transaction that recomputes them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, HealthBand
from tenancy.models import Organization, TenantModel


class Event(TenantModel):
    # No single-column index on organization (here and on EventDaily, HealthDirty, HealthScore,
    # HealthSnapshot): every other index of these tables starts with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    day = models.DateField()
    quantity = models.FloatField(default=1)
    properties = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="event_unique_idempotency_key"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "account", "occurred_at"], name="event_org_acct"),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class EventKind(models.IntegerChoices):
    """The family of an event name, stored on rollups so recompute compares integers."""

    CUSTOM = 0
    LOGIN = 1
    FEATURE = 2
    TICKET_OPENED = 3
    TICKET_CLOSED = 4
    INVOICE_OVERDUE = 5
    INVOICE_PAID = 6


FIXED_KINDS = {
    "login": EventKind.LOGIN,
    "ticket.opened": EventKind.TICKET_OPENED,
    "ticket.closed": EventKind.TICKET_CLOSED,
    "invoice.overdue": EventKind.INVOICE_OVERDUE,
    "invoice.paid": EventKind.INVOICE_PAID,
}


def event_kind(name: str) -> int:
    kind = FIXED_KINDS.get(name)
    if kind is not None:
        return int(kind)
    return int(EventKind.FEATURE) if name.startswith("feature.") else int(EventKind.CUSTOM)


class EventDaily(TenantModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    name = models.CharField(max_length=100)
    kind = models.PositiveSmallIntegerField(choices=EventKind, default=EventKind.CUSTOM)
    count = models.IntegerField(default=0)
    quantity_sum = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "account", "day", "name"], name="eventdaily_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["organization", "day"], name="eventdaily_org_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.name}: {self.count}"


class ContactActivity(TenantModel):
    """The last day a contact logged in: seat utilisation without reading raw events."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    last_login_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "contact"], name="contactactivity_unique_contact"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "account", "last_login_day"], name="contactactivity_acct"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.last_login_day}"


class HealthDirty(TenantModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "account"], name="healthdirty_unique"),
        ]

    def __str__(self) -> str:
        return str(self.account_id)


class HealthModel(TenantModel):
    """One version of an organization's scoring model (see healthscore/scoring.py)."""

    version = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    weights = models.JSONField(default=dict)
    thresholds = models.JSONField(default=dict)
    key_features = models.JSONField(default=list, blank=True)
    green_min = models.PositiveSmallIntegerField(default=70)
    yellow_min = models.PositiveSmallIntegerField(default=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="healthmodel_version"),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_active=True),
                name="healthmodel_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class HealthScore(TenantModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    model_version = models.PositiveIntegerField(default=0)
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=8, choices=HealthBand)
    components = models.JSONField(default=dict)
    drivers = models.JSONField(default=list)
    adjustment = models.SmallIntegerField(default=0)
    # md5 of (version, score, band, components, drivers): a recompute writes only when it moves.
    fingerprint = models.CharField(max_length=32, default="")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "account"], name="healthscore_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score}"


class HealthSnapshot(TenantModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    model_version = models.PositiveIntegerField(default=0)
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=8, choices=HealthBand)
    components = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "account", "day"], name="healthsnapshot_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "day", "band"], name="healthsnapshot_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.score}"


class HealthAdjustment(TenantModel):
    """A CSM's manual ± points on an account's score, counted until `expires_at`."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    points = models.SmallIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=300)
    expires_at = models.DateTimeField(_("expires at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "account", "expires_at"], name="healthadj_acct"),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} {self.reason}"


class HealthAlert(TenantModel):
    class Kind(models.TextChoices):
        BAND_CHANGED = "band_changed", _("Band dropped")
        SCORE_DROPPED = "score_dropped", _("Score dropped")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind)
    day = models.DateField()
    from_band = models.CharField(max_length=8, blank=True)
    to_band = models.CharField(max_length=8, blank=True)
    from_score = models.SmallIntegerField(null=True)
    to_score = models.SmallIntegerField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "account", "kind", "day"], name="healthalert_once"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "day"], name="healthalert_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.day}"


class HistoryRecompute(TenantModel):
    """Progress of recomputing stored snapshots under a new model version (background task)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    model_version = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    days_total = models.PositiveIntegerField(default=0)
    days_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Written when claimed and after every rebuilt day; the reaper re-queues a job whose
    # heartbeat (or, while queued, creation) is older than REAP_AFTER: a lost enqueue or a
    # worker that died mid-rebuild. A rebuild is idempotent, so starting again is safe.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    REAP_AFTER = timedelta(minutes=10)
    MAX_ATTEMPTS = 5

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "model_version"], name="historyrecompute_version"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.model_version} {self.status}"


class HealthInputKind(models.TextChoices):
    SENTIMENT = "sentiment", _("Sentiment")
    OUTCOME = "outcome", _("Outcome")


class HealthInput(TenantModel):
    """A fact from another part of the product that the score reads (DESIGN.md, healthscore:
    sentiment and outcomes), written by the app that owns the fact through
    `healthscore.inputs`, so healthscore never imports the apps above it.

    - *sentiment*: one row per interaction (`subject` "followup:12", "touchpoint:34",
      later "survey:…"), `day` = the interaction's day, `value` 0 (negative) … 100 (positive).
      The component averages the rows of the last 90 days. A corrected interaction replaces
      its row; a removed one deletes it.
    - *outcome*: one row per success-plan objective and day its standing changed (`subject`
      "objective:5"), `value` 100 achieved/on track, 40 at risk, 0 missed, NULL when it no
      longer counts (deleted, plan closed). As of a day D the latest row of each subject on
      or before D counts, so the history shows what was known then.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=HealthInputKind)
    subject = models.CharField(max_length=64)
    day = models.DateField()
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "subject", "day"], name="healthinput_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__lte=100),
                name="healthinput_value_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "day"], name="healthinput_org_kind_day"),
            models.Index(fields=["organization", "account", "kind"], name="healthinput_account"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.day}: {self.value}"
