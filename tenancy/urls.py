from django.urls import path

from tenancy import views, views_scheduled

urlpatterns = [
    path("settings/", views.OrganizationSettingsView.as_view(), name="organization_settings"),
    path("settings/members/", views.MemberListView.as_view(), name="member_list"),
    path(
        "settings/members/<int:pk>/role/",
        views.MembershipRoleView.as_view(),
        name="membership_role",
    ),
    path(
        "settings/members/<int:pk>/remove/",
        views.MembershipRemoveView.as_view(),
        name="membership_remove",
    ),
    path(
        "settings/invitations/<int:pk>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path("settings/api-keys/", views.ApiKeyListView.as_view(), name="api_key_list"),
    path(
        "settings/api-keys/<int:pk>/revoke/",
        views.ApiKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    path("settings/audit/", views.AuditLogView.as_view(), name="audit_log"),
    path(
        "settings/scheduled-actions/",
        views_scheduled.ScheduledActionListView.as_view(),
        name="scheduled_action_list",
    ),
    path(
        "settings/scheduled-actions/<int:pk>/retry/",
        views_scheduled.ScheduledActionRetryView.as_view(),
        name="scheduled_action_retry",
    ),
    path("organizations/switch/", views.organization_switch, name="organization_switch"),
    path("organizations/new/", views.organization_create_view, name="organization_create"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
