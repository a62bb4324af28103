from django.urls import path

from healthscore import views

urlpatterns = [
    path(
        "accounts/<int:pk>/health/",
        views.AccountHealthPanelView.as_view(),
        name="account_health_panel",
    ),
    path(
        "accounts/<int:pk>/health/adjustments/",
        views.HealthAdjustmentCreateView.as_view(),
        name="health_adjustment_create",
    ),
    path("health/at-risk/", views.AtRiskView.as_view(), name="health_at_risk"),
    path("health/model/", views.HealthModelSettingsView.as_view(), name="health_model_settings"),
    path(
        "health/model/history/",
        views.HistoryRebuildProgressView.as_view(),
        name="health_history_progress",
    ),
    path(
        "health/model/preview/", views.HealthModelPreviewView.as_view(), name="health_model_preview"
    ),
    path("health/events/upload/", views.EventUploadView.as_view(), name="health_event_upload"),
    path("health/backtest/", views.BacktestView.as_view(), name="health_backtest"),
]
