"""Causes from other apps, one service per receiver: they turn what happened (renewal
opportunities opened, stage transitions written) into `playbook_fire` calls."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from lifecycle.models.tasks import PlaybookTrigger
from lifecycle.services.playbooks.firing import playbook_fire
from tenancy.models import Organization


def playbooks_fire_for_renewal_window(
    *, organization: Organization, opportunity_ids: Iterable[int], today: date | None = None
) -> int:
    """Renewal opportunities were opened (their contracts entered the renewal window): fire
    `renewal_window` for their accounts, anchored on each contract's end (the earliest one
    when an account has several in the batch). Cause: `renewal:<end date>`."""
    from renewals.models import Opportunity, OpportunityKind

    ends: dict[int, date] = {}
    for account_id, end in Opportunity.objects.filter(
        organization=organization,
        pk__in=list(opportunity_ids),
        kind=OpportunityKind.RENEWAL,
        contract__isnull=False,
    ).values_list("account_id", "contract__end_date"):
        if account_id not in ends or end < ends[account_id]:
            ends[account_id] = end
    if not ends:
        return 0
    return playbook_fire(
        organization=organization,
        trigger=PlaybookTrigger.RENEWAL_WINDOW,
        account_ids=ends,
        cause_key="renewal",
        anchor_dates=ends,
        today=today,
    )


def playbooks_fire_for_transitions(
    *, organization: Organization, transition_ids: Iterable[int]
) -> int:
    """Stage transitions were written: fire `stage_entered` with the stage entered, one cause
    per transition (`transition:<id>`), one `playbook_fire` per distinct stage."""
    from lifecycle import models as lifecycle_models

    transition_model = getattr(lifecycle_models, "StageTransition", None)
    if transition_model is None:  # the stage engine is not installed yet
        return 0
    by_stage: dict[str, dict[int, str]] = {}
    for transition_id, account_id, to_stage in transition_model.objects.filter(
        organization=organization, pk__in=list(transition_ids)
    ).values_list("id", "account_id", "to_stage"):
        by_stage.setdefault(to_stage, {})[account_id] = f"transition:{transition_id}"
    created = 0
    for stage, causes in sorted(by_stage.items()):
        created += playbook_fire(
            organization=organization,
            trigger=PlaybookTrigger.STAGE_ENTERED,
            trigger_value=stage,
            account_ids=causes,
            cause_key=causes,
        )
    return created
