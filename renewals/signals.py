"""Signals the renewals app sends after commit (DESIGN.md: cross-app news).

- `contracts_changed(sender, organization, account_ids)`: contracts of these accounts were
  created, edited, voided or imported (ARR/renewal date may have moved).
- `opportunity_changed(sender, organization, opportunity_id, account_id, kind, stage)`: an
  opportunity was opened, moved or closed (kind renewal|expansion).
- `renewal_window_entered(sender, organization, opportunity_ids)`: renewal opportunities were
  opened because their contracts entered the renewal window (once per contract).
- `account_churned(sender, organization, account_id, reason, membership_id)`: a renewal closed
  as churned ended the account's ARR.
"""

from django.dispatch import Signal

contracts_changed = Signal()
opportunity_changed = Signal()
renewal_window_entered = Signal()
account_churned = Signal()
