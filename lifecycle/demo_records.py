"""Demo touchpoints, success plans (with bound objectives) and advocacy records.

Idempotent: each kind is seeded only when the organization has none of it; reproducible
(`random.Random(organization.pk)`); written with bulk_create; skipped for organizations with
more than MAX_ACCOUNTS accounts (benchmarks bring their own data). Bound objectives read
healthscore's demo events (`feature.reports`, `feature.dashboards`, `login`) and are refreshed
at the end by the daily job's service.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact, HealthBand, Stage
from lifecycle.models import AdvocacyRecord, Objective, SuccessPlan, Touchpoint
from lifecycle.models.advocacy import AdvocacyKind, AdvocacyStatus, ReferralOutcome
from lifecycle.models.success import MetricAggregate, MetricWindow
from lifecycle.models.touchpoints import Sentiment, TouchpointDirection, TouchpointSource
from lifecycle.services.success import objective_bound_refresh
from tenancy.models import Membership, Organization
from tenancy.timezones import organization_today

MAX_ACCOUNTS = 5000


def _touchpoint_texts() -> list[tuple[str, str, str, str]]:
    """(channel, direction, sentiment, summary) in the active language."""
    return [
        ("call", "outbound", "positive", _("Weekly check-in: the team uses reports every day.")),
        ("meeting", "outbound", "positive", _("Business review with the sponsor; goals agreed.")),
        ("email", "outbound", "", _("Sent the admin guide and the training recording.")),
        ("email", "inbound", "neutral", _("Asked how to export dashboards to spreadsheets.")),
        ("whatsapp", "inbound", "positive", _("Thanked us for the quick help with the import.")),
        ("call", "inbound", "negative", _("Complained about slow reports at month end.")),
        ("note", "internal", "", _("Champion is moving to another team; find a new one.")),
        ("meeting", "outbound", "neutral", _("Onboarding workshop with three new admins.")),
        ("note", "internal", "negative", _("Budget review next quarter: renewal at risk.")),
        ("call", "outbound", "", _("Left a voicemail about the new automations feature.")),
    ]


def demo_records_seed(*, organization: Organization) -> dict[str, int]:
    accounts = list(
        Account.objects.filter(organization=organization)
        .order_by("id")
        .values_list("id", "stage", "health_band", "owner_id")
    )
    if not accounts or len(accounts) > MAX_ACCOUNTS:
        return {}
    rng = random.Random(organization.pk)  # noqa: S311 (demo data, reproducible)
    contacts: dict[int, list[int]] = {}
    for contact_id, account_id in Contact.objects.filter(organization=organization).values_list(
        "id", "account_id"
    ):
        contacts.setdefault(account_id, []).append(contact_id)
    users = dict(Membership.objects.filter(organization=organization).values_list("id", "user_id"))
    return {
        "touchpoints": _touchpoints(organization, rng, accounts, contacts, users),
        "objectives": _plans(organization, rng, accounts),
        "advocacy": _advocacy(organization, rng, accounts, contacts),
    }


def _touchpoints(organization, rng, accounts, contacts, users) -> int:
    if Touchpoint.objects.filter(organization=organization).exists():
        return 0
    now = timezone.now()
    texts = _touchpoint_texts()
    rows = []
    for account_id, stage, band, owner_id in accounts:
        for _index in range(rng.randint(1 if stage == Stage.CHURNED else 3, 9)):
            channel, direction, sentiment, summary = rng.choice(texts)
            if band == HealthBand.GREEN and sentiment == Sentiment.NEGATIVE:
                sentiment = Sentiment.NEUTRAL
            manual = direction != TouchpointDirection.INBOUND or channel != "whatsapp"
            rows.append(
                Touchpoint(
                    organization=organization,
                    account_id=account_id,
                    contact_id=rng.choice(contacts[account_id])
                    if contacts.get(account_id) and channel != "note"
                    else None,
                    channel=channel,
                    direction=direction,
                    sentiment=sentiment,
                    summary=summary,
                    occurred_at=now
                    - timedelta(days=rng.randint(0, 180), minutes=rng.randint(0, 600)),
                    logged_by_id=users.get(owner_id) if manual else None,
                    source=TouchpointSource.DEMO if manual else TouchpointSource.WHATSAPP_REPLY,
                )
            )
    Touchpoint.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _plans(organization, rng, accounts) -> int:
    if SuccessPlan.objects.filter(organization=organization).exists():
        return 0
    today = organization_today(organization)
    live = [a for a in accounts if a[1] not in (Stage.CHURNED,)]
    chosen = live[:: max(1, len(live) // 12)][:12]
    plans = SuccessPlan.objects.bulk_create(
        [
            SuccessPlan(
                organization=organization,
                account_id=account_id,
                owner_id=owner_id,
                title=_("First-year success plan") if i % 2 else _("Value realisation plan"),
            )
            for i, (account_id, _stage, _band, owner_id) in enumerate(chosen)
        ]
    )
    objectives = []
    for plan in plans:
        start = today - timedelta(days=rng.randint(20, 120))
        objectives += [
            Objective(
                organization=organization,
                plan=plan,
                account_id=plan.account_id,
                title=_("Reports used every week"),
                metric=_("reports created per week"),
                baseline=float(rng.randint(0, 5)),
                target=float(rng.choice([15, 25, 40])),
                start_date=start,
                due_date=start + timedelta(days=rng.choice([90, 120, 180])),
                metric_event="feature.reports",
                metric_window=MetricWindow.WEEKLY,
                metric_aggregate=MetricAggregate.COUNT,
            ),
            Objective(
                organization=organization,
                plan=plan,
                account_id=plan.account_id,
                title=_("Logins across the team"),
                metric=_("logins in the last 30 days"),
                baseline=float(rng.randint(10, 40)),
                target=float(rng.choice([120, 200])),
                start_date=start,
                due_date=start + timedelta(days=180),
                metric_event="login",
                metric_window=MetricWindow.MONTHLY,
                metric_aggregate=MetricAggregate.COUNT,
            ),
            Objective(
                organization=organization,
                plan=plan,
                account_id=plan.account_id,
                title=_("Cut month-end close time"),
                metric=_("hours to close the month"),
                baseline=40.0,
                target=16.0,
                start_date=start,
                due_date=start + timedelta(days=rng.choice([60, 150])),
                current_value=float(rng.randint(14, 38)),
                current_value_at=timezone.now(),
            ),
        ]
    Objective.objects.bulk_create(objectives)
    objective_bound_refresh(organization=organization)
    return len(objectives)


def _advocacy(organization, rng, accounts, contacts) -> int:
    if AdvocacyRecord.objects.filter(organization=organization).exists():
        return 0
    today = organization_today(organization)
    candidates = [a for a in accounts if a[2] == HealthBand.GREEN or a[1] == Stage.ADVOCACY]
    companies = ["Umbrella Logística", "Stark Agro", "Wayne Saúde", "Tyrell Educação"]
    rows = []
    for index, (account_id, _stage, _band, _owner) in enumerate(candidates[:18]):
        kind = list(AdvocacyKind)[index % len(AdvocacyKind)]
        status = [
            AdvocacyStatus.REQUESTED,
            AdvocacyStatus.AGREED,
            AdvocacyStatus.DONE,
            AdvocacyStatus.DONE,
            AdvocacyStatus.DECLINED,
        ][rng.randrange(5)]
        requested = today - timedelta(days=rng.randint(20, 200))
        agreed = requested + timedelta(days=rng.randint(2, 10))
        done = agreed + timedelta(days=rng.randint(5, 15))
        rows.append(
            AdvocacyRecord(
                organization=organization,
                account_id=account_id,
                contact_id=contacts[account_id][0] if contacts.get(account_id) else None,
                kind=kind,
                status=status,
                requested_on=requested,
                agreed_on=agreed
                if status in (AdvocacyStatus.AGREED, AdvocacyStatus.DONE)
                else None,
                done_on=done if status == AdvocacyStatus.DONE else None,
                declined_on=agreed if status == AdvocacyStatus.DECLINED else None,
                review_site=rng.choice(["G2", "Capterra", "Reclame Aqui"])
                if kind == AdvocacyKind.REVIEW
                else "",
                referred_company=rng.choice(companies) if kind == AdvocacyKind.REFERRAL else "",
                referral_outcome=rng.choice(list(ReferralOutcome))
                if kind == AdvocacyKind.REFERRAL
                else "",
                notes=_("Happy with the reports; open to a short video.")
                if kind == AdvocacyKind.TESTIMONIAL
                else "",
            )
        )
    AdvocacyRecord.objects.bulk_create(rows)
    return len(rows)


def demo_health_inputs_seed(*, organization: Organization) -> int:
    """Feed health with the demo's facts (touchpoint, follow-up and survey answer sentiment,
    where each objective stands) and rescore the accounts they touch, so the first page shows them.
    Idempotent: inputs are upserts, objectives write only what changed."""
    from healthscore.inputs import SENTIMENT_VALUES, health_sentiments_put
    from healthscore.services import health_dirty_recompute
    from lifecycle.models import FollowUp
    from lifecycle.services.followup import followup_sentiment_value
    from lifecycle.services.success import objective_outcomes_sync
    from surveys.models import SurveyResponse
    from surveys.scoring import sentiment_value
    from tenancy.timezones import local_date

    rows = [
        (account_id, f"touchpoint:{pk}", local_date(organization, occurred_at), SENTIMENT_VALUES[s])
        for pk, account_id, occurred_at, s in Touchpoint.objects.filter(organization=organization)
        .exclude(sentiment="")
        .values_list("pk", "account_id", "occurred_at", "sentiment")
    ]
    for pk, account_id, recorded_at, outcome, sentiment in (
        FollowUp.objects.filter(organization=organization)
        .exclude(recorded_at=None)
        .values_list("pk", "account_id", "recorded_at", "outcome", "sentiment")
    ):
        value = followup_sentiment_value(outcome, sentiment)
        if value is not None:
            rows.append(
                (account_id, f"followup:{pk}", local_date(organization, recorded_at), value)
            )
    rows += [
        (account_id, f"survey:{pk}", local_date(organization, answered_at), sentiment_value(k, n))
        for pk, account_id, answered_at, k, n in SurveyResponse.objects.filter(
            organization=organization
        ).values_list("pk", "account_id", "answered_at", "kind", "score")
    ]
    written = health_sentiments_put(organization=organization, rows=rows)
    written += objective_outcomes_sync(organization=organization)
    health_dirty_recompute(organization=organization)
    return written
