"""Factories for tasks and playbooks (the graph stays inside one organization)."""

from datetime import timedelta

import factory
from django.utils import timezone

from lifecycle.models import Playbook, PlaybookStep, Task
from lifecycle.models.tasks import TaskKind, TaskSource, TaskStatus
from tests.accounts.factories import AccountFactory
from tests.tenancy.factories import OrganizationFactory, ScopedFactory


class PlaybookFactory(ScopedFactory):
    class Meta:
        model = Playbook

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Playbook {n}")
    trigger = "band_changed"
    trigger_value = ""
    description = "Marker-playbook-description"


class PlaybookStepFactory(ScopedFactory):
    class Meta:
        model = PlaybookStep

    organization = factory.SubFactory(OrganizationFactory)
    playbook = factory.SubFactory(
        PlaybookFactory, organization=factory.SelfAttribute("..organization")
    )
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Step {n}")
    kind = TaskKind.CALL
    due_offset_days = 2

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs["organization"] = kwargs["playbook"].organization
        return kwargs


class TaskFactory(ScopedFactory):
    class Meta:
        model = Task

    organization = factory.SubFactory(OrganizationFactory)
    account = factory.SubFactory(
        AccountFactory, organization=factory.SelfAttribute("..organization")
    )
    assignee = factory.SelfAttribute("account.owner")
    kind = TaskKind.CALL
    title = factory.Sequence(lambda n: f"Marker-task {n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    status = TaskStatus.OPEN
    source = TaskSource.MANUAL

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # TaskFactory(organization=org) builds an account there; TaskFactory(account=a) follows a.
        kwargs["organization"] = kwargs["account"].organization
        return kwargs
