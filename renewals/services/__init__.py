"""Writes of the renewals app: contracts, the denormalised ARR columns, opportunities.

Every function is keyword-only, takes the organization explicitly, checks that the objects it
is handed belong to it, runs in one transaction and records an AuditEvent for each change.
Validation problems raise django ValidationError with a dict of field → messages, which the
API answers as 400 with field detail and the pages show as form errors.

Account.arr_cents (ARR today) and Account.renewal_date (end of today's base contract) are
refreshed set-based (one UPDATE with correlated subqueries) for the accounts a change
touched, and for the whole organization by the daily job, because days pass.

renewals.ArrSpan (per account, the intervals of constant ARR/base ARR/seats/plan that the
retention reports read) is rebuilt for the touched accounts by `arr_spans_refresh` next to
every `account_revenue_refresh` that follows a contract write (not by the daily job: spans
do not depend on today).

Split by concern: revenue (denormalised ARR), spans (ARR spans), contracts, settings,
opportunities (renewals), expansion. Every public name is re-exported here: `from renewals.services import X` and
`services.X` keep working.
"""

from renewals.services.contracts import CONTRACT_FIELDS, contract_create, contract_update
from renewals.services.expansion import (
    AddOnTerms,
    expansion_close,
    expansion_opportunity_create,
    expansion_opportunity_open,
)
from renewals.services.opportunities import (
    RenewalTerms,
    account_mark_churned,
    opportunity_stage_set,
    renewal_close,
    renewal_opportunities_open,
)
from renewals.services.revenue import account_revenue_refresh
from renewals.services.settings import renewal_settings_update, renewal_window_days
from renewals.services.spans import arr_spans_refresh
from tenancy.timezones import organization_today

__all__ = [
    "CONTRACT_FIELDS",
    "AddOnTerms",
    "RenewalTerms",
    "account_mark_churned",
    "account_revenue_refresh",
    "arr_spans_refresh",
    "contract_create",
    "contract_update",
    "expansion_close",
    "expansion_opportunity_create",
    "expansion_opportunity_open",
    "opportunity_stage_set",
    "organization_today",
    "renewal_close",
    "renewal_opportunities_open",
    "renewal_settings_update",
    "renewal_window_days",
]
