from datetime import date, timedelta

import factory
from django.utils import timezone

from healthscore.models import (
    EventDaily,
    HealthAdjustment,
    HealthAlert,
    HealthModel,
    HealthScore,
    HealthSnapshot,
    event_kind,
)
from tests.accounts.factories import AccountFactory
from tests.tenancy.factories import OrganizationFactory, ScopedFactory


class EventDailyFactory(ScopedFactory):
    class Meta:
        model = EventDaily

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    day = factory.LazyFunction(date.today)
    name = "login"
    kind = factory.LazyAttribute(lambda row: event_kind(row.name))
    count = 1
    quantity_sum = 1.0


class HealthModelFactory(ScopedFactory):
    class Meta:
        model = HealthModel

    organization = factory.SubFactory(OrganizationFactory)
    version = 1
    is_active = True
    weights = factory.LazyFunction(dict)
    thresholds = factory.LazyFunction(dict)
    key_features = factory.LazyFunction(list)


class HealthScoreFactory(ScopedFactory):
    class Meta:
        model = HealthScore

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    score = 30
    band = "red"
    components = factory.LazyFunction(dict)
    drivers = factory.LazyFunction(lambda: [{"code": "support", "open": 2, "opened_30": 0}])


class HealthSnapshotFactory(ScopedFactory):
    class Meta:
        model = HealthSnapshot

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    day = factory.LazyFunction(date.today)
    score = 50
    band = "yellow"
    components = factory.LazyFunction(dict)


class HealthAdjustmentFactory(ScopedFactory):
    class Meta:
        model = HealthAdjustment

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    points = -10
    reason = "Champion left"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class HealthAlertFactory(ScopedFactory):
    class Meta:
        model = HealthAlert

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    kind = HealthAlert.Kind.BAND_CHANGED
    day = factory.LazyFunction(date.today)
    from_band = "green"
    to_band = "red"
