"""The lifecycle benchmark's organization: generated once, reused, reset to stale stages
before every run (see the package docstring)."""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, date, datetime, timedelta

SLUG = "bench-lifecycle"
# Bump when _generate changes: data of another version is regenerated, not reused.
DATA_VERSION = "Bench lifecycle (data v1)"
OWNERS = 20
SAMPLE = 2_000

# The stale stage of account number k (external id "LC-k"): bucket (k * 7919) % 100.
STALE = (
    (40, "retention"),
    (60, "adoption"),
    (75, "onboarding"),
    (87, "renewal"),
    (94, "expansion"),
    (100, "advocacy"),
)


def _scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def _slug() -> str:
    """One organization per scale: switching BENCH_SCALE does not regenerate the other."""
    return SLUG if _scale() == 1 else f"{SLUG}-{_scale():g}"


def _stale_stage(number: int) -> str:
    bucket = (number * 7919) % 100
    return next(stage for limit, stage in STALE if bucket < limit)


def _stale_sql() -> str:
    bucket = "((CAST(SUBSTR(external_id, 4) AS INTEGER) * 7919) %% 100)"
    cases = " ".join(f"WHEN {bucket} < {limit} THEN '{stage}'" for limit, stage in STALE)
    return f"CASE {cases} END"


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    from django.db import connection

    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _organization():
    from django.db import connection, transaction
    from django_scopes import scope

    from accounts.models import Account
    from tenancy.models import Organization

    count = int(100_000 * _scale())
    organization, _ = Organization.objects.get_or_create(
        slug=_slug(), defaults={"name": "", "time_zone": "America/Sao_Paulo"}
    )
    with scope(organization=organization):
        have = Account.objects.filter(organization=organization).count()
        if organization.name == DATA_VERSION and have == count:
            print(f"  data reused: {have} accounts")
            return organization
        started = time.perf_counter()
        with transaction.atomic():
            tables = (
                "lifecycle_stagetransition",
                "lifecycle_stagehold",
                "lifecycle_touchpoint",
                "lifecycle_followup",
                "lifecycle_task",
                "healthscore_eventdaily",
                "renewals_opportunity",
                "renewals_contract",
                "accounts_account",
            )
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(
                        f"DELETE FROM {table} WHERE organization_id = %s",
                        [organization.pk],
                    )
            sizes = _generate(organization, count)
            Organization.objects.filter(pk=organization.pk).update(name=DATA_VERSION)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"  data ready: {sizes} in {time.perf_counter() - started:.1f} s")
    organization.refresh_from_db()
    return organization


def _generate(organization, count: int) -> dict[str, int]:
    """Accounts with go-lives over the last four years (3% not live yet, 2% with a future
    go-live), 5% churned, a chain of annual contracts from go-live (earlier terms renewed, the
    current one active; churned accounts stopped), one in ten with an add-on in its current
    term; an open renewal opportunity for 85% of the contracts inside the 120-day window, an
    open expansion for 6% of live accounts; first value (a feature rollup) for 90% of live
    accounts; 0.3% held by hand; follow-ups for go-lives of the last 60 days; touchpoints for
    a third of the accounts."""
    from django.db import connection
    from django.utils import timezone

    from tenancy.models import Membership, Role, User
    from tenancy.timezones import organization_today

    rng = random.Random(20261123)
    today = organization_today(organization)
    now = timezone.now()
    members = []
    for index in range(OWNERS):
        user, _ = User.objects.get_or_create(email=f"csm{index}@bench-lifecycle.test")
        membership, _ = Membership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": Role.CSM}
        )
        members.append(membership.pk)
    org = organization.pk
    segments = ("smb", "smb", "mid_market", "mid_market", "enterprise", "strategic")
    bands = ("green",) * 11 + ("yellow",) * 5 + ("red",) * 3 + ("",)
    specs = []
    account_rows = []
    for number in range(1, count + 1):
        draw = rng.random()
        if draw < 0.03:
            go_live = None
        elif draw < 0.05:
            go_live = today + timedelta(days=rng.randint(1, 60))
        else:
            go_live = today - timedelta(days=rng.randint(0, 4 * 365))
        live = go_live is not None and go_live <= today
        churned = live and (today - go_live).days > 400 and rng.random() < 0.05
        base = rng.randint(50, 2_000) * 10_000
        band = rng.choice(bands) if live else ""
        owner = None if rng.random() < 0.03 else members[number % OWNERS]
        churned_at = None
        terms: list[tuple[date, date]] = []
        if live:
            start = go_live
            while start <= today:
                terms.append((start, start + timedelta(days=365)))
                start += timedelta(days=365)
            if churned:
                keep = max(1, len(terms) - 1 - rng.randint(0, 1))
                terms = terms[:keep]
                end = terms[-1][1]
                churned_at = datetime.combine(min(end, today), datetime.min.time(), UTC)
        stage = "churned" if churned else _stale_stage(number)
        arr = 0 if churned or not live else base
        renewal = terms[-1][1] if terms and not churned else None
        account_rows.append(
            (
                org,
                f"Lifecycle account {number:06d}",
                f"LC-{number}",
                owner,
                segments[number % len(segments)],
                "Software",
                go_live,
                stage,
                now - timedelta(days=rng.randint(1, 400)),
                churned_at,
                None if not band else {"green": 82, "yellow": 58, "red": 31}[band],
                band,
                arr,
                renewal,
                now,
                now,
            )
        )
        specs.append((number, go_live, live, churned, base, terms))
    _insert(
        "accounts_account",
        (
            "organization_id",
            "name",
            "external_id",
            "owner_id",
            "segment",
            "industry",
            "go_live_date",
            "stage",
            "stage_entered_at",
            "churned_at",
            "health_score",
            "health_band",
            "arr_cents",
            "renewal_date",
            "created_at",
            "updated_at",
        ),
        account_rows,
    )
    del account_rows
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, id FROM accounts_account WHERE organization_id = %s", [org]
        )
        ids = {int(external[3:]): pk for external, pk in cursor.fetchall()}

    contract_rows = []
    feature_rows = []
    hold_rows = []
    followup_rows = []
    touchpoint_rows = []
    expansion_rows = []
    window_end = today + timedelta(days=120)
    for number, go_live, live, churned, base, terms in specs:
        account_id = ids[number]
        for index, (start, end) in enumerate(terms):
            last = index == len(terms) - 1
            status = ("churned" if churned else "active") if last else "renewed"
            arr = base * (85 + (number * 31 + index * 17) % 36) // 100
            contract_rows.append(
                (
                    org,
                    account_id,
                    "base",
                    start,
                    end,
                    arr,
                    10 + index,
                    "Business",
                    status,
                    "",
                    now,
                    now,
                )
            )
        if live and not churned and number % 10 == 0 and terms:
            start, end = terms[-1]
            contract_rows.append(
                (org, account_id, "add_on", start + timedelta(days=90), end, base // 5, 5,
                 "Business", "active", "", now, now)
            )  # fmt: skip
        if live and rng.random() < 0.9:
            day = min(go_live + timedelta(days=rng.randint(1, 30)), today)
            feature_rows.append((org, account_id, day, "feature.reports", 2, 3, 3.0))
        if rng.random() < 0.003:
            hold_rows.append((org, account_id, "advocacy", "Reference customer", now))
        if live and not churned and rng.random() < 0.06:
            expansion_rows.append(
                (org, account_id, "expansion", "in_progress", None, base // 4, None,
                 "Seats upsell", "", "", None, now, now)
            )  # fmt: skip
        if live and (today - go_live).days <= 60:
            due = go_live + timedelta(days=7)
            if due < today - timedelta(days=3) and rng.random() < 0.7:
                followup_rows.append(
                    (
                        org,
                        account_id,
                        go_live,
                        due,
                        "done",
                        "reached",
                        "positive",
                        "",
                        now,
                        now,
                        now,
                    )
                )
            else:
                followup_rows.append(
                    (org, account_id, go_live, due, "open" if due <= today else "scheduled", "",
                     "", "", None, now, now)
                )  # fmt: skip
        if rng.random() < 0.33:
            for _ in range(rng.randint(1, 3)):
                when = now - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))
                touchpoint_rows.append(
                    (org, account_id, "call", "outbound", "Check-in call", "neutral", when,
                     "manual", "", now, now)
                )  # fmt: skip
    del specs
    _insert(
        "renewals_contract",
        (
            "organization_id",
            "account_id",
            "kind",
            "start_date",
            "end_date",
            "arr_cents",
            "seats",
            "plan",
            "status",
            "external_id",
            "created_at",
            "updated_at",
        ),
        contract_rows,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, account_id, arr_cents, end_date FROM renewals_contract "
            "WHERE organization_id = %s AND kind = 'base' AND status = 'active' "
            "AND end_date > %s AND end_date <= %s",
            [org, today, window_end],
        )
        in_window = cursor.fetchall()
    renewal_rows = [
        (org, account_id, "renewal", rng.choice(("not_started", "in_progress", "committed")),
         contract_id, arr, end, "Renewal", "", "", None, now, now)
        for contract_id, account_id, arr, end in in_window
        if rng.random() < 0.85
    ]  # fmt: skip
    opportunity_columns = (
        "organization_id",
        "account_id",
        "kind",
        "stage",
        "contract_id",
        "amount_cents",
        "expected_close_date",
        "title",
        "trigger",
        "episode_key",
        "closed_at",
        "created_at",
        "updated_at",
    )
    _insert("renewals_opportunity", opportunity_columns, renewal_rows + expansion_rows)
    _insert(
        "healthscore_eventdaily",
        ("organization_id", "account_id", "day", "name", "kind", "count", "quantity_sum"),
        feature_rows,
    )
    _insert(
        "lifecycle_stagehold",
        ("organization_id", "account_id", "stage", "reason", "created_at"),
        hold_rows,
    )
    _insert(
        "lifecycle_followup",
        (
            "organization_id",
            "account_id",
            "go_live_date",
            "due_date",
            "status",
            "outcome",
            "sentiment",
            "note",
            "recorded_at",
            "created_at",
            "updated_at",
        ),
        followup_rows,
    )
    _insert(
        "lifecycle_touchpoint",
        (
            "organization_id",
            "account_id",
            "channel",
            "direction",
            "summary",
            "sentiment",
            "occurred_at",
            "source",
            "source_key",
            "created_at",
            "updated_at",
        ),
        touchpoint_rows,
    )
    return {
        "accounts": count,
        "contracts": len(contract_rows),
        "renewal_opportunities": len(renewal_rows),
        "expansions": len(expansion_rows),
        "first_value_rows": len(feature_rows),
        "holds": len(hold_rows),
        "followups": len(followup_rows),
        "touchpoints": len(touchpoint_rows),
    }


def _reset(organization) -> None:
    """Back to the stale stages: one UPDATE, transitions deleted (holds and churn kept)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM lifecycle_stagetransition WHERE organization_id = %s", [organization.pk]
        )
        cursor.execute(
            f"UPDATE accounts_account SET stage = {_stale_sql()}, "
            "stage_entered_at = created_at "
            "WHERE organization_id = %s AND churned_at IS NULL",
            [organization.pk],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE accounts_account")
            cursor.execute("VACUUM ANALYZE lifecycle_stagetransition")
