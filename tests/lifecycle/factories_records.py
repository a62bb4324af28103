"""Factories of touchpoints, success plans, objectives and advocacy records."""

from datetime import timedelta

import factory
from django.utils import timezone

from lifecycle.models import AdvocacyRecord, Objective, SuccessPlan, Touchpoint
from tests.accounts.factories import AccountFactory
from tests.tenancy.factories import ScopedFactory


class TouchpointFactory(ScopedFactory):
    class Meta:
        model = Touchpoint

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    channel = "call"
    direction = "outbound"
    summary = factory.Sequence(lambda n: f"Call number {n}")
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


class SuccessPlanFactory(ScopedFactory):
    class Meta:
        model = SuccessPlan

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    title = factory.Sequence(lambda n: f"Plan {n}")
    status = "active"


class ObjectiveFactory(ScopedFactory):
    class Meta:
        model = Objective

    plan = factory.SubFactory(SuccessPlanFactory)
    organization = factory.SelfAttribute("plan.organization")
    account = factory.SelfAttribute("plan.account")
    title = factory.Sequence(lambda n: f"Objective {n}")
    metric = "weekly reports"
    baseline = 0.0
    target = 10.0
    start_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=10))


class AdvocacyRecordFactory(ScopedFactory):
    class Meta:
        model = AdvocacyRecord

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    kind = "reference"
    status = "requested"
    requested_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=3))
