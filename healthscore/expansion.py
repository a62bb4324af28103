"""Automatic expansion triggers (DESIGN.md, Health scoring > Expansion triggers).

Evaluating a trigger reads health, so this lives above healthscore in the dependency order
(until a lifecycle app exists): it imports renewals and accounts, never the other way round.

Candidates: accounts with `health_band = green` that are not churned (stage ≠ churned and no
`churned_at`). Triggers, evaluated as of the organization's `today`:
- usage_growth: usage events (`login`, `feature.*`: EventDaily `count`, the health "trend"
  metric's measure) in the 30 days ending today ≥ 1.3 x the 30 days before, previous > 0.
- seat_utilisation: contacts whose last login (ContactActivity) falls in the 14 days ending
  today ≥ 90% of the seats of the base contract in force today (status ≠ void, seats > 0).
  Only the last login per contact is stored, so "≥ 90% for 14 days" is read as "90% of the
  seats were used within the last 14 days"; no seats → no trigger.
- promoter: an NPS answer of 9-10 (surveys) answered in the PROMOTER_DAYS days ending today
  (a fresh promoter: the advocacy stage reads a longer lookback); manual: exists (renewals).
Each hit calls `renewals.services.expansion_opportunity_open` (episode = the open one). An
account is skipped for a trigger while an opportunity of that trigger is open or was closed
less than COOLDOWN_DAYS ago, so a lost expansion is not reopened the next morning.
Query count: four reads whatever the number of accounts, plus the service's writes per hit.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, HealthBand, Stage
from healthscore.models import ContactActivity, EventDaily, EventKind
from renewals.models import (
    Contract,
    ContractKind,
    ContractStatus,
    ExpansionTrigger,
    Opportunity,
    OpportunityKind,
)
from renewals.services import expansion_opportunity_open
from surveys.models import SurveyKind, SurveyResponse
from surveys.scoring import NPS_PROMOTER_MIN
from tenancy.models import Organization
from tenancy.timezones import local_moment, organization_today

GROWTH_MIN_RATIO = 1.3
SEAT_UTILISATION_MIN = 0.9
SEAT_WINDOW_DAYS = 14
COOLDOWN_DAYS = 30
PROMOTER_DAYS = 30
USAGE_KINDS = (int(EventKind.LOGIN), int(EventKind.FEATURE))


def _usage_growth_hits(organization: Organization, today: date) -> set[int]:
    recent_from = today - timedelta(days=29)
    previous_from = today - timedelta(days=59)
    sql = f"""
        SELECT e.account_id,
          SUM(CASE WHEN e.day >= %s THEN e.count ELSE 0 END),
          SUM(CASE WHEN e.day < %s THEN e.count ELSE 0 END)
        FROM {EventDaily._meta.db_table} e
        JOIN accounts_account a ON a.id = e.account_id AND a.organization_id = e.organization_id
        WHERE e.organization_id = %s AND e.day >= %s AND e.day <= %s AND e.kind IN (%s, %s)
          AND a.health_band = %s AND a.stage <> %s AND a.churned_at IS NULL
        GROUP BY e.account_id
    """  # noqa: S608
    params: list = [
        recent_from,
        recent_from,
        organization.pk,
        previous_from,
        today,
        *USAGE_KINDS,
        HealthBand.GREEN,
        Stage.CHURNED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            account_id
            for account_id, recent, previous in cursor.fetchall()
            if previous and recent >= GROWTH_MIN_RATIO * previous
        }


def _seat_utilisation_hits(organization: Organization, today: date) -> set[int]:
    since = today - timedelta(days=SEAT_WINDOW_DAYS - 1)
    sql = f"""
        SELECT c.account_id, c.seats,
          (SELECT COUNT(*) FROM {ContactActivity._meta.db_table} ca
           WHERE ca.organization_id = c.organization_id AND ca.account_id = c.account_id
             AND ca.last_login_day >= %s AND ca.last_login_day <= %s)
        FROM {Contract._meta.db_table} c
        JOIN accounts_account a ON a.id = c.account_id AND a.organization_id = c.organization_id
        WHERE c.organization_id = %s AND c.kind = %s AND c.status <> %s AND c.seats > 0
          AND c.start_date <= %s AND c.end_date > %s
          AND a.health_band = %s AND a.stage <> %s AND a.churned_at IS NULL
    """  # noqa: S608
    params: list = [
        since,
        today,
        organization.pk,
        ContractKind.BASE,
        ContractStatus.VOID,
        today,
        today,
        HealthBand.GREEN,
        Stage.CHURNED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            account_id
            for account_id, seats, active in cursor.fetchall()
            if active >= SEAT_UTILISATION_MIN * seats
        }


def _promoter_hits(organization: Organization, today: date) -> set[int]:
    since = local_moment(organization, today - timedelta(days=PROMOTER_DAYS - 1))
    return set(
        SurveyResponse.objects.filter(
            organization=organization,
            kind=SurveyKind.NPS,
            score__gte=NPS_PROMOTER_MIN,
            answered_at__gte=since,
            account__health_band=HealthBand.GREEN,
            account__churned_at__isnull=True,
        )
        .exclude(account__stage=Stage.CHURNED)
        .values_list("account_id", flat=True)
        .distinct()
        .order_by()
    )


def expansion_triggers_evaluate(*, organization: Organization, today: date | None = None) -> int:
    """Open an expansion opportunity per (green account, trigger) hit; return how many opened."""
    today = today or organization_today(organization)
    hits = {
        ExpansionTrigger.USAGE_GROWTH: _usage_growth_hits(organization, today),
        ExpansionTrigger.SEAT_UTILISATION: _seat_utilisation_hits(organization, today),
        ExpansionTrigger.PROMOTER: _promoter_hits(organization, today),
    }
    if not any(hits.values()):
        return 0
    cooldown_since = timezone.now() - timedelta(days=COOLDOWN_DAYS)
    busy = set(
        Opportunity.objects.filter(
            organization=organization,
            kind=OpportunityKind.EXPANSION,
            trigger__in=[trigger.value for trigger in hits],
            account_id__in=set().union(*hits.values()),
        )
        .exclude(closed_at__lt=cooldown_since)
        .values_list("account_id", "trigger")
    )
    accounts = Account.objects.filter(organization=organization).in_bulk(
        set().union(*hits.values())
    )
    opened = 0
    with transaction.atomic():
        for trigger, account_ids in hits.items():
            for account_id in sorted(account_ids):
                if (account_id, trigger.value) in busy:
                    continue
                expansion_opportunity_open(
                    organization=organization, account=accounts[account_id], trigger=trigger
                )
                opened += 1
    return opened
