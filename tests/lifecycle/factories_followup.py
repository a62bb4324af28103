from datetime import date, timedelta

import factory

from lifecycle.models import FollowUp
from tests.accounts.factories import AccountFactory
from tests.tenancy.factories import ScopedFactory


class FollowUpFactory(ScopedFactory):
    class Meta:
        model = FollowUp

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    go_live_date = factory.LazyFunction(date.today)
    due_date = factory.LazyAttribute(lambda o: o.go_live_date + timedelta(days=7))
    status = "open"
