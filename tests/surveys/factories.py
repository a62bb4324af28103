"""Factories of surveys, invitations and responses (graphs stay inside one organization)."""

from datetime import timedelta

import factory
from django.utils import timezone

from surveys.models import Survey, SurveyInvitation, SurveyResponse
from tenancy.tokens import token_hash
from tests.accounts.factories import ContactFactory
from tests.tenancy.factories import OrganizationFactory, ScopedFactory


class SurveyFactory(ScopedFactory):
    class Meta:
        model = Survey

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Relationship NPS {n}")
    kind = "nps"


class SurveyInvitationFactory(ScopedFactory):
    """`raw_token` (not a model field) is the clear token of the stored hash."""

    class Meta:
        model = SurveyInvitation
        exclude = ("raw_token",)

    organization = factory.SubFactory(OrganizationFactory)
    survey = factory.SubFactory(SurveyFactory, organization=factory.SelfAttribute("..organization"))
    contact = factory.SubFactory(
        ContactFactory,
        account__organization=factory.SelfAttribute("...organization"),
    )
    account = factory.SelfAttribute("contact.account")
    raw_token = factory.Sequence(lambda n: f"test-survey-token-{n:04d}")
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.raw_token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class SurveyResponseFactory(ScopedFactory):
    class Meta:
        model = SurveyResponse

    organization = factory.SubFactory(OrganizationFactory)
    survey = factory.SubFactory(SurveyFactory, organization=factory.SelfAttribute("..organization"))
    contact = factory.SubFactory(
        ContactFactory,
        account__organization=factory.SelfAttribute("...organization"),
    )
    account = factory.SelfAttribute("contact.account")
    kind = factory.SelfAttribute("survey.kind")
    score = 9
    source = "api"
    answered_at = factory.LazyFunction(timezone.now)
