"""Signals the outreach app sends after commit (DESIGN.md: cross-app news).

- `message_received(sender, organization, inbound_id, account_id, contact_id, channel, body,
  received_at)`: a contact replied (e.g. WhatsApp webhook); lifecycle logs a Touchpoint.
- `message_status_changed(sender, organization, message_id, status)`: an outbound message
  moved (sent, delivered, read, failed, skipped).
"""

from django.dispatch import Signal

message_received = Signal()
message_status_changed = Signal()
