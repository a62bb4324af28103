from django.urls import path

from accounts import csv_views, views

urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/export/", csv_views.AccountExportView.as_view(), name="account_export"),
    path("import/", csv_views.AccountImportView.as_view(), name="account_import"),
    path(
        "import/sample/<slug:kind>.csv",
        csv_views.AccountImportSampleView.as_view(),
        name="account_import_sample",
    ),
    path("imports/<int:pk>/", csv_views.ImportJobDetailView.as_view(), name="import_job_detail"),
    path("accounts/new/", views.AccountCreateView.as_view(), name="account_create"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account_detail"),
    path("accounts/<int:pk>/edit/", views.AccountEditView.as_view(), name="account_edit"),
    path("accounts/<int:pk>/delete/", views.AccountDeleteView.as_view(), name="account_delete"),
    path(
        "accounts/<int:pk>/contacts/new/", views.ContactCreateView.as_view(), name="contact_create"
    ),
    path("contacts/<int:pk>/edit/", views.ContactEditView.as_view(), name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
]
