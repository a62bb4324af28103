"""Platform admin (staff only). Template saves go through the model's clean(), so the
no-selling guard and the variable check apply here too; secrets are never shown."""

from django.contrib import admin

from outreach.models import InboundMessage, MessageTemplate, OutboundMessage, OutreachSettings


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "locale", "organization", "updated_at")
    list_filter = ("locale",)
    search_fields = ("key",)
    raw_id_fields = ("organization", "updated_by")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "organization", "template_key", "channel", "status", "created_at")
    list_filter = ("status", "channel")
    raw_id_fields = ("organization", "account", "contact")
    readonly_fields = [field.name for field in OutboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "organization", "from_address", "received_at")
    raw_id_fields = ("organization", "account", "contact")
    readonly_fields = [field.name for field in InboundMessage._meta.fields]


@admin.register(OutreachSettings)
class OutreachSettingsAdmin(admin.ModelAdmin):
    list_display = ("organization", "whatsapp_enabled", "updated_at")
    raw_id_fields = ("organization",)
    exclude = ("whatsapp_access_token", "whatsapp_app_secret", "whatsapp_verify_token")
