from django.urls import path

from renewals import views

urlpatterns = [
    path("renewals/", views.RenewalPipelineView.as_view(), name="renewal_pipeline"),
    path("expansion/", views.ExpansionPipelineView.as_view(), name="expansion_pipeline"),
    path(
        "opportunities/<int:pk>/", views.OpportunityDetailView.as_view(), name="opportunity_detail"
    ),
    path(
        "accounts/<int:pk>/contracts-panel/",
        views.AccountContractsPanelView.as_view(),
        name="account_contracts_panel",
    ),
    path(
        "accounts/<int:pk>/contracts/new/",
        views.ContractCreateView.as_view(),
        name="contract_create",
    ),
    path(
        "accounts/<int:pk>/expansion/new/",
        views.ExpansionCreateForAccountView.as_view(),
        name="expansion_create",
    ),
    path("contracts/<int:pk>/edit/", views.ContractEditView.as_view(), name="contract_edit"),
    path("contracts/import/", views.ContractImportView.as_view(), name="contract_import"),
    path("reports/retention/", views.RetentionReportView.as_view(), name="retention_report"),
    path(
        "reports/retention/movements/",
        views.RetentionMovementsPageView.as_view(),
        name="retention_movements",
    ),
    path(
        "reports/retention/export/",
        views.RetentionExportView.as_view(),
        name="retention_export",
    ),
    path("settings/renewals/", views.RenewalSettingsView.as_view(), name="renewal_settings"),
]
