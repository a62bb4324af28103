"""Demo health data: ~120 days of events for the demo organization's accounts, written
set-based straight into events and rollups, then a full recompute and 90 days of snapshots.

Profiles (by account position): healthy, declining, support-heavy, overdue invoice, churned
(quiet since churn). Idempotent: an organization that already has events is left alone. Prints nothing: the
seed command's first output line is its summary (tests/accounts/test_seed_demo.py).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import Account, Contact
from healthscore import recompute, services
from healthscore.ingest import rollups_add
from healthscore.models import Event, HealthModel
from healthscore.sql import bulk_upsert
from tenancy.models import Organization

DAYS = 120
# Larger organizations (benchmarks) bring their own data.
MAX_ACCOUNTS = 5_000
FEATURES = ("reports", "dashboards", "export", "api", "automations")


def _profile(index: int, account: Account) -> str:
    if account.churned_at is not None or account.stage == "churned":
        return "churned"
    return ("healthy", "healthy", "declining", "support", "healthy", "overdue", "healthy", "quiet")[
        index % 8
    ]


def seed_health_demo(*, organization: Organization, stdout=None) -> int:
    if Event.objects.filter(organization=organization).exists():
        return 0
    if Account.objects.filter(organization=organization).count() > MAX_ACCOUNTS:
        return 0
    rng = random.Random(organization.pk)  # noqa: S311 — demo data, not security
    tz = ZoneInfo(organization.time_zone)
    today = recompute.organization_today(organization)
    accounts = list(Account.objects.filter(organization=organization).order_by("id"))
    contacts: dict[int, list[int]] = {}
    for contact_id, account_id in Contact.objects.filter(organization=organization).values_list(
        "id", "account_id"
    ):
        contacts.setdefault(account_id, []).append(contact_id)
    rows: list[tuple] = []
    now = datetime.now(UTC)
    serial = 0
    for index, account in enumerate(accounts):
        profile = _profile(index, account)
        churn_day = (
            account.churned_at.astimezone(tz).date()
            if account.churned_at
            else today - timedelta(days=45)
        )
        features = FEATURES[: 2 + index % 4]
        people = contacts.get(account.pk, [])
        for offset in range(DAYS, -1, -1):
            day = today - timedelta(days=offset)
            age = DAYS - offset
            if profile == "churned" and day >= churn_day:
                continue
            activity = {
                "healthy": 3,
                "declining": 3 if offset > 45 else max(0, 3 - (45 - offset) // 8),
                "support": 2 if offset > 30 else 1,
                "overdue": 2,
                "quiet": 1 if offset > 60 else 0,
                "churned": max(0, 2 - age // 40),
            }[profile]
            if day.weekday() >= 5:
                activity //= 2
            events: list[tuple[str, int | None]] = []
            logins = rng.randint(activity - 1, activity + 1) if activity else 0
            for _ in range(max(0, logins)):
                events.append(("login", rng.choice(people) if people else None))
                if rng.random() < 0.7:
                    events.append((f"feature.{rng.choice(features)}", None))
            if (
                profile == "support" and offset < 40 and rng.random() < 0.35
            ) or rng.random() < 0.03:
                events.append(("ticket.opened", None))
            if profile != "support" and rng.random() < 0.03:
                events.append(("ticket.closed", None))
            if day.day == 5:
                late = profile == "overdue" and offset < 35
                events.append(("invoice.overdue" if late else "invoice.paid", None))
            for name, contact_id in events:
                serial += 1
                moment = datetime.combine(
                    day, time(rng.randint(8, 19), rng.randint(0, 59)), tzinfo=tz
                )
                rows.append(
                    (
                        organization.pk,
                        account.pk,
                        contact_id,
                        name,
                        moment,
                        day,
                        1.0,
                        {},
                        f"demo-{account.pk}-{serial}",
                        now,
                    )
                )
    with transaction.atomic():
        bulk_upsert(
            Event._meta.db_table,
            [
                ("organization_id", "bigint"),
                ("account_id", "bigint"),
                ("contact_id", "bigint"),
                ("name", "text"),
                ("occurred_at", "timestamptz"),
                ("day", "date"),
                ("quantity", "float8"),
                ("properties", "jsonb"),
                ("idempotency_key", "text"),
                ("received_at", "timestamptz"),
            ],
            rows,
            on_conflict="ON CONFLICT (organization_id, idempotency_key) DO NOTHING",
        )
        rollups_add(organization=organization, rows=rows)
        if not HealthModel.objects.filter(organization=organization).exists():
            HealthModel.objects.create(
                organization=organization,
                version=1,
                key_features=list(FEATURES),
                weights={},
                thresholds={},
            )
    services.health_snapshots_backfill(organization=organization, days=90)
    services.health_score_recompute(organization=organization)
    from healthscore.models import HealthDirty

    HealthDirty.objects.filter(organization=organization).delete()
    return len(rows)
