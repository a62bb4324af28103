"""Seeding the default playbooks (lifecycle/playbook_defaults.py) into an organization."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation

from lifecycle.models import Playbook, PlaybookStep
from lifecycle.playbook_defaults import DEFAULT_PLAYBOOKS
from tenancy.models import Organization


@transaction.atomic
def playbooks_seed_defaults(*, organization: Organization) -> int:
    """Create the default playbooks this organization does not have yet (by `default_key`),
    with titles in the organization's language. Never touches existing playbooks (edited or
    deactivated ones stay as they are). Returns how many playbooks were created."""
    have = set(
        Playbook.objects.filter(organization=organization)
        .exclude(default_key="")
        .values_list("default_key", flat=True)
    )
    missing = [item for item in DEFAULT_PLAYBOOKS if item.key not in have]
    if not missing:
        return 0
    with translation.override(organization.locale):
        playbooks = [
            Playbook(
                organization=organization,
                name=str(item.name),
                trigger=item.trigger,
                trigger_value=item.trigger_value,
                description=str(item.description),
                default_key=item.key,
            )
            for item in missing
        ]
        Playbook.objects.bulk_create(playbooks, ignore_conflicts=True)
        by_key = dict(
            Playbook.objects.filter(
                organization=organization, default_key__in=[item.key for item in missing]
            ).values_list("default_key", "id")
        )
        created_ids = set(
            PlaybookStep.objects.filter(
                organization=organization, playbook_id__in=by_key.values()
            ).values_list("playbook_id", flat=True)
        )
        steps = [
            PlaybookStep(
                organization=organization,
                playbook_id=by_key[item.key],
                order=number,
                title=str(step.title),
                kind=step.kind,
                due_offset_days=step.offset_days,
                due_anchor=step.anchor,
                assignee_rule=step.assignee_rule,
            )
            for item in missing
            if by_key[item.key] not in created_ids
            for number, step in enumerate(item.steps, start=1)
        ]
    PlaybookStep.objects.bulk_create(steps)
    return len(missing)


def playbooks_seed_defaults_if_empty(*, organization: Organization) -> None:
    """Defaults are created on first use: when the organization has no playbook at all."""
    if not Playbook.objects.filter(organization=organization).exists():
        playbooks_seed_defaults(organization=organization)
