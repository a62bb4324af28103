"""Health scoring at scale: 100k accounts, 10M events over 120 days (BENCH_SCALE scales both).

Data lives in its own organization (slug `bench-health`), generated set-based with
generate_series on PostgreSQL and reused when present. Figures:
- health.ingest_events_per_s: POST /api/v1/events/ through the test client with real JSON
  bodies, 10 batches of 10,000 new events, after one read of the event and rollup indexes
  (a running server has them cached; a cold one measures the disk);
- health.full_recompute_first_s: the first full recompute (every score written);
- health.full_recompute_s: a full recompute after the ingest (reads every rollup, writes the
  scores that moved);
- health.full_recompute_unchanged_s: the same again with nothing new (reads, writes nothing);
- health.dirty_recompute_1000_s: the sweeper's work for 1,000 dirty accounts;
- health.naive_ratio: the same full recompute done the naive way (ORM loop per account,
  timed on a 2,000-account sample, scaled up) / health.full_recompute_s;
- health.recompute_peak_rss_mib: peak RSS of a process that runs one full recompute.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import timedelta

SLUG = "bench-health"
DAYS = 120
NAMES = [
    "login",
    "login",
    "login",
    "feature.reports",
    "feature.export",
    "feature.api",
    "ticket.opened",
    "ticket.closed",
    "invoice.paid",
    "feature.alerts",
]


def _scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def _organization():
    from django.db import connection, transaction
    from django_scopes import scope

    from healthscore.models import HealthModel
    from tenancy.models import Organization
    from tenancy.timezones import organization_today

    accounts = int(100_000 * _scale())
    events = int(10_000_000 * _scale())
    organization, _ = Organization.objects.get_or_create(
        slug=SLUG, defaults={"name": "Bench Health", "time_zone": "UTC"}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM accounts_account WHERE organization_id = %s", [organization.pk]
        )
        have = cursor.fetchone()[0]
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM healthscore_eventdaily WHERE organization_id = %s)",
            [organization.pk],
        )
        have_events = cursor.fetchone()[0]
    if have == accounts and have_events:
        print(f"  data reused: {have} accounts")
        return organization
    started = time.perf_counter()
    today = organization_today(organization)
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (
            "healthscore_eventdaily",
            "healthscore_event",
            "healthscore_healthscore",
            "healthscore_healthsnapshot",
            "healthscore_healthdirty",
            "healthscore_healthalert",
            "accounts_account",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [organization.pk])
        cursor.execute(
            """
            INSERT INTO accounts_account (organization_id, name, external_id, segment, industry,
              stage, stage_entered_at, health_band, arr_cents, created_at, updated_at)
            SELECT %s, 'Bench account ' || g, 'HB-' || g, 'smb', 'Software', 'retention', now(),
              '', (g %% 50 + 1) * 100000, now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [organization.pk, accounts],
        )
        cursor.execute(
            "SELECT MIN(id) FROM accounts_account WHERE organization_id = %s", [organization.pk]
        )
        first_id = cursor.fetchone()[0]
        # Account k gets a usage level by k % 10 (0 = quiet … 9 = busy), events spread over
        # 120 days with a recent decline for a tenth of accounts.
        cursor.execute(
            """
            INSERT INTO healthscore_event (organization_id, account_id, contact_id, name,
              occurred_at, day, quantity, properties, idempotency_key, received_at)
            SELECT %(org)s, %(first)s + (g %% %(accounts)s),  NULL,
              (%(names)s::text[])[1 + (g / %(accounts)s + g) %% 10],
              d::timestamptz + interval '13 hours', d, 1, '{}'::jsonb, 'gen-' || g, now()
            FROM (
              SELECT g, (%(today)s::date - ((g / %(accounts)s) * 7 + g %% 7) %% %(days)s) AS d
              FROM generate_series(1, %(events)s) AS g
            ) s
            """,
            {
                "org": organization.pk,
                "first": first_id,
                "accounts": accounts,
                "names": NAMES,
                "today": today,
                "days": DAYS,
                "events": events,
            },
        )
        cursor.execute(
            """
            INSERT INTO healthscore_eventdaily (organization_id, account_id, day, name, kind,
              count, quantity_sum)
            SELECT organization_id, account_id, day, name,
              CASE WHEN name = 'login' THEN 1 WHEN name LIKE 'feature.%%' THEN 2
                   WHEN name = 'ticket.opened' THEN 3 WHEN name = 'ticket.closed' THEN 4
                   WHEN name = 'invoice.overdue' THEN 5 WHEN name = 'invoice.paid' THEN 6
                   ELSE 0 END,
              COUNT(*), SUM(quantity)
            FROM healthscore_event WHERE organization_id = %s
            GROUP BY organization_id, account_id, day, name
            """,
            [organization.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE healthscore_event")
        cursor.execute("ANALYZE healthscore_eventdaily")
        cursor.execute("ANALYZE accounts_account")
    with scope(organization=organization):
        if not HealthModel.objects.filter(organization=organization).exists():
            HealthModel.objects.create(
                organization=organization,
                version=1,
                key_features=["reports", "export", "api", "alerts"],
            )
    print(
        f"  data ready: {accounts} accounts, {events} events in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return organization


def _ingest(organization) -> float:
    from django.utils import timezone
    from django_scopes import scope
    from rest_framework.test import APIClient

    from tenancy.services import api_key_create

    accounts = int(100_000 * _scale())
    with scope(organization=organization):
        issued = api_key_create(organization=organization, name="bench", scope="write", actor=None)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")
    rng = random.Random(7)
    run = int(time.time())
    now = timezone.now()
    bodies = []
    for batch in range(10):
        items = [
            {
                "account": f"HB-{rng.randint(1, accounts)}",
                "name": rng.choice(NAMES[:6]),
                "occurred_at": (now - timedelta(minutes=rng.randint(1, 600))).isoformat(),
                "quantity": 1,
                "idempotency_key": f"bench-{run}-{batch}-{i}",
            }
            for i in range(10_000)
        ]
        bodies.append(json.dumps(items))
    started = time.perf_counter()
    for body in bodies:
        response = api.generic("POST", "/api/v1/events/", body, content_type="application/json")
        if response.status_code != 200 or response.json()["accepted"] != 10_000:
            raise RuntimeError(f"ingest answered {response.status_code}: {response.content[:300]}")
    return 100_000 / (time.perf_counter() - started)


def _warm_indexes() -> None:
    """Read the event and rollup indexes once (index-only scans, into the buffer cache), as a
    server that has been ingesting has them: right after a restart the first batches read
    random index pages from disk, 2-10 s each, which measures the disk, not the ingest."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for table, columns in (
            ("healthscore_event", "organization_id, idempotency_key"),
            ("healthscore_event", "organization_id, account_id, occurred_at"),
            ("healthscore_event", "account_id"),
            ("healthscore_eventdaily", "organization_id, account_id, day, name"),
            ("healthscore_eventdaily", "account_id"),
            ("healthscore_eventdaily", "organization_id, day"),
        ):
            cursor.execute(
                f"SELECT count(*) FROM (SELECT {columns} FROM {table} ORDER BY {columns}) s"
            )
    print(f"  indexes warmed in {time.perf_counter() - started:.1f} s")


def _naive_seconds_per_account(organization, sample: int = 2000) -> float:
    """The ORM way: per account, aggregate its rollups, count contacts, score, save."""
    from django.db import transaction
    from django.db.models import Count, Max, Q, Sum
    from django_scopes import scope

    from accounts.models import Account, Contact
    from healthscore import scoring
    from healthscore.models import EventDaily, HealthScore
    from healthscore.selectors import health_model_active, model_config
    from tenancy.timezones import organization_today

    with scope(organization=organization):
        model = model_config(health_model_active(organization=organization))
        today = organization_today(organization)
        d30, d60 = today - timedelta(days=29), today - timedelta(days=59)
        usage = Q(name="login") | Q(name__startswith="feature.")
        started = time.perf_counter()
        with transaction.atomic():
            for account in Account.objects.filter(organization=organization).order_by("id")[
                :sample
            ]:
                rows = EventDaily.objects.filter(organization=organization, account=account)
                agg = rows.aggregate(
                    used=Count(
                        "name",
                        distinct=True,
                        filter=Q(
                            day__gte=d30, name__in=[f"feature.{k}" for k in model.key_features]
                        ),
                    ),
                    u30=Sum("count", filter=usage & Q(day__gte=d30)),
                    p30=Sum("count", filter=usage & Q(day__gte=d60, day__lt=d30)),
                    last=Max("day", filter=usage),
                    opened=Sum("count", filter=Q(name="ticket.opened")),
                    closed=Sum("count", filter=Q(name="ticket.closed")),
                    opened30=Sum("count", filter=Q(name="ticket.opened", day__gte=d30)),
                )
                contacts = Contact.objects.filter(
                    organization=organization, account=account
                ).count()
                result = scoring.score_compute(
                    scoring.Metrics(
                        features_used=agg["used"] or 0,
                        usage_30=agg["u30"] or 0,
                        usage_prev_30=agg["p30"] or 0,
                        days_since_usage=(today - agg["last"]).days if agg["last"] else None,
                        open_tickets=(agg["opened"] or 0) - (agg["closed"] or 0),
                        opened_30=agg["opened30"] or 0,
                        contacts=contacts,
                    ),
                    model,
                )
                HealthScore.objects.update_or_create(
                    organization=organization,
                    account=account,
                    defaults={
                        "score": result.score,
                        "band": result.band,
                        "components": result.components,
                        "drivers": result.drivers,
                    },
                )
                account.health_score, account.health_band = result.score, result.band
                account.save(update_fields=["health_score", "health_band"])
            transaction.set_rollback(True)  # measure only; keep the set-based results
        return (time.perf_counter() - started) / sample


def _recompute_child(slug: str) -> None:
    import django

    django.setup()
    from django_scopes import scope

    from healthscore.services import health_score_recompute
    from tenancy.models import Organization

    organization = Organization.objects.get(slug=slug)
    with scope(organization=organization):
        health_score_recompute(organization=organization)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mib": round(peak_kib / 1024, 1)}))


def run():
    from django.db import connection
    from django_scopes import scope

    from healthscore.models import HealthDirty
    from healthscore.services import health_dirty_recompute, health_score_recompute

    organization = _organization()
    figures = []
    with scope(organization=organization):
        started = time.perf_counter()
        first = health_score_recompute(organization=organization)
        first_s = time.perf_counter() - started
        print(f"  first full recompute: {first.accounts} accounts, {first.changed} written")
        _warm_indexes()
        rate = _ingest(organization)
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM healthscore_healthdirty WHERE organization_id = %s", [organization.pk]
            )
        started = time.perf_counter()
        full = health_score_recompute(organization=organization)
        full_s = time.perf_counter() - started
        print(f"  full recompute after ingest: {full.accounts} accounts, {full.changed} written")
        started = time.perf_counter()
        steady = health_score_recompute(organization=organization)
        steady_s = time.perf_counter() - started
        print(f"  full recompute, nothing new: {steady.changed} written")
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO healthscore_healthdirty (organization_id, account_id, marked_at) "
                "SELECT organization_id, id, now() FROM accounts_account "
                "WHERE organization_id = %s ORDER BY random() LIMIT 1000 "
                "ON CONFLICT DO NOTHING",
                [organization.pk],
            )
        started = time.perf_counter()
        dirty = health_dirty_recompute(organization=organization)
        dirty_s = time.perf_counter() - started
        assert HealthDirty.objects.filter(organization=organization).count() == 0  # noqa: S101
        print(f"  dirty recompute: {dirty.accounts} accounts")
        per_account = _naive_seconds_per_account(organization)
    naive_s = per_account * full.accounts
    child = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.health", "--recompute-child", SLUG],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    peak = json.loads(child.stdout.strip().splitlines()[-1])["peak_mib"]
    figures += [
        {"name": "health.accounts", "value": full.accounts, "unit": "accounts"},
        {"name": "health.ingest_events_per_s", "value": round(rate), "unit": "events/s"},
        {"name": "health.full_recompute_first_s", "value": round(first_s, 2), "unit": "s"},
        {"name": "health.full_recompute_s", "value": round(full_s, 2), "unit": "s"},
        {"name": "health.full_recompute_unchanged_s", "value": round(steady_s, 2), "unit": "s"},
        {"name": "health.dirty_recompute_1000_s", "value": round(dirty_s, 3), "unit": "s"},
        {
            "name": "health.naive_accounts_per_s",
            "value": round(1 / per_account),
            "unit": "accounts/s",
        },
        {"name": "health.naive_ratio", "value": round(naive_s / full_s, 1), "unit": "x"},
        {"name": "health.recompute_peak_rss_mib", "value": peak, "unit": "MiB"},
    ]
    return figures


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--recompute-child":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    _recompute_child(sys.argv[2])
