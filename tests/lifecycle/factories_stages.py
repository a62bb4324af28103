import factory
from django.utils import timezone

from accounts.models import Stage
from lifecycle.models import StageHold, StageTransition
from tests.accounts.factories import AccountFactory
from tests.tenancy.factories import ScopedFactory


class StageTransitionFactory(ScopedFactory):
    class Meta:
        model = StageTransition

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    from_stage = Stage.ONBOARDING
    to_stage = Stage.ADOPTION
    at = factory.LazyFunction(timezone.now)
    automatic = True
    reason_code = "adoption"
    reason_params = factory.LazyFunction(lambda: {"months": 1, "limit": 12})


class StageHoldFactory(ScopedFactory):
    class Meta:
        model = StageHold

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    stage = Stage.RETENTION
    reason = "Held by hand"
