"""Signals the accounts app sends after commit (DESIGN.md: cross-app news).

- `go_live_changed(sender, organization, account_id, previous, current)`: an account's
  go_live_date was set, changed or cleared (dates or None). Sent once per change, after
  commit, by the service that wrote it (form, API, CSV import).
"""

from django.dispatch import Signal

go_live_changed = Signal()
