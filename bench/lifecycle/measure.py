"""The lifecycle benchmark's measurements (see the package docstring)."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

from bench.lifecycle.data import (
    SAMPLE,
    _organization,
    _reset,
    _slug,
)


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
    from tenancy.timezones import organization_today

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
