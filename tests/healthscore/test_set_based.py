"""The set-based recompute (PostgreSQL) gives exactly what the reference formula in
healthscore/scoring.py and the metrics of healthscore/recompute/metrics.py give."""

import json
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from healthscore import recompute, scoring
from healthscore.inputs import health_sentiment_set
from healthscore.models import (
    ContactActivity,
    EventDaily,
    EventKind,
    HealthAdjustment,
    HealthScore,
    HealthSnapshot,
)
from healthscore.recompute import formula_sql, set_based
from tests.accounts.factories import AccountFactory, ContactFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the set-based recompute is PostgreSQL's path"
    ),
]

MODELS = [
    scoring.ModelConfig(),
    scoring.ModelConfig(
        version=7,
        weights={**scoring.DEFAULT_WEIGHTS, "depth": 0, "billing": 40, "trend": 3},
        thresholds={
            "breadth": {"bad": 10, "good": 70},
            "depth": {"bad": 20, "good": 20},
            "trend": {"bad": -33.3, "good": 12.5},
            "support": {"bad": 3, "good": 0.5},
            "recency": {"bad": 45, "good": 7},
        },
        key_features=("reports", "export", "api"),
        green_min=75,
        yellow_min=35,
    ),
]


def _random_metrics(rng: random.Random, key_count: int) -> scoring.Metrics:
    contacts = rng.choice([0, 0, 1, 3, 7, 12])
    sentiment_count = rng.choice([0, 0, 1, 2, 3, 7])
    outcome_count = rng.choice([0, 0, 1, 3])
    return scoring.Metrics(
        features_used=rng.randint(0, key_count),
        usage_30=rng.choice([0, 0, 1, 7, 33, 200, 999]),
        usage_prev_30=rng.choice([0, 0, 1, 3, 40, 200, 1000]),
        days_since_usage=rng.choice([None, 0, 1, 3, 7, 20, 30, 59, 90, 400]),
        open_tickets=rng.randint(-3, 9),
        opened_30=rng.randint(0, 9),
        billing_overdue=rng.choice([None, True, False]),
        contacts=contacts,
        active_contacts=rng.randint(0, contacts),
        adjustment=rng.choice([0, 0, -40, -15, 5, 30, 200]),
        sentiment_count=sentiment_count,
        sentiment_sum=sum(rng.choice([0, 50, 100, 33]) for _ in range(sentiment_count)),
        sentiment_negative=rng.randint(0, sentiment_count),
        outcome_count=outcome_count,
        outcome_sum=sum(rng.choice([0, 40, 100]) for _ in range(outcome_count)),
        outcome_bad=rng.randint(0, outcome_count),
    )


@pytest.mark.parametrize("model", MODELS, ids=["default", "custom"])
def test_the_sql_formula_matches_the_reference_formula_on_random_metrics(model):
    # Given 3,000 random metric rows (edge values: empty windows, negative open tickets,
    # equal thresholds, zero weights, adjustments beyond the range)
    rng = random.Random(20261123)
    rows = {i: _random_metrics(rng, len(model.key_features)) for i in range(1, 3001)}
    columns = ", ".join(set_based.METRIC_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE parity_metrics (account_id bigint, features_used int, "
            "usage_30 bigint, usage_prev_30 bigint, days_since_usage int, open_tickets bigint, "
            "opened_30 bigint, billing_overdue boolean, contacts int, active_contacts int, "
            "adjustment int, sentiment_count int, sentiment_sum bigint, "
            "sentiment_negative int, outcome_count int, outcome_sum bigint, outcome_bad int)"
        )
        cursor.executemany(
            f"INSERT INTO parity_metrics (account_id, {columns}) VALUES "  # noqa: S608
            f"({', '.join(['%s'] * (len(set_based.METRIC_FIELDS) + 1))})",
            [(i, *(getattr(m, name) for name in set_based.METRIC_FIELDS)) for i, m in rows.items()],
        )
        # When the SQL scores them
        cursor.execute(
            "SELECT account_id, score, band, components, drivers, snapshot "  # noqa: S608
            f"FROM ({formula_sql.scored_select(model, 'parity_metrics')}) q"
        )
        # (Django reads jsonb as text: its JSONField decodes.)
        scored = {
            account_id: (score, band, *map(json.loads, documents))
            for account_id, score, band, *documents in cursor.fetchall()
        }
        cursor.execute("DROP TABLE parity_metrics")

    # Then every account gets the reference score, band, components, drivers and snapshot
    mismatches = []
    for account_id, metrics in rows.items():
        expected = scoring.score_compute(metrics, model)
        score, band, components, drivers, snapshot = scored[account_id]
        got = (score, band, components, drivers, snapshot)
        want = (
            expected.score,
            expected.band,
            expected.components,
            expected.drivers,
            scoring.component_scores(expected.components),
        )
        if got != want:
            mismatches.append((metrics, got, want))
    assert mismatches == []
    assert {band for _, band, *_ in scored.values()} == {"green", "yellow", "red"}


def test_the_sql_metrics_match_the_reference_metrics(org, in_scope):
    # Given accounts with usage inside and before the window, tickets, invoices, contacts,
    # an adjustment and sentiment inputs
    model = MODELS[1]
    today = recompute.organization_today(org)
    with in_scope(org):
        accounts = [AccountFactory(organization=org) for _ in range(5)]
        quiet, busy, billing, people, nothing = accounts
        daily = [
            (quiet, today - timedelta(days=80), "login", EventKind.LOGIN, 4),
            (quiet, today - timedelta(days=100), "ticket.opened", EventKind.TICKET_OPENED, 2),
            (busy, today, "feature.reports", EventKind.FEATURE, 3),
            (busy, today - timedelta(days=29), "feature.export", EventKind.FEATURE, 1),
            (busy, today - timedelta(days=30), "feature.api", EventKind.FEATURE, 9),
            (busy, today - timedelta(days=59), "login", EventKind.LOGIN, 5),
            (busy, today - timedelta(days=60), "login", EventKind.LOGIN, 50),
            (busy, today - timedelta(days=3), "ticket.opened", EventKind.TICKET_OPENED, 3),
            (busy, today - timedelta(days=90), "ticket.closed", EventKind.TICKET_CLOSED, 1),
            (billing, today - timedelta(days=5), "invoice.overdue", EventKind.INVOICE_OVERDUE, 1),
            (billing, today - timedelta(days=9), "invoice.paid", EventKind.INVOICE_PAID, 1),
            (people, today - timedelta(days=70), "invoice.paid", EventKind.INVOICE_PAID, 1),
        ]
        EventDaily.objects.bulk_create(
            EventDaily(
                organization=org,
                account=account,
                day=day,
                name=name,
                kind=kind,
                count=count,
                quantity_sum=count,
            )
            for account, day, name, kind, count in daily
        )
        contacts = [ContactFactory(organization=org, account=people) for _ in range(3)]
        ContactActivity.objects.create(
            organization=org,
            account=people,
            contact=contacts[0],
            last_login_day=today - timedelta(days=2),
        )
        HealthAdjustment.objects.create(
            organization=org,
            account=busy,
            points=-12,
            reason="Escalated",
            expires_at=timezone.now() + timedelta(days=3),
        )
        health_sentiment_set(
            organization=org, account_id=people.pk, subject="touchpoint:1", day=today, value=0
        )
        health_sentiment_set(
            organization=org, account_id=people.pk, subject="touchpoint:2", day=today, value=100
        )

        # When both paths read the metrics
        reference = recompute.metrics_compute(organization=org, model=model, as_of=today)
        sql, params = set_based.metrics_select(organization=org, model=model, as_of=today)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            got = {
                row[0]: scoring.Metrics(**dict(zip(set_based.METRIC_FIELDS, row[1:], strict=True)))
                for row in cursor.fetchall()
            }

    # Then they agree account by account (and the fixture covers what it should)
    assert got == reference
    assert reference[quiet.pk].days_since_usage == 80
    assert reference[busy.pk].usage_30 == 4
    assert reference[busy.pk].usage_prev_30 == 14
    assert reference[billing.pk].billing_overdue is True
    assert reference[people.pk].active_contacts == 1
    assert reference[nothing.pk] == scoring.Metrics()


def test_a_recompute_writes_only_what_moved_and_snapshots_today_once(org, in_scope):
    # Given two scored accounts
    with in_scope(org):
        first, second = AccountFactory(organization=org), AccountFactory(organization=org)
        today = recompute.organization_today(org)
        model = scoring.ModelConfig()
        outcome = set_based.recompute(organization=org, model=model, as_of=today)
        assert (outcome.accounts, outcome.changed) == (2, 2)
        before = dict(HealthScore.objects.values_list("account_id", "computed_at"))

        # When only the first one gets a ticket and the recompute runs again
        EventDaily.objects.create(
            organization=org,
            account=first,
            day=today,
            name="ticket.opened",
            kind=EventKind.TICKET_OPENED,
            count=6,
            quantity_sum=6,
        )
        outcome = set_based.recompute(organization=org, model=model, as_of=today)

        # Then only it is rewritten, and each account keeps one snapshot for today
        after = dict(HealthScore.objects.values_list("account_id", "computed_at"))
        assert (outcome.accounts, outcome.changed) == (2, 1)
        assert after[second.pk] == before[second.pk]
        assert after[first.pk] != before[first.pk]
        assert HealthSnapshot.objects.filter(day=today).count() == 2
        assert HealthScore.objects.get(account=first).score < 100
