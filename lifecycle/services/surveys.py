"""What a survey answer changes above surveys (DESIGN.md, surveys and lifecycle).

Called by the `survey_answered` receiver after the answer committed, once per write (a first
answer or an edit within 24 hours):
- health: the answer is a sentiment input `survey:<response id>` (promoter 100, passive 50,
  detractor 0: surveys.scoring.sentiment_value) dated on the day it was answered; an edit
  replaces it and the account is rescored by the dirty sweep;
- playbooks: a detractor answer (any kind) fires the `detractor` playbooks (the closed-loop
  call within 48 hours), an NPS promoter the `promoter` playbooks (the advocacy ask), once per
  response whatever the number of edits (cause `survey:<id>`);
- stages: an NPS answer re-evaluates the account (a promoter may move it to advocacy).
"""

from __future__ import annotations

from django_scopes import scope

from healthscore.inputs import health_sentiment_set
from lifecycle.services.playbooks import playbook_fire
from lifecycle.services.stages import stages_evaluate
from surveys.models import SurveyKind, SurveyResponse
from surveys.scoring import is_detractor, is_promoter, sentiment_value
from tenancy.models import Organization
from tenancy.timezones import local_date


def survey_answer_react(
    *, organization: Organization, response_id: int, account_id: int, kind: str, score: int
) -> None:
    with scope(organization=organization):
        answered_at = (
            SurveyResponse.objects.filter(organization=organization, pk=response_id)
            .values_list("answered_at", flat=True)
            .first()
        )
        if answered_at is None:
            return
        health_sentiment_set(
            organization=organization,
            account_id=account_id,
            subject=f"survey:{response_id}",
            day=local_date(organization, answered_at),
            value=sentiment_value(kind, score),
        )
        cause = f"survey:{response_id}"
        if is_detractor(kind, score):
            playbook_fire(
                organization=organization,
                trigger="detractor",
                account_ids=[account_id],
                cause_key=cause,
            )
        elif kind == SurveyKind.NPS and is_promoter(kind, score):
            playbook_fire(
                organization=organization,
                trigger="promoter",
                account_ids=[account_id],
                cause_key=cause,
            )
        if kind == SurveyKind.NPS:
            stages_evaluate(organization=organization, account_ids=[account_id])
