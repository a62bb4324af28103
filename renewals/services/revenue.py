"""Denormalised ARR on Account: Account.arr_cents (ARR today) and Account.renewal_date (end of
today's base contract), refreshed set-based for the accounts a change touched, and for the
whole organization by the daily job, because days pass."""

from __future__ import annotations

from datetime import date

from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Account
from renewals.models import Contract, ContractKind, ContractStatus
from tenancy.models import Organization
from tenancy.timezones import organization_today


def account_revenue_refresh(
    *, organization: Organization, account_ids: list[int] | None = None, today: date | None = None
) -> int:
    """Set Account.arr_cents = ARR(today) and renewal_date = end of today's base contract, in one
    UPDATE for `account_ids` (or every account of the organization). Returns rows updated."""
    today = today or organization_today(organization)
    active = Contract.objects.filter(
        organization=organization,
        account=OuterRef("pk"),
        start_date__lte=today,
        end_date__gt=today,
    ).exclude(status=ContractStatus.VOID)
    arr = active.order_by().values("account").annotate(total=Sum("arr_cents")).values("total")[:1]
    renewal = active.filter(kind=ContractKind.BASE).order_by("-end_date").values("end_date")[:1]
    accounts = Account.objects.filter(organization=organization)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    return accounts.update(
        arr_cents=Coalesce(Subquery(arr), Value(0)),
        renewal_date=Subquery(renewal),
    )
