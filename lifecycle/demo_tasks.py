"""Demo tasks: the default playbooks, their tasks for red accounts and renewals, and a
realistic spread of manual tasks per CSM (overdue, today, upcoming, recently done).

Idempotent: every row has a `demo:` or playbook source key (unique per organization), and
the whole seed is skipped for organizations above 5,000 accounts (benchmarks).
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, HealthBand, Stage
from lifecycle.models import Task
from lifecycle.models.tasks import TaskKind, TaskSource, TaskStatus
from lifecycle.services.playbooks import (
    playbook_fire,
    playbooks_fire_for_renewal_window,
    playbooks_seed_defaults,
)
from tenancy.models import Membership, Organization, Role

MAX_ACCOUNTS = 5000
MANUAL = (
    (_("Check in on the data migration"), TaskKind.CALL),
    (_("Send the training recording and the admin guide"), TaskKind.EMAIL),
    (_("Prepare the business review deck"), TaskKind.REVIEW),
    (_("Book a session with the new sponsor"), TaskKind.MEETING),
    (_("Follow up on the open support tickets"), TaskKind.CALL),
    (_("Share the usage report with the champion"), TaskKind.EMAIL),
)
OUTCOMES = (
    _("Spoke with the champion; all good."),
    _("Left a voicemail and sent an email."),
    _("Agreed next steps; meeting booked."),
)


def demo_tasks_seed(*, organization: Organization) -> int:
    """Returns the number of tasks created."""
    playbooks_seed_defaults(organization=organization)
    accounts = Account.objects.filter(organization=organization).exclude(stage=Stage.CHURNED)
    if accounts.count() > MAX_ACCOUNTS:
        return 0
    created = 0
    red = list(accounts.filter(health_band=HealthBand.RED).values_list("id", flat=True))
    created += playbook_fire(
        organization=organization,
        trigger="band_changed",
        trigger_value="red",
        account_ids=red,
        cause_key="demo",
    )
    from renewals.models import Opportunity, OpportunityKind

    renewals = Opportunity.objects.filter(
        organization=organization, kind=OpportunityKind.RENEWAL, closed_at__isnull=True
    ).values_list("id", flat=True)
    created += playbooks_fire_for_renewal_window(
        organization=organization, opportunity_ids=list(renewals)
    )
    created += _manual_tasks(organization, accounts)
    return created


def _manual_tasks(organization: Organization, accounts) -> int:
    rng = random.Random(organization.pk)  # noqa: S311 (demo data, reproducible)
    now = timezone.now()
    csms = list(
        Membership.objects.filter(organization=organization, role__in=[Role.CSM, Role.MANAGER])
        .order_by("id")
        .values_list("id", flat=True)
    )
    by_owner: dict[int, list[int]] = {}
    for account_id, owner_id in accounts.filter(owner_id__in=csms).values_list("id", "owner_id"):
        by_owner.setdefault(owner_id, []).append(account_id)
    rows = []
    with translation.override(organization.locale):
        for owner_id, account_ids in by_owner.items():
            picks = rng.sample(account_ids, min(len(account_ids), 12))
            for number, account_id in enumerate(picks):
                title, kind = MANUAL[number % len(MANUAL)]
                # 3 overdue, 2 due today, 4 upcoming, 3 done.
                if number < 3:
                    due, status = now - timedelta(days=rng.randint(1, 6), hours=2), "open"
                elif number < 5:
                    due, status = now + timedelta(hours=rng.randint(1, 6)), "open"
                elif number < 9:
                    due, status = now + timedelta(days=rng.randint(1, 14)), "open"
                else:
                    due, status = now - timedelta(days=rng.randint(1, 10)), "done"
                rows.append(
                    Task(
                        organization=organization,
                        account_id=account_id,
                        assignee_id=owner_id,
                        kind=kind,
                        title=str(title),
                        due_at=due,
                        status=status,
                        outcome=str(rng.choice(OUTCOMES)) if status == TaskStatus.DONE else "",
                        completed_at=due + timedelta(hours=3)
                        if status == TaskStatus.DONE
                        else None,
                        completed_by_id=owner_id if status == TaskStatus.DONE else None,
                        source=TaskSource.MANUAL,
                        source_key=f"demo:{owner_id}:{number}",
                        created_by_id=owner_id,
                        created_at=due - timedelta(days=7),
                    )
                )
    existing = set(
        Task.objects.filter(organization=organization, source_key__startswith="demo:").values_list(
            "source_key", flat=True
        )
    )
    new = [row for row in rows if row.source_key not in existing]
    Task.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
