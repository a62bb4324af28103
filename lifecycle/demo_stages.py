"""Demo stage history: plausible StageTransition rows for the demo accounts (seed_demo).

The accounts demo sets each account's current stage and when it entered it; here each account
gets the path that led there (onboarding → adoption → retention → its stage), dated between
go-live and `stage_entered_at`, with the reasons the rules would give. Advocacy accounts are
held by hand (the promoter rule needs survey answers, which arrive later). Idempotent: an
organization that already has transitions is left alone. One bulk insert.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Account, Stage
from lifecycle.models import StageHold, StageTransition
from tenancy.models import Organization

PATHS = {
    Stage.ADOPTION: [Stage.ADOPTION],
    Stage.RETENTION: [Stage.ADOPTION, Stage.RETENTION],
    Stage.EXPANSION: [Stage.ADOPTION, Stage.RETENTION, Stage.EXPANSION],
    Stage.RENEWAL: [Stage.ADOPTION, Stage.RETENTION, Stage.RENEWAL],
    Stage.ADVOCACY: [Stage.ADOPTION, Stage.RETENTION, Stage.ADVOCACY],
    Stage.CHURNED: [Stage.ADOPTION, Stage.RETENTION, Stage.RENEWAL, Stage.CHURNED],
}
MAX_ACCOUNTS = 5000


def _reason(stage: str, months: int) -> tuple[str, dict, str]:
    if stage == Stage.ADOPTION:
        return "adoption", {"months": 0, "limit": 12}, ""
    if stage == Stage.RETENTION:
        return "retention", {"months": max(months, 12)}, ""
    if stage == Stage.EXPANSION:
        return "expansion", {}, ""
    if stage == Stage.RENEWAL:
        return "renewal", {"days": 110, "window": 120}, ""
    if stage == Stage.ADVOCACY:
        return "manual", {}, "Agreed to be a reference customer at the QBR"
    return "churned", {}, "Renewal closed as churned"


def demo_stages_seed(*, organization: Organization) -> int:
    if StageTransition.objects.filter(organization=organization).exists():
        return 0
    accounts = list(
        Account.objects.filter(organization=organization)
        .exclude(stage=Stage.ONBOARDING)
        .exclude(go_live_date=None)
        .values_list("id", "stage", "stage_entered_at", "go_live_date", "owner__user_id")[
            : MAX_ACCOUNTS + 1
        ]
    )
    if len(accounts) > MAX_ACCOUNTS:  # benchmarks bring their own data
        return 0
    tz = timezone.get_current_timezone()
    rows: list[StageTransition] = []
    holds: list[StageHold] = []
    for account_id, stage, entered, go_live, owner_user_id in accounts:
        path = PATHS.get(stage, [])
        live = datetime.combine(go_live, datetime.min.time(), tzinfo=tz) + timedelta(hours=5)
        steps = len(path)
        span = max((entered - live).total_seconds(), 0)
        previous = Stage.ONBOARDING
        for index, target in enumerate(path):
            at = (
                entered
                if index == steps - 1
                else live + timedelta(seconds=span * (index + 1) / steps)
            )
            months = int((at - live).days / 30.4)
            code, params, text = _reason(target, months)
            if index == 0:
                params = {"months": max(months, 1), "limit": 12}
            manual = code == "manual" or (code == "churned" and owner_user_id is not None)
            rows.append(
                StageTransition(
                    organization=organization,
                    account_id=account_id,
                    from_stage=previous,
                    to_stage=target,
                    at=at,
                    automatic=not manual,
                    actor_id=owner_user_id if manual else None,
                    reason_code=code,
                    reason_params=params,
                    reason_text=text,
                )
            )
            previous = target
        if stage == Stage.ADVOCACY:
            holds.append(
                StageHold(
                    organization=organization,
                    account_id=account_id,
                    stage=stage,
                    reason=_reason(stage, 0)[2],
                    actor_id=owner_user_id,
                )
            )
    StageTransition.objects.bulk_create(rows, batch_size=1000)
    StageHold.objects.bulk_create(holds, batch_size=1000, ignore_conflicts=True)
    return len(rows)
