"""Every write of the outreach app (one transaction per service).

Other apps call `message_queue` (services/queue.py); the rest is used by this app's tasks,
views, API and webhook.
"""

from outreach.services.configuration import (
    message_template_reset,
    message_template_save,
    outreach_settings_update,
    outreach_webhook_token_rotate,
)
from outreach.services.dispatch import (
    outbound_message_claim,
    outbound_message_deliver,
    outbound_message_record,
    outbound_messages_dispatch,
    outbound_messages_expire_leases,
)
from outreach.services.queue import message_queue
from outreach.services.webhook import WebhookPayloadError, whatsapp_webhook_process

__all__ = [
    "WebhookPayloadError",
    "message_queue",
    "message_template_reset",
    "message_template_save",
    "outbound_message_claim",
    "outbound_message_deliver",
    "outbound_message_record",
    "outbound_messages_dispatch",
    "outbound_messages_expire_leases",
    "outreach_settings_update",
    "outreach_webhook_token_rotate",
    "whatsapp_webhook_process",
]
