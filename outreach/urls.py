from django.urls import path

from outreach import views

urlpatterns = [
    path("messages/", views.MessageListView.as_view(), name="message_list"),
    path("settings/outreach/", views.OutreachSettingsView.as_view(), name="outreach_settings"),
    path(
        "settings/message-templates/",
        views.MessageTemplateListView.as_view(),
        name="message_template_list",
    ),
    path(
        "settings/message-templates/<str:key>/<str:locale>/",
        views.MessageTemplateEditView.as_view(),
        name="message_template_edit",
    ),
    path("webhooks/whatsapp/<str:token>/", views.whatsapp_webhook_view, name="whatsapp_webhook"),
]
