"""My day for a CSM with a big book: 2,000 accounts (times BENCH_SCALE), two open tasks and a
follow-up each, half of them red. Target: well under a second for the whole page."""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from accounts.models import Account, HealthBand
from lifecycle.models import FollowUp, Task
from tenancy.models import Membership, Organization, Role, User

SLUG = "bench-my-day"


def _scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def _ensure_data(count: int) -> Membership:
    organization, _created = Organization.objects.get_or_create(
        slug=SLUG, defaults={"name": "Bench My Day"}
    )
    user, _created = User.objects.get_or_create(email="csm@bench-my-day.test")
    membership, _created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": Role.CSM}
    )
    with scope(organization=organization):
        have = Account.objects.filter(organization=organization, owner=membership).count()
        if have >= count:
            return membership
        started = time.perf_counter()
        now = timezone.now()
        today = timezone.localdate()
        accounts = Account.objects.bulk_create(
            [
                Account(
                    organization=organization,
                    owner=membership,
                    name=f"Bench account {index:06d}",
                    health_band=HealthBand.RED if index % 2 else HealthBand.GREEN,
                    health_score=20 if index % 2 else 80,
                    arr_cents=index * 1000,
                    go_live_date=today - timedelta(days=index % 10),
                )
                for index in range(have, count)
            ],
            batch_size=2000,
        )
        Task.objects.bulk_create(
            [
                Task(
                    organization=organization,
                    account=account,
                    assignee=membership,
                    title=f"Task {account.pk}-{offset}",
                    kind="call",
                    due_at=now + timedelta(days=offset),
                )
                for account in accounts
                for offset in (-3, 0)
            ],
            batch_size=2000,
        )
        FollowUp.objects.bulk_create(
            [
                FollowUp(
                    organization=organization,
                    account=account,
                    go_live_date=account.go_live_date,
                    due_date=account.go_live_date + timedelta(days=7),
                    status="open",
                )
                for account in accounts
            ],
            batch_size=2000,
        )
        print(f"  data ready: {count} accounts in {time.perf_counter() - started:.1f} s")
    return membership


def run():
    count = int(2_000 * _scale())
    membership = _ensure_data(count)
    browser = Client()
    browser.force_login(membership.user)
    browser.get("/my-day/")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = browser.get("/my-day/")
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"My day answered {response.status_code}")
    return [
        {"name": "my_day_page_ms", "value": round(statistics.median(times), 1), "unit": "ms"},
        {"name": "my_day_page_queries", "value": len(queries), "unit": "queries"},
        {"name": "my_day_book_accounts", "value": count, "unit": "accounts"},
    ]
