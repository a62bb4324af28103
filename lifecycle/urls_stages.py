from django.urls import path

from lifecycle.views import stages as views

urlpatterns = [
    path("lifecycle/", views.LifecycleBoardView.as_view(), name="lifecycle_board"),
    path(
        "accounts/<int:pk>/stage/",
        views.AccountStageChangeView.as_view(),
        name="account_stage_change",
    ),
    path("settings/lifecycle/", views.LifecycleSettingsView.as_view(), name="lifecycle_settings"),
]
