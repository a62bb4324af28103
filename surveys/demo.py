"""Demo surveys: a relationship NPS with ~60 answers over the last 200 days, a CSAT after
support with a few, so the results pages show something on first run.

Idempotent (skipped when the organization has any survey), reproducible
(`random.Random(organization.pk)`), written with bulk_create; skipped for organizations with
more than MAX_ACCOUNTS accounts (benchmarks bring their own data). It writes rows directly and
does NOT send `survey_answered`: the consumers seed their own side.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Account, Contact, HealthBand
from surveys.models import (
    INVITATION_VALIDITY,
    ResponseSource,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from tenancy.models import Organization
from tenancy.tokens import token_new

MAX_ACCOUNTS = 5000
NPS_ANSWERS = 60
CSAT_ANSWERS = 18
DAYS = 200

# Comments as customers write them (in Portuguese, like the demo's customers).
COMMENTS = {
    "promoter": [
        "Suporte excelente, sempre respondem rápido.",
        "O produto mudou a rotina do nosso time. Recomendo!",
        "Onboarding muito bem feito, a equipe foi atenciosa.",
        "Os relatórios economizam horas toda semana.",
    ],
    "passive": [
        "Bom produto, mas ainda falta integração com o nosso ERP.",
        "Atende, porém a tela de relatórios poderia ser mais simples.",
        "Gostamos, mas o treinamento foi curto.",
    ],
    "detractor": [
        "Relatórios lentos no fechamento do mês.",
        "Tivemos muitos chamados abertos sem resposta.",
        "O preço subiu e não vimos novidades no produto.",
        "A implantação atrasou e ninguém nos avisou.",
    ],
}


def _nps_score(rng: random.Random, band: str) -> int:
    """Mostly promoters, a quarter passives, a fifth detractors; red accounts lean low (health
    bands exist only when healthscore seeded first, so they only tilt the draw)."""
    if band == HealthBand.RED or rng.random() < 0.2:
        return rng.choice([0, 2, 3, 4, 5, 6, 6])
    if band == HealthBand.YELLOW or rng.random() < 0.3:
        return rng.choice([7, 7, 8, 8])
    return rng.choice([9, 9, 10, 10, 10])


def _category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def demo_surveys_seed(*, organization: Organization) -> dict[str, int]:
    if Survey.objects.filter(organization=organization).exists():
        return {}
    accounts = list(
        Account.objects.filter(organization=organization)
        .order_by("id")
        .values_list("id", "health_band")
    )
    if not accounts or len(accounts) > MAX_ACCOUNTS:
        return {}
    contacts: dict[int, list[int]] = {}
    for contact_id, account_id in (
        Contact.objects.filter(organization=organization)
        .order_by("-is_primary", "id")
        .values_list("id", "account_id")
    ):
        contacts.setdefault(account_id, []).append(contact_id)
    candidates = [(a, band) for a, band in accounts if a in contacts]
    if not candidates:
        return {}
    rng = random.Random(organization.pk)  # noqa: S311 (demo data, reproducible)
    nps = Survey.objects.create(
        organization=organization, name="NPS de relacionamento", kind=SurveyKind.NPS
    )
    csat = Survey.objects.create(
        organization=organization, name="CSAT do suporte", kind=SurveyKind.CSAT
    )
    now = timezone.now()
    picks = rng.sample(candidates, min(NPS_ANSWERS, len(candidates)))
    plan = []
    for account_id, band in picks:
        score = _nps_score(rng, band or "")
        plan.append((nps, account_id, score))
    for account_id, band in rng.sample(candidates, min(CSAT_ANSWERS, len(candidates))):
        score = rng.choice([1, 2, 3] if band == HealthBand.RED else [3, 4, 4, 5, 5])
        plan.append((csat, account_id, score))

    invitations, responses = [], []
    for survey, account_id, score in plan:
        answered_at = now - timedelta(days=rng.randint(0, DAYS - 1), minutes=rng.randint(0, 600))
        sent_at = answered_at - timedelta(hours=rng.randint(1, 72))
        contact_id = contacts[account_id][0]
        invitations.append(
            SurveyInvitation(
                organization=organization,
                survey=survey,
                account_id=account_id,
                contact_id=contact_id,
                token_hash=token_new(32)[1],  # the clear token is thrown away
                channel=rng.choice(["email", "whatsapp"]),
                sent_at=sent_at,
                expires_at=sent_at + INVITATION_VALIDITY,
            )
        )
        category = (
            _category(score)
            if survey.kind == SurveyKind.NPS
            else ("promoter" if score >= 4 else "passive" if score == 3 else "detractor")
        )
        comment = rng.choice(COMMENTS[category]) if rng.random() < 0.45 else ""
        responses.append((survey, account_id, contact_id, score, comment, answered_at))
    created = SurveyInvitation.objects.bulk_create(invitations)
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            organization=organization,
            survey=survey,
            invitation=invitation,
            account_id=account_id,
            contact_id=contact_id,
            kind=survey.kind,
            score=score,
            comment=comment,
            answered_at=answered_at,
            source=ResponseSource.LINK,
        )
        for invitation, (survey, account_id, contact_id, score, comment, answered_at) in zip(
            created, responses, strict=True
        )
    )
    return {"surveys": 2, "responses": len(responses)}
