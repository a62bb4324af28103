"""Channel backends behind one interface (`ChannelBackend.send`), chosen per message.

`OUTREACH_DELIVERY` (settings) is `console` on the embedded default: every message goes
through the console backend, which stores and logs and sends nothing. With `live`, WhatsApp
messages go through the WhatsApp Cloud API with the organization's credentials and emails
through Django's email backend.
"""

from __future__ import annotations

from django.conf import settings

from outreach.channels.base import ChannelBackend, SendRequest, SendResult
from outreach.channels.console import ConsoleBackend
from outreach.channels.email import EmailBackend
from outreach.channels.whatsapp import WhatsAppBackend
from outreach.models import Channel, OutreachSettings

__all__ = [
    "ChannelBackend",
    "ConsoleBackend",
    "EmailBackend",
    "SendRequest",
    "SendResult",
    "WhatsAppBackend",
    "backend_for",
]


def backend_for(*, channel: str, outreach_settings: OutreachSettings) -> ChannelBackend:
    if getattr(settings, "OUTREACH_DELIVERY", "console") != "live":
        return ConsoleBackend()
    if channel == Channel.WHATSAPP:
        return WhatsAppBackend(
            base_url=outreach_settings.whatsapp_base_url,
            phone_number_id=outreach_settings.whatsapp_phone_number_id,
            access_token=outreach_settings.whatsapp_access_token,
        )
    return EmailBackend()
