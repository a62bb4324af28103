"""The embedded default: stores (the outbox row is the record) and logs; sends nothing."""

from __future__ import annotations

import logging

from outreach.channels.base import SendRequest, SendResult

logger = logging.getLogger(__name__)


class ConsoleBackend:
    name = "console"

    def send(self, request: SendRequest) -> SendResult:
        logger.info(
            "outreach console: message %s via %s to %s: %s",
            request.message_id,
            request.channel,
            request.to_address,
            request.body[:200].replace("\n", " "),
        )
        return SendResult(
            outcome=SendResult.SENT,
            provider_message_id=f"console-{request.message_id}",
            backend=self.name,
        )
