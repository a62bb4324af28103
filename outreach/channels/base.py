"""The channel backend interface.

A backend gets a `SendRequest` (everything it needs, no database access) and answers a
`SendResult`:
- `sent`: the provider accepted the message (`provider_message_id` when it gives one);
- `transient`: not sent and safe to try again later (5xx, 429, connection refused before the
  request went out) — the dispatcher retries with backoff;
- `failed`: not sent, trying again would not help (the provider refused it, or the backend
  refused it, e.g. free text outside WhatsApp's 24-hour window);
- `unknown`: the request may have reached the provider but no answer came back (read
  timeout, connection dropped after sending). Never retried: at most once (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class SendRequest:
    message_id: int
    organization_id: int
    channel: str
    to_address: str
    subject: str
    body: str
    template_params: list[str] = field(default_factory=list)
    whatsapp_template_name: str = ""
    whatsapp_template_language: str = ""
    # WhatsApp only: the contact wrote in the last 24 hours, so free text is allowed.
    window_open: bool = False

    @property
    def callback_data(self) -> str:
        """Our id, echoed back by WhatsApp status webhooks (`biz_opaque_callback_data`)."""
        return f"jornada:{self.organization_id}:{self.message_id}"


@dataclass(frozen=True)
class SendResult:
    outcome: str  # sent | transient | failed | unknown
    provider_message_id: str = ""
    error_code: str = ""
    error_message: str = ""
    retry_after_seconds: int | None = None
    backend: str = ""

    SENT = "sent"
    TRANSIENT = "transient"
    FAILED = "failed"
    UNKNOWN = "unknown"


class ChannelBackend(Protocol):
    name: str

    def send(self, request: SendRequest) -> SendResult: ...
