"""The playbooks every organization starts with (editable; seeded once per `default_key`).

Titles are lazy translations rendered in the organization's language at seed time
(`lifecycle.services.playbooks.playbooks_seed_defaults`): after that they are the
organization's own text, edited like any other playbook.

A step is (title, kind, due offset in days, due anchor, assignee rule). Anchor `fired`
counts the days after the trigger; `contract_end` counts the days *before* the contract's
end date — the renewal reminder schedule at 120/90/60/30 days.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DefaultStep:
    title: Promise
    kind: str
    offset_days: int
    anchor: str = "fired"
    assignee_rule: str = "owner"


@dataclass(frozen=True)
class DefaultPlaybook:
    key: str
    name: Promise
    trigger: str
    trigger_value: str
    description: Promise
    steps: tuple[DefaultStep, ...]


DEFAULT_PLAYBOOKS: tuple[DefaultPlaybook, ...] = (
    DefaultPlaybook(
        "stage_onboarding",
        _("Onboarding kickoff"),
        "stage_entered",
        "onboarding",
        _("A new customer: kickoff, the onboarding checklist and the first value."),
        (
            DefaultStep(_("Kickoff meeting: goals, success criteria and timeline"), "meeting", 2),
            DefaultStep(
                _("Onboarding checklist: admins, integrations, data and training"), "review", 7
            ),
            DefaultStep(_("Confirm the customer reached first value"), "call", 30),
        ),
    ),
    DefaultPlaybook(
        "stage_adoption",
        _("Adoption check-in"),
        "stage_entered",
        "adoption",
        _("Onboarding is done: make sure the product is used widely and well."),
        (
            DefaultStep(_("Adoption check-in call"), "call", 3),
            DefaultStep(_("Review usage against the success plan"), "review", 30),
        ),
    ),
    DefaultPlaybook(
        "stage_retention",
        _("Retention QBR"),
        "stage_entered",
        "retention",
        _("Steady state: a quarterly business review keeps the value visible."),
        (DefaultStep(_("Schedule the quarterly business review"), "meeting", 14),),
    ),
    DefaultPlaybook(
        "stage_expansion",
        _("Expansion discovery"),
        "stage_entered",
        "expansion",
        _("An expansion opportunity is open: find out what the customer needs next."),
        (
            DefaultStep(_("Discovery call: new teams, use cases and seats"), "call", 5),
            DefaultStep(
                _("Review the expansion opportunity"), "review", 10, assignee_rule="role:manager"
            ),
        ),
    ),
    DefaultPlaybook(
        "stage_renewal",
        _("Renewal prep"),
        "stage_entered",
        "renewal",
        _("The contract end is inside the renewal window: prepare the renewal."),
        (
            DefaultStep(
                _("Prepare the renewal: value delivered, usage, risks and stakeholders"),
                "review",
                3,
            ),
        ),
    ),
    DefaultPlaybook(
        "stage_advocacy",
        _("Advocacy ask"),
        "stage_entered",
        "advocacy",
        _("A happy, healthy customer: ask for a reference, a review or a case study."),
        (DefaultStep(_("Ask for a reference, a review or a case study"), "call", 7),),
    ),
    DefaultPlaybook(
        "band_red",
        _("Save plan"),
        "band_changed",
        "red",
        _("Health dropped to red: diagnose, agree a save plan with the customer, review it."),
        (
            DefaultStep(_("Diagnose the drop: usage, tickets and sponsor"), "review", 1),
            DefaultStep(_("Save plan call with the customer"), "call", 3),
            DefaultStep(_("Review the save plan"), "review", 5, assignee_rule="role:manager"),
        ),
    ),
    DefaultPlaybook(
        "score_dropped",
        _("Score drop check"),
        "score_dropped",
        "",
        _("The health score fell 15 points or more in two weeks."),
        (DefaultStep(_("Find out why the health score dropped"), "review", 2),),
    ),
    DefaultPlaybook(
        "followup_issue",
        _("Follow-up issue escalation"),
        "followup_outcome",
        "issue_found",
        _("The 7-day follow-up found a problem: escalate it within a day."),
        (DefaultStep(_("Escalate the issue found in the follow-up"), "escalation", 1),),
    ),
    DefaultPlaybook(
        "detractor",
        _("Detractor closed loop"),
        "detractor",
        "",
        _("A detractor answer: call back within 48 hours."),
        (DefaultStep(_("Closed-loop call with the detractor"), "call", 2),),
    ),
    DefaultPlaybook(
        "promoter",
        _("Promoter advocacy ask"),
        "promoter",
        "",
        _("A promoter answer: thank them and ask for advocacy."),
        (DefaultStep(_("Thank the promoter and ask for a reference or review"), "email", 3),),
    ),
    DefaultPlaybook(
        "renewal_reminders",
        _("Renewal reminders"),
        "renewal_window",
        "",
        _("Reminders at 120, 90, 60 and 30 days before the contract ends."),
        (
            DefaultStep(
                _("Renewal in 120 days: review health and plan the renewal"),
                "review",
                120,
                "contract_end",
            ),
            DefaultStep(
                _("Renewal in 90 days: value review with the sponsor"),
                "meeting",
                90,
                "contract_end",
            ),
            DefaultStep(
                _("Renewal in 60 days: send the renewal proposal"), "email", 60, "contract_end"
            ),
            DefaultStep(
                _("Renewal in 30 days: confirm the decision and the paperwork"),
                "call",
                30,
                "contract_end",
            ),
        ),
    ),
)
