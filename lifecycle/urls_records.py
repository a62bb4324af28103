"""Routes of touchpoints, the timeline, success plans and advocacy (appended to
lifecycle/urls.py). Object routes take `<int:pk>` and name their model for the isolation
tests."""

from django.urls import path

from lifecycle.views import advocacy, success, timeline, touchpoints

urlpatterns = [
    path(
        "accounts/<int:pk>/timeline/",
        timeline.AccountTimelinePanelView.as_view(),
        name="account_timeline_panel",
    ),
    path(
        "accounts/<int:pk>/touchpoints/new/",
        touchpoints.TouchpointCreateView.as_view(),
        name="touchpoint_create",
    ),
    path(
        "touchpoints/<int:pk>/edit/",
        touchpoints.TouchpointEditView.as_view(),
        name="touchpoint_edit",
    ),
    path(
        "touchpoints/<int:pk>/delete/",
        touchpoints.TouchpointDeleteView.as_view(),
        name="touchpoint_delete",
    ),
    path(
        "accounts/<int:pk>/success/",
        success.AccountSuccessPanelView.as_view(),
        name="account_success_panel",
    ),
    path(
        "accounts/<int:pk>/success-plans/new/",
        success.SuccessPlanCreateView.as_view(),
        name="success_plan_create",
    ),
    path(
        "success-plans/<int:pk>/edit/",
        success.SuccessPlanEditView.as_view(),
        name="success_plan_edit",
    ),
    path(
        "success-plans/<int:pk>/objectives/new/",
        success.ObjectiveCreateView.as_view(),
        name="objective_create",
    ),
    path("objectives/<int:pk>/edit/", success.ObjectiveEditView.as_view(), name="objective_edit"),
    path(
        "objectives/<int:pk>/delete/",
        success.ObjectiveDeleteView.as_view(),
        name="objective_delete",
    ),
    path("advocates/", advocacy.AdvocateListView.as_view(), name="advocate_list"),
    path(
        "accounts/<int:pk>/advocacy/",
        advocacy.AccountAdvocacyPanelView.as_view(),
        name="account_advocacy_panel",
    ),
    path(
        "accounts/<int:pk>/advocacy/new/",
        advocacy.AdvocacyCreateView.as_view(),
        name="advocacy_create",
    ),
    path("advocacy/<int:pk>/edit/", advocacy.AdvocacyEditView.as_view(), name="advocacy_edit"),
    path(
        "advocacy/<int:pk>/status/",
        advocacy.AdvocacyTransitionView.as_view(),
        name="advocacy_transition",
    ),
]
