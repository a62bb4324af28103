"""Playbooks: seeding the defaults, editing them, and firing them into tasks.

`playbook_fire` is the one entry point the rest of the code uses (receivers, the follow-up,
surveys later); its contract (set-based, idempotent per step, account and cause, assignees,
due dates) is in `lifecycle.services.playbooks.firing`. The package by concern:
- choices: constants and the choices offered when editing (assignee rules, trigger values);
- firing: `playbook_fire`;
- seeding: the default playbooks, created on first use;
- editing: `playbook_create`, `playbook_update`, `playbook_set_active` and `StepInput`;
- causes: one service per receiver (renewal window, stage transitions).
"""

from lifecycle.services.playbooks.causes import (
    playbooks_fire_for_renewal_window,
    playbooks_fire_for_transitions,
)
from lifecycle.services.playbooks.choices import (
    ASSIGNEE_ROLES,
    FALLBACK_ROLES,
    FOLLOWUP_OUTCOMES,
    MAX_STEPS,
    REMINDER_HOUR,
    assignee_rule_choices,
    trigger_value_choices,
)
from lifecycle.services.playbooks.editing import (
    StepInput,
    playbook_create,
    playbook_set_active,
    playbook_update,
)
from lifecycle.services.playbooks.firing import playbook_fire
from lifecycle.services.playbooks.seeding import (
    playbooks_seed_defaults,
    playbooks_seed_defaults_if_empty,
)

__all__ = [
    "ASSIGNEE_ROLES",
    "FALLBACK_ROLES",
    "FOLLOWUP_OUTCOMES",
    "MAX_STEPS",
    "REMINDER_HOUR",
    "StepInput",
    "assignee_rule_choices",
    "playbook_create",
    "playbook_fire",
    "playbook_set_active",
    "playbook_update",
    "playbooks_fire_for_renewal_window",
    "playbooks_fire_for_transitions",
    "playbooks_seed_defaults",
    "playbooks_seed_defaults_if_empty",
    "trigger_value_choices",
]
