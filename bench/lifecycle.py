"""The lifecycle stage engine at scale: 100,000 accounts (times BENCH_SCALE), ~250,000 contracts.

Data lives in its own organization (slug `bench-lifecycle`, `bench-lifecycle-0.1` at 0.1 scale), generated once in Python with a
fixed seed and loaded with COPY on PostgreSQL (executemany elsewhere); it is reused while the
organization's name carries DATA_VERSION and the account count matches. Every run first puts
the accounts back in their *stale* stages (one UPDATE: the stage each account had "before the
engine", a deterministic function of its number — about two in three are wrong) and deletes the
organization's transitions, so the first evaluation has many transitions to write.

Figures:
- lifecycle.daily_evaluation_s / _queries: `stages_evaluate(organization=…)` (what
  `stages_evaluate_task` runs) on the stale book — many transitions;
- lifecycle.daily_evaluation_noop_s / _noop_queries: the same again, nothing to change;
- lifecycle.daily_evaluation_transitions: transitions the first run wrote;
- lifecycle.stage_changed_fanout_s: the `stage_changed` receivers (playbook tasks) for those
  transitions, measured once inside a rolled-back transaction (the engine figures above run
  with that receiver disconnected: they are the engine's own time);
- lifecycle.signal_evaluation_ms: `stages_evaluate(account_ids=[one])` as a go-live/contract
  signal does (median of 20, nothing to change);
- lifecycle.board_ms / board_owner_ms: `stage_board` for the organization / one owner's book;
- lifecycle.naive_ratio: the evaluation done the naive way (ORM loop, per account: its hold,
  first value, contract end, open opportunities, decide, save + transition) on a 2,000-account
  sample in a rolled-back transaction, scaled to the book, divided by daily_evaluation_s;
- lifecycle.evaluation_peak_rss_mib: peak RSS of a process running one first evaluation
  (rolled back), and its RSS before the evaluation.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
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

    from renewals.services import organization_today
    from tenancy.models import Membership, Role, User

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


def _naive_seconds_per_account(organization, today: date) -> float:
    """The ORM way, per account: hold, first value, contract end, open opportunities, decide,
    then save the account and create its transition. Rolled back."""
    from django.db import transaction
    from django.db.models import Min
    from django.utils import timezone

    from accounts.models import Account, Stage
    from healthscore.models import EventDaily, EventKind
    from lifecycle.models import StageHold, StageTransition
    from lifecycle.rules import AccountFacts, stage_decide
    from lifecycle.selectors_stages import stage_rules_get
    from renewals.models import Contract, ContractStatus, Opportunity, OpportunityKind

    rules = stage_rules_get(organization=organization)
    started = time.perf_counter()
    with transaction.atomic():
        accounts = Account.objects.filter(organization=organization).order_by("id")[:SAMPLE]
        for account in accounts:
            hold = StageHold.objects.filter(organization=organization, account=account).first()
            first_value = EventDaily.objects.filter(
                organization=organization, account=account, kind=EventKind.FEATURE
            ).exists()
            end = Contract.objects.filter(
                organization=organization,
                account=account,
                status=ContractStatus.ACTIVE,
                end_date__gt=today,
                end_date__lte=today + timedelta(days=rules.renewal_window_days),
            ).aggregate(end=Min("end_date"))["end"]
            kinds = set(
                Opportunity.objects.filter(
                    organization=organization, account=account, closed_at__isnull=True
                ).values_list("kind", flat=True)
            )
            facts = AccountFacts(
                today=today,
                go_live_date=account.go_live_date,
                onboarding_done=account.stage != Stage.ONBOARDING or first_value,
                health_band=account.health_band,
                contract_end=end,
                open_renewal=OpportunityKind.RENEWAL in kinds,
                open_expansion=OpportunityKind.EXPANSION in kinds,
                hold_stage=hold.stage if hold else None,
                churned=account.stage == Stage.CHURNED or account.churned_at is not None,
            )
            decision = stage_decide(facts, rules)
            if decision.stage == account.stage:
                continue
            before, now = account.stage, timezone.now()
            account.stage, account.stage_entered_at = decision.stage, now
            account.save(update_fields=["stage", "stage_entered_at", "updated_at"])
            StageTransition.objects.create(
                organization=organization,
                account=account,
                from_stage=before,
                to_stage=decision.stage,
                at=now,
                reason_code=decision.reason_code,
                reason_params=decision.params,
            )
        transaction.set_rollback(True)
    return (time.perf_counter() - started) / SAMPLE


def _peak_rss_mib() -> float:
    """This process's peak RSS. VmHWM starts afresh at exec; ru_maxrss does not on Linux (it
    keeps the forking parent's peak, which would hide the child's own)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _evaluate_child(slug: str) -> None:
    import django

    django.setup()
    from django.db import transaction
    from django_scopes import scope

    from lifecycle.services.stages import stages_evaluate
    from tenancy.models import Organization

    organization = Organization.objects.get(slug=slug)
    before = _peak_rss_mib()
    with scope(organization=organization), transaction.atomic():
        result = stages_evaluate(organization=organization)
        transaction.set_rollback(True)
    print(
        json.dumps({"before_mib": before, "peak_mib": _peak_rss_mib(), "changed": result.changed})
    )


def _timed(call):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # DEBUG keeps at most 9,000 queries: a full log would capture none
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    return result, elapsed, len(queries)


def _median_ms(call, repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def run():
    from django.db import transaction
    from django_scopes import scope

    from accounts.models import Account
    from lifecycle.receivers import playbooks_on_stage_changed
    from lifecycle.selectors_stages import BoardFilters, stage_board
    from lifecycle.services.playbooks import playbooks_fire_for_transitions
    from lifecycle.services.stages import stages_evaluate
    from lifecycle.signals import stage_changed
    from renewals.services import organization_today

    organization = _organization()
    _reset(organization)
    today = organization_today(organization)
    with scope(organization=organization):
        accounts = Account.objects.filter(organization=organization).count()
        per_account = _naive_seconds_per_account(organization, today)
        print(f"  naive: {per_account * 1000:.2f} ms per account ({SAMPLE} sampled)")

    child = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.lifecycle", "--evaluate-child", _slug()],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    memory = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"  child: {memory}")

    uid = "lifecycle.playbooks_on_stage_changed"
    stage_changed.disconnect(dispatch_uid=uid)
    try:
        with scope(organization=organization):
            first, first_s, first_queries = _timed(
                lambda: stages_evaluate(organization=organization)
            )
            print(f"  first run: {first.accounts} accounts, {first.changed} transitions")
            noop, noop_s, noop_queries = _timed(lambda: stages_evaluate(organization=organization))
            print(f"  second run: {noop.changed} transitions")
            if noop.changed:
                raise RuntimeError("the second evaluation changed stages")
            target = (
                Account.objects.filter(organization=organization, churned_at__isnull=True)
                .order_by("id")
                .values_list("id", flat=True)[accounts // 2]
            )
            signal_ms = _median_ms(
                lambda: stages_evaluate(organization=organization, account_ids=[target]), 20
            )
            _single, _elapsed, signal_queries = _timed(
                lambda: stages_evaluate(organization=organization, account_ids=[target])
            )
            owner = (
                Account.objects.filter(organization=organization, owner__isnull=False)
                .values_list("owner_id", flat=True)
                .first()
            )
            board_ms = _median_ms(lambda: stage_board(organization=organization), 5)
            owner_ms = _median_ms(
                lambda: stage_board(organization=organization, filters=BoardFilters(owner=owner)),
                5,
            )
    finally:
        stage_changed.connect(playbooks_on_stage_changed, dispatch_uid=uid)
    with scope(organization=organization), transaction.atomic():
        started = time.perf_counter()
        tasks = playbooks_fire_for_transitions(
            organization=organization, transition_ids=first.transition_ids
        )
        fanout_s = time.perf_counter() - started
        transaction.set_rollback(True)
    print(f"  fan-out: {tasks} playbook tasks for {first.changed} transitions (rolled back)")
    naive_s = per_account * accounts
    return [
        {"name": "lifecycle.accounts", "value": accounts, "unit": "accounts"},
        {"name": "lifecycle.daily_evaluation_s", "value": round(first_s, 2), "unit": "s"},
        {"name": "lifecycle.daily_evaluation_queries", "value": first_queries, "unit": "queries"},
        {"name": "lifecycle.daily_evaluation_transitions", "value": first.changed, "unit": "rows"},
        {"name": "lifecycle.daily_evaluation_noop_s", "value": round(noop_s, 2), "unit": "s"},
        {
            "name": "lifecycle.daily_evaluation_noop_queries",
            "value": noop_queries,
            "unit": "queries",
        },
        {"name": "lifecycle.stage_changed_fanout_s", "value": round(fanout_s, 2), "unit": "s"},
        {"name": "lifecycle.stage_changed_fanout_tasks", "value": tasks, "unit": "rows"},
        {"name": "lifecycle.signal_evaluation_ms", "value": signal_ms, "unit": "ms"},
        {"name": "lifecycle.signal_evaluation_queries", "value": signal_queries, "unit": "queries"},
        {"name": "lifecycle.board_ms", "value": board_ms, "unit": "ms"},
        {"name": "lifecycle.board_owner_ms", "value": owner_ms, "unit": "ms"},
        {
            "name": "lifecycle.naive_accounts_per_s",
            "value": round(1 / per_account),
            "unit": "accounts/s",
        },
        {"name": "lifecycle.naive_ratio", "value": round(naive_s / first_s, 1), "unit": "x"},
        {"name": "lifecycle.evaluation_peak_rss_mib", "value": memory["peak_mib"], "unit": "MiB"},
        {
            "name": "lifecycle.evaluation_base_rss_mib",
            "value": memory["before_mib"],
            "unit": "MiB",
        },
    ]


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--evaluate-child":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    _evaluate_child(sys.argv[2])
