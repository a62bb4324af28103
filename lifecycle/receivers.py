"""Receivers of lower apps' signals: each calls one lifecycle service (DESIGN.md, Layout).

Services are imported inside the receivers (they import models; this module is loaded from
LifecycleConfig.ready), except the follow-up and survey-trigger services, whose imports also
register the `followup.start` and `survey.after_go_live` ScheduledAction handlers.
"""

from django.dispatch import receiver

from accounts.signals import go_live_changed
from healthscore.signals import band_changed, score_dropped
from lifecycle.services import followup as _followup_service
from lifecycle.services import survey_triggers as _survey_triggers_service
from lifecycle.signals import followup_outcome_recorded, stage_changed
from outreach.signals import message_received
from renewals.signals import (
    account_churned,
    contracts_changed,
    opportunity_changed,
    renewal_window_entered,
)
from surveys.signals import survey_answered, survey_trigger_changed

# --- touchpoints (records) ---------------------------------------------------------------


@receiver(message_received, dispatch_uid="lifecycle.touchpoint_from_inbound_message")
def touchpoint_from_inbound_message(
    sender, *, organization, inbound_id, account_id, contact_id, channel, body, received_at, **_
):
    from lifecycle.services.touchpoints import touchpoint_log_inbound_message

    touchpoint_log_inbound_message(
        organization=organization,
        inbound_id=inbound_id,
        account_id=account_id,
        contact_id=contact_id,
        channel=channel,
        body=body,
        received_at=received_at,
    )


# --- tasks and playbooks -------------------------------------------------------------------


@receiver(band_changed, dispatch_uid="lifecycle.playbooks_on_band_changed")
def playbooks_on_band_changed(sender, *, organization, account_id, to_band, day, **_):
    from lifecycle.services.playbooks import playbook_fire

    playbook_fire(
        organization=organization,
        trigger="band_changed",
        trigger_value=to_band,
        account_ids=[account_id],
        cause_key=f"band_changed:{day.isoformat()}",
    )


@receiver(score_dropped, dispatch_uid="lifecycle.playbooks_on_score_dropped")
def playbooks_on_score_dropped(sender, *, organization, account_id, day, **_):
    from lifecycle.services.playbooks import playbook_fire

    playbook_fire(
        organization=organization,
        trigger="score_dropped",
        account_ids=[account_id],
        cause_key=f"score_dropped:{day.isoformat()}",
    )


@receiver(renewal_window_entered, dispatch_uid="lifecycle.playbooks_on_renewal_window")
def playbooks_on_renewal_window(sender, *, organization, opportunity_ids, **_):
    from lifecycle.services.playbooks import playbooks_fire_for_renewal_window

    playbooks_fire_for_renewal_window(organization=organization, opportunity_ids=opportunity_ids)


@receiver(stage_changed, dispatch_uid="lifecycle.playbooks_on_stage_changed")
def playbooks_on_stage_changed(sender, *, organization, transition_ids, **_):
    from lifecycle.services.playbooks import playbooks_fire_for_transitions

    playbooks_fire_for_transitions(organization=organization, transition_ids=transition_ids)


@receiver(followup_outcome_recorded, dispatch_uid="lifecycle.playbooks_on_followup_outcome")
def playbooks_on_followup_outcome(sender, *, organization, followup_id, account_id, outcome, **_):
    from lifecycle.services.playbooks import playbook_fire

    playbook_fire(
        organization=organization,
        trigger="followup_outcome",
        trigger_value=outcome,
        account_ids=[account_id],
        cause_key=f"followup:{followup_id}",
    )


@receiver(survey_answered, dispatch_uid="lifecycle.survey_answer_react")
def survey_answer_react(sender, *, organization, response_id, account_id, kind, score, **_):
    from lifecycle.services.surveys import survey_answer_react as react

    react(
        organization=organization,
        response_id=response_id,
        account_id=account_id,
        kind=kind,
        score=score,
    )


# --- stage engine (stages) -----------------------------------------------------------------


@receiver(go_live_changed, dispatch_uid="lifecycle.stages_on_go_live_changed")
def stages_on_go_live_changed(sender, *, organization, changes, **_):
    from lifecycle.services.stages import stages_evaluate_on_commit

    stages_evaluate_on_commit(
        organization=organization, account_ids=[account_id for account_id, *_rest in changes]
    )


@receiver(contracts_changed, dispatch_uid="lifecycle.stages_on_contracts_changed")
def stages_on_contracts_changed(sender, *, organization, account_ids, **_):
    from lifecycle.services.stages import stages_evaluate

    stages_evaluate(organization=organization, account_ids=list(account_ids))


@receiver(opportunity_changed, dispatch_uid="lifecycle.stages_on_opportunity_changed")
def stages_on_opportunity_changed(sender, *, organization, account_id, **_):
    from lifecycle.services.stages import stages_evaluate

    stages_evaluate(organization=organization, account_ids=[account_id])


@receiver(band_changed, dispatch_uid="lifecycle.stages_on_band_changed")
def stages_on_band_changed(sender, *, organization, account_id, **_):
    from lifecycle.services.stages import stages_evaluate

    stages_evaluate(organization=organization, account_ids=[account_id])


@receiver(account_churned, dispatch_uid="lifecycle.stages_on_account_churned")
def stages_on_account_churned(sender, *, organization, account_id, reason, membership_id, **_):
    from lifecycle.services.stages import account_stage_churn

    account_stage_churn(
        organization=organization,
        account_id=account_id,
        reason=reason,
        membership_id=membership_id,
    )


# --- 7-day follow-up ---------------------------------------------------------------------


@receiver(go_live_changed, dispatch_uid="lifecycle.followups_on_go_live_changed")
def followups_on_go_live_changed(sender, *, organization, changes, **_):
    # Inside the accounts transaction: the follow-up's rows commit with the go-live.
    _followup_service.followups_schedule(organization=organization, changes=changes)


# --- automatic survey sends ----------------------------------------------------------------


@receiver(go_live_changed, dispatch_uid="lifecycle.survey_after_go_live_on_go_live_changed")
def survey_after_go_live_on_go_live_changed(sender, *, organization, changes, **_):
    # Inside the accounts transaction: the scheduled send commits with the go-live.
    _survey_triggers_service.survey_after_go_live_schedule(
        organization=organization, changes=changes
    )


@receiver(survey_trigger_changed, dispatch_uid="lifecycle.survey_triggers_on_trigger_changed")
def survey_triggers_on_trigger_changed(sender, *, organization, survey_id, **_):
    # Inside the surveys transaction: switching a survey on schedules its future sends.
    _survey_triggers_service.survey_triggers_resync(organization=organization, survey_id=survey_id)
