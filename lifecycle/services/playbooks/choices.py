"""Playbook constants and the choices offered when editing one (assignee rules, trigger
values)."""

from __future__ import annotations

from datetime import time

from django.utils.translation import gettext as _

from accounts.models import HealthBand, Stage
from lifecycle.models.tasks import PlaybookTrigger
from tenancy.models import Role

FOLLOWUP_OUTCOMES = ("reached", "no_answer", "issue_found")
REMINDER_HOUR = time(9, 0)
ASSIGNEE_ROLES = (Role.CSM, Role.MANAGER, Role.ADMIN, Role.OWNER)
FALLBACK_ROLES = (Role.MANAGER, Role.ADMIN, Role.OWNER)
MAX_STEPS = 20


def assignee_rule_choices() -> list[tuple[str, str]]:
    return [("owner", _("Account owner"))] + [
        (f"role:{role.value}", _("First member with role %(role)s") % {"role": role.label})
        for role in ASSIGNEE_ROLES
    ]


def trigger_value_choices(trigger: str) -> list[tuple[str, str]]:
    """Values a playbook of this trigger may be narrowed to ('' = any)."""
    if trigger == PlaybookTrigger.STAGE_ENTERED:
        return [(value, str(label)) for value, label in Stage.choices]
    if trigger == PlaybookTrigger.BAND_CHANGED:
        return [(value, str(label)) for value, label in HealthBand.choices]
    if trigger == PlaybookTrigger.FOLLOWUP_OUTCOME:
        return [
            ("reached", _("Reached")),
            ("no_answer", _("No answer")),
            ("issue_found", _("Issue found")),
        ]
    return []
