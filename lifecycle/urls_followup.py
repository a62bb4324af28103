"""Routes of the follow-up pages (included by lifecycle/urls.py)."""

from django.urls import path

from lifecycle.views import followup as views

urlpatterns = [
    path(
        "followups/<int:pk>/outcome/", views.FollowUpOutcomeView.as_view(), name="followup_outcome"
    ),
    path(
        "accounts/<int:pk>/followup/",
        views.AccountFollowUpPanelView.as_view(),
        name="account_followup_panel",
    ),
    path("reports/followups/", views.FollowUpReportView.as_view(), name="followup_report"),
]
