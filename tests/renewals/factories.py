from datetime import date

import factory

from renewals.models import (
    Contract,
    ContractKind,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    RenewalSettings,
)
from renewals.services.spans import arr_spans_refresh
from tests.accounts.factories import AccountFactory
from tests.tenancy.factories import OrganizationFactory, ScopedFactory


class ContractFactory(ScopedFactory):
    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    organization = factory.SelfAttribute("account.organization")
    kind = ContractKind.BASE
    start_date = date(2025, 1, 1)
    end_date = date(2026, 1, 1)
    arr_cents = 1_200_000
    seats = 10
    plan = "Pro"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Also rebuild the account's ARR spans, as every service that writes a contract does
        (renewals.services.spans): the reports read spans, not contracts."""
        contract = super()._create(model_class, *args, **kwargs)
        arr_spans_refresh(organization=contract.organization, account_ids=[contract.account_id])
        return contract


class OpportunityFactory(ScopedFactory):
    class Meta:
        model = Opportunity

    contract = factory.SubFactory(ContractFactory)
    account = factory.SelfAttribute("contract.account")
    organization = factory.SelfAttribute("contract.organization")
    kind = OpportunityKind.RENEWAL
    stage = OpportunityStage.NOT_STARTED
    amount_cents = factory.SelfAttribute("contract.arr_cents")
    expected_close_date = factory.SelfAttribute("contract.end_date")


class RenewalSettingsFactory(ScopedFactory):
    class Meta:
        model = RenewalSettings

    organization = factory.SubFactory(OrganizationFactory)
    renewal_window_days = 120
