"""Renewals pages: contracts (forms, import, the Account 360 panel), the renewal and expansion
pipelines, opportunities, the retention report (manager+) with its drill-down and CSV exports,
and the renewals settings (admin). Objects are looked up inside the active organization.

Split by concern: contracts, pipeline (pipelines and opportunities), reports (retention),
settings. Every public name is re-exported here, so `views.SomeView` (urls.py) keeps working.
"""

from renewals.views.contracts import (
    AccountContractsPanelView,
    ContractCreateView,
    ContractEditView,
    ContractImportForm,
    ContractImportView,
)
from renewals.views.pipeline import (
    PAGE_SIZE,
    ExpansionCreateForAccountView,
    ExpansionPipelineView,
    MonthGroup,
    OpportunityDetailView,
    RenewalPipelineView,
)
from renewals.views.reports import (
    EXPORT_TABLES,
    MOVEMENTS_PAGE_SIZE,
    RetentionExportView,
    RetentionMovementsPageView,
    RetentionReportView,
)
from renewals.views.settings import RenewalSettingsView

__all__ = [
    "EXPORT_TABLES",
    "MOVEMENTS_PAGE_SIZE",
    "PAGE_SIZE",
    "AccountContractsPanelView",
    "ContractCreateView",
    "ContractEditView",
    "ContractImportForm",
    "ContractImportView",
    "ExpansionCreateForAccountView",
    "ExpansionPipelineView",
    "MonthGroup",
    "OpportunityDetailView",
    "RenewalPipelineView",
    "RenewalSettingsView",
    "RetentionExportView",
    "RetentionMovementsPageView",
    "RetentionReportView",
]
